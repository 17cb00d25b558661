/** ONNX node test cases of OPS_KERNELS ops that are expected not to pass, with the reason. */
const RANDOM = 'training-mode Dropout with ratio > 0 draws a random mask (the expected output comes from numpy\'s RNG); the kernel refuses it with a KernelError';

export const EXCLUDED: ReadonlyMap<string, string> = new Map<string, string>([
  ['test_training_dropout', RANDOM],
  ['test_training_dropout_default', RANDOM],
  ['test_training_dropout_default_mask', RANDOM],
  ['test_training_dropout_mask', RANDOM],
]);
