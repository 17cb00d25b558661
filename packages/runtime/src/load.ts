/** Model bytes -> IR, through the @lowbit/onnx-ir codec. */
import type { Model } from '@lowbit/onnx-ir';

export function decodeModelBytes(_bytes: Uint8Array, _baseDir: string | undefined): Model {
  throw new Error('decodeModel is not available yet');
}
