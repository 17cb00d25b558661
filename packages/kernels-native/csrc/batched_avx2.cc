// The batched int8 GEMM's per-tensor output stage in AVX2 (-mavx2): the same float32 operations as requantize_block.
#include <cstddef>

#include "batched.h"
#include "quant_avx2.h"

namespace lowbit {
namespace avx2 {

void requant_per_tensor(const int32_t* acc, int n, float mult, int32_t zp, bool out_signed, uint8_t* out) {
  const float qmin = out_signed ? -128.0f : 0.0f, qmax = out_signed ? 127.0f : 255.0f;
  const float z = static_cast<float>(zp);
  const float nanq = z < qmin ? qmin : (z > qmax ? qmax : z);
  const QuantAvx2 q(z, qmin, qmax, nanq);
  requant_int_acc(acc, n, 0, mult, q, z, qmin, qmax, nanq, out);
}

}  // namespace avx2
}  // namespace lowbit
