// pool.h's MaxPool kernels built with AVX2 (see pool_kernels.inc). Identical results.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include <immintrin.h>

#include "pool.h"

namespace lowbit {
namespace avx2 {

#include "pool_kernels.inc"

}  // namespace avx2
}  // namespace lowbit
