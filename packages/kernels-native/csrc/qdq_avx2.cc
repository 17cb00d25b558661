// qdq.h's QuantizeLinear / DequantizeLinear / DynamicQuantizeLinear built with AVX2 (see qdq_kernels.inc).
#include <cmath>

#include "common.h"
#include "qdq.h"
#include "quant_avx2.h"

namespace lowbit {
namespace avx2 {

#include "qdq_kernels.inc"

}  // namespace avx2
}  // namespace lowbit
