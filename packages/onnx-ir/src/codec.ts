/**
 * decodeModel / encodeModel / decodeTensor / encodeTensor: ONNX protobuf bytes <-> IR.
 *
 * Decoding never copies tensor bytes: inline tensors are views into the input buffer, so the caller hands the buffer
 * over and must not change it afterwards. Any failure to decode (truncated or corrupt bytes, impossible structures,
 * nesting too deep) is a ModelFormatError; nothing else escapes.
 */
import protobuf from 'protobufjs';
import { ExternalDataError, ModelFormatError } from './errors.js';
import { modelFromMsg, type DecodeContext } from './proto-decode.js';
import { modelToMsg } from './proto-encode.js';
import { buildOnnxSchema } from './schema.js';
import { tensorFromMsg, tensorToMsg, type TensorMsg } from './tensor-proto.js';
import type { ExternalTensor, InlineTensor, LazyTensor, Model, TensorRef } from './types.js';

/** Oldest and newest ModelProto.ir_version this codec reads and writes. */
export const MIN_IR_VERSION = 1;
/**
 * IR 12 and 13 (ONNX 1.19/1.20) changed no message layout the codec relies on (they added data types and operators),
 * and the ONNX backend tests ship models at those versions, so they are read too.
 */
export const MAX_IR_VERSION = 13;

/** Built once; protobufjs reflection types are not mutated after `resolveAll`. */
const SCHEMA = buildOnnxSchema();

export interface DecodeOptions {
  /** Absolute folder the model came from: external tensors resolve their `location` against it. */
  readonly baseDir?: string;
}

function decodeContext(options: DecodeOptions | undefined): DecodeContext {
  return {
    baseDir: options?.baseDir,
    toPlain: (typeName, m) => SCHEMA.root.lookupType(`onnx.${typeName}`).toObject(m, { longs: String }),
  };
}

function wrap(err: unknown, what: string, byteLength: number): ModelFormatError | ExternalDataError {
  if (err instanceof ModelFormatError || err instanceof ExternalDataError) return err;
  const why = err instanceof Error ? err.message : String(err);
  return new ModelFormatError(`cannot decode ${what} (${byteLength} bytes): ${why}`, { what, byteLength }, err);
}

/** protobufjs returns a Buffer on Node; callers get a plain Uint8Array view of the same memory. */
function plainBytes(b: Uint8Array): Uint8Array {
  return b.constructor === Uint8Array ? b : new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

function asU8(bytes: Uint8Array): Uint8Array {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('decode: expected a Uint8Array');
  return bytes;
}

/**
 * Decodes ModelProto bytes into the IR. Node ids are `n0, n1, ...` in proto order, numbered per graph (each subgraph
 * and function body starts again at `n0`).
 * @throws ModelFormatError for corrupt or truncated bytes, or an IR version outside [MIN_IR_VERSION, MAX_IR_VERSION].
 */
export function decodeModel(bytes: Uint8Array, options?: DecodeOptions): Model {
  const b = asU8(bytes);
  let model: Model;
  try {
    // A reader of our own keeps unknown fields (protobufjs' static default discards them; never changed globally).
    const reader = protobuf.Reader.create(b);
    reader.discardUnknown = false;
    const msg = SCHEMA.ModelProto.decode(reader);
    model = modelFromMsg(msg, decodeContext(options));
  } catch (err) {
    throw wrap(err, 'model', b.byteLength);
  }
  checkIrVersion(model.irVersion, b.byteLength);
  return model;
}

function checkIrVersion(v: number, byteLength?: number): void {
  if (!Number.isInteger(v) || v < MIN_IR_VERSION || v > MAX_IR_VERSION) {
    throw new ModelFormatError(
      `unsupported ONNX IR version ${v}: expected ${MIN_IR_VERSION}..${MAX_IR_VERSION}`,
      byteLength === undefined ? { what: 'model', irVersion: v } : { what: 'model', irVersion: v, byteLength },
    );
  }
}

/**
 * Encodes the IR as ModelProto bytes. Deterministic: the same model always gives the same bytes.
 * @throws ModelFormatError for an unsupported IR version or a tensor that cannot be encoded (an async lazy tensor).
 */
export function encodeModel(model: Model): Uint8Array {
  checkIrVersion(model.irVersion);
  return plainBytes(SCHEMA.ModelProto.encode(modelToMsg(model)).finish());
}

/** Decodes TensorProto bytes (e.g. a test_data_set `input_0.pb`). */
export function decodeTensor(bytes: Uint8Array, options?: DecodeOptions): TensorRef {
  const b = asU8(bytes);
  try {
    return tensorFromMsg(SCHEMA.TensorProto.decode(b) as unknown as TensorMsg, 'tensor', options?.baseDir);
  } catch (err) {
    throw wrap(err, 'tensor', b.byteLength);
  }
}

/** Encodes one tensor as TensorProto bytes (a lazy tensor must compute synchronously). */
export function encodeTensor(t: InlineTensor | ExternalTensor | LazyTensor): Uint8Array {
  return plainBytes(SCHEMA.TensorProto.encode(tensorToMsg(t, 'tensor')).finish());
}
