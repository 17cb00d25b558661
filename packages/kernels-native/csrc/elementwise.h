// Float element-wise ops the JS reference computes slowly.
#pragma once
#include <cstddef>

namespace lowbit {

/** y = float(erf(double(x))) with the C library's double erf (< 1 ulp in double): within 1 float32 ulp of the reference;
    x = -0 gives +0 like the reference. */
void erf_f32(const float* x, size_t n, float* y);

}  // namespace lowbit
