// The depthwise convolution of dwconv.cc compiled with AVX2 code generation (this library gets -mavx2 -mfma).
#define DWCONV_NAME dwconv_avx2
#define DWCONV_F32_NAME dwconv_f32_avx2
#define DWCONV_SCALED_NAME dwconv_scaled_avx2
#define DWCONV_NS dw_avx2
#include "dwconv.cc"
