// elementwise.h's float kernels built with AVX2 (see elementwise_kernels.inc).
#include <cmath>
#include <cstring>
#include <memory>
#include <vector>

#include "elementwise.h"

namespace lowbit {
namespace avx2 {

#include "elementwise_kernels.inc"

}  // namespace avx2
}  // namespace lowbit
