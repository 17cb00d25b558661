/** ONNX node test cases of OPS_KERNELS ops that are expected not to pass, with the reason. */
export const EXCLUDED: ReadonlyMap<string, string> = new Map<string, string>([
]);
