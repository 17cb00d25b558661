# Independent numpy float32 evaluation of the MSE search pinned in src/methods/mse.test.ts:
# int4 symmetric (zero point 0, scale = float32(t / 7)), |x| histogram of 4 bins over [0, 4], 4 candidates t = 1..4.
# quantize: q = clip(rint(float32(x / scale)), -8, 7) (rint = round half to even); dequantize: float32(q * scale).
import numpy as np
centers = np.array([0.5, 1.5, 2.5, 3.5], dtype=np.float32)
counts = np.array([10, 10, 10, 1], dtype=np.float64)
for t in [1, 2, 3, 4]:
    scale = np.float32(np.float32(t) / np.float32(7))
    q = np.clip(np.rint(centers / scale), -8, 7)
    dq = (q.astype(np.float32) * scale).astype(np.float32)
    err = float(np.sum(counts * (centers.astype(np.float64) - dq.astype(np.float64)) ** 2))
    print(t, scale, q, dq, repr(err))
