#include "elementwise.h"

#include <cmath>
#include <cstring>
#include <memory>
#include <vector>

namespace lowbit {

#include "elementwise_kernels.inc"

}  // namespace lowbit
