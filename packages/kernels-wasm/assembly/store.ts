// Vector store helpers shared by the kernels.

/** Stores the first n (1-4) float32 lanes of v at dst: a whole vector when n is 4, lane by lane otherwise. */
@inline
export function storeF32Lanes(dst: usize, v: v128, n: i32): void {
  if (n >= 4) {
    v128.store(dst, v);
    return;
  }
  store<f32>(dst, f32x4.extract_lane(v, 0));
  if (n > 1) store<f32>(dst, f32x4.extract_lane(v, 1), 4);
  if (n > 2) store<f32>(dst, f32x4.extract_lane(v, 2), 8);
}
