/**
 * Float32 fast paths for Add/Sub/Mul/Div: the same numerics as the generic element-wise loop (each result computed
 * in double from float32 operands and rounded once by the Float32Array store, which is the correctly rounded
 * float32 operation), written out per op so the loop body has no indirect call.
 */
export type ArithOp = 'Add' | 'Sub' | 'Mul' | 'Div';

export function f32Arith(op: ArithOp, A: Float32Array, B: Float32Array, O: Float32Array, ia: Int32Array | null, ib: Int32Array | null): void {
  const n = O.length;
  if (!ia && !ib) {
    switch (op) {
      case 'Add': for (let i = 0; i < n; i++) O[i] = A[i] + B[i]; return;
      case 'Sub': for (let i = 0; i < n; i++) O[i] = A[i] - B[i]; return;
      case 'Mul': for (let i = 0; i < n; i++) O[i] = A[i] * B[i]; return;
      default: for (let i = 0; i < n; i++) O[i] = A[i] / B[i]; return;
    }
  }
  if (!ia && B.length === 1) {
    const b = B[0];
    switch (op) {
      case 'Add': for (let i = 0; i < n; i++) O[i] = A[i] + b; return;
      case 'Sub': for (let i = 0; i < n; i++) O[i] = A[i] - b; return;
      case 'Mul': for (let i = 0; i < n; i++) O[i] = A[i] * b; return;
      default: for (let i = 0; i < n; i++) O[i] = A[i] / b; return;
    }
  }
  const ja = ia ?? identity(n);
  const jb = ib ?? identity(n);
  switch (op) {
    case 'Add': for (let i = 0; i < n; i++) O[i] = A[ja[i]] + B[jb[i]]; return;
    case 'Sub': for (let i = 0; i < n; i++) O[i] = A[ja[i]] - B[jb[i]]; return;
    case 'Mul': for (let i = 0; i < n; i++) O[i] = A[ja[i]] * B[jb[i]]; return;
    default: for (let i = 0; i < n; i++) O[i] = A[ja[i]] / B[jb[i]]; return;
  }
}

function identity(n: number): Int32Array {
  const r = new Int32Array(n);
  for (let i = 0; i < n; i++) r[i] = i;
  return r;
}
