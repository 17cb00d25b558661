// The depthwise convolution of dwconv.cc compiled with AVX512-VNNI code generation (this library gets -mavx512vnni):
// int8 nodes whose weights minus zero point fit int8 take 4 vertical taps per vpdpbusd on byte quads (exact sums);
// the others, and Conv:f32, run the AVX-512 paths, identical results to the other builds.
#define DWCONV_NAME dwconv_avx512vnni
#define DWCONV_F32_NAME dwconv_f32_avx512vnni
#define DWCONV_SCALED_NAME dwconv_scaled_avx512vnni
#define DWCONV_NS dw_avx512vnni
#include "dwconv.cc"
