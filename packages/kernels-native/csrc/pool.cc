// MaxPool kernels of pool.h (see pool_kernels.inc), baseline build; pool_avx2.cc builds the same code with AVX2.
#include "pool.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace lowbit {

#include "pool_kernels.inc"

}  // namespace lowbit
