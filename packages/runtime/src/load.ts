/** Model bytes -> IR, through the @lowbit/onnx-ir codec. */
import { decodeModel, type Model } from '@lowbit/onnx-ir';

export function decodeModelBytes(bytes: Uint8Array, baseDir: string | undefined): Model {
  return decodeModel(bytes, baseDir === undefined ? undefined : { baseDir });
}
