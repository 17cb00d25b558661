// The depthwise convolution of dwconv.cc compiled with AVX-512 code generation (this library gets -mavx512f/bw/vl/dq):
// 16-lane rows and requantize, identical results to the other builds (the same FMA chain per output, exact integers).
#define DWCONV_NAME dwconv_avx512
#define DWCONV_F32_NAME dwconv_f32_avx512
#define DWCONV_SCALED_NAME dwconv_scaled_avx512
#define DWCONV_NS dw_avx512
#include "dwconv.cc"
