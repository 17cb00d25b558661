/**
 * Reads ONNX SequenceProto and OptionalProto test-data files (the backend tests store sequence and optional
 * inputs/outputs that way). Only what the tests use: sequences of tensors, optionals of tensors or of sequences.
 * Wire format: tag = (field << 3) | wire type; wire type 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32.
 *
 * SequenceProto: 1 name, 2 elem_type (1 tensor, 3 sequence, 5 optional), 3 tensor_values (repeated TensorProto).
 * OptionalProto: 1 name, 2 elem_type (0 undefined, 1 tensor, 3 sequence), 3 tensor_value, 5 sequence_value.
 */
import { decodeTensor, type TypeInfo } from '@lowbit/onnx-ir';
import { dtypeOf } from '../../ir-compat.js';
import { OptionalNone, TensorSequence, tensorFromRef, type Value } from '../../values.js';

interface Field {
  readonly no: number;
  readonly varint?: bigint;
  readonly bytes?: Uint8Array;
}

function fields(buf: Uint8Array): Field[] {
  const out: Field[] = [];
  let p = 0;
  const varint = (): bigint => {
    let r = 0n;
    let shift = 0n;
    for (;;) {
      const b = buf[p++];
      r |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return r;
      shift += 7n;
    }
  };
  while (p < buf.length) {
    const tag = Number(varint());
    const no = tag >>> 3;
    switch (tag & 7) {
      case 0: out.push({ no, varint: varint() }); break;
      case 1: p += 8; break;
      case 5: p += 4; break;
      case 2: {
        const len = Number(varint());
        out.push({ no, bytes: buf.subarray(p, p + len) });
        p += len;
        break;
      }
      default: throw new Error(`unsupported protobuf wire type ${tag & 7}`);
    }
  }
  return out;
}

function sequenceFrom(buf: Uint8Array, type: TypeInfo | undefined): TensorSequence {
  const f = fields(buf);
  const items = f.filter((x) => x.no === 3).map((x) => tensorFromRef(decodeTensor(x.bytes!)));
  const elem = type?.kind === 'sequence' && type.elem?.kind === 'tensor' ? dtypeOf(type.elem.elemType) : undefined;
  return new TensorSequence(items[0]?.dtype ?? elem, items);
}

/** Decodes a test-data file for a value of type `type` (sequence or optional). */
export function decodeValueProto(buf: Uint8Array, type: TypeInfo): Value {
  if (type.kind === 'sequence') return sequenceFrom(buf, type);
  if (type.kind === 'optional') {
    const f = fields(buf);
    const t = f.find((x) => x.no === 3);
    if (t) return tensorFromRef(decodeTensor(t.bytes!));
    const s = f.find((x) => x.no === 5);
    if (s) return sequenceFrom(s.bytes!, type.elem);
    const elem = type.elem?.kind === 'tensor' ? dtypeOf(type.elem.elemType) : type.elem?.kind === 'sequence' ? 'sequence' : undefined;
    return new OptionalNone(elem);
  }
  throw new Error(`values of kind ${type.kind} are not supported`);
}
