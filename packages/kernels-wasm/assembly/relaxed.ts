// The relaxed-SIMD module: every SIMD128 kernel plus the 7-bit GEMM on i32x4.relaxed_dot_i8x16_i7x16_add_s.
export * from './index';
export { q7packBSize, q7packB, q7prepA, q7gemm, relaxedDotAddWorks } from './qgemm7';
