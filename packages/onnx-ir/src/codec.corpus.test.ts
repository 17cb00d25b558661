/**
 * Lossless round trip over every model in the shared test data: decode -> encode -> decode gives a structurally
 * equal model, a second encode is byte-identical to the first, the schema knows every field present on the wire, and
 * onnx-proto (an independent decoder of the fields it knows) reads our encoding exactly as it reads the original.
 */
import { readFileSync } from 'node:fs';
import { listCorpusModels } from '@lowbit/testing';
import { onnx } from 'onnx-proto';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { decodeModel, encodeModel } from './codec.js';
import { buildOnnxSchema } from './schema.js';
import { firstDifference } from './test-support/struct-equal.js';

const corpus = listCorpusModels;

/** Field numbers on the wire that the schema does not declare, as `Type.field#n` paths. */
function unknownFields(type: protobuf.Type, bytes: Uint8Array, path: string, out: Set<string>): void {
  const r = protobuf.Reader.create(bytes);
  while (r.pos < r.len) {
    const tag = r.uint32();
    const id = tag >>> 3;
    const wire = tag & 7;
    const field = type.fieldsById[id];
    if (field === undefined) out.add(`${path}#${id}`);
    if (field !== undefined && wire === 2 && field.resolvedType instanceof protobuf.Type) {
      unknownFields(field.resolvedType, r.bytes(), `${path}.${field.name}`, out);
    } else r.skipType(wire);
  }
}

describe('codec round trip over the shared corpus', () => {
  const files = corpus();
  const schema = buildOnnxSchema();

  it('finds the whole corpus (1802 node cases and the rest)', () => {
    expect(files.length).toBeGreaterThanOrEqual(1802 + 16 + 9 + 5);
  });

  it('decode -> encode -> decode is structurally equal and the second encode is byte-identical', () => {
    const failures: string[] = [];
    for (const f of files) {
      const bytes = new Uint8Array(readFileSync(f));
      const m1 = decodeModel(bytes);
      const e1 = encodeModel(m1);
      const m2 = decodeModel(e1);
      const diff = firstDifference(m1, m2);
      if (diff !== undefined) failures.push(`${f}: ${diff}`);
      const e2 = encodeModel(m2);
      if (Buffer.compare(Buffer.from(e1), Buffer.from(e2)) !== 0) failures.push(`${f}: second encode differs`);
    }
    expect(failures.slice(0, 5)).toEqual([]);
  });

  it('every field on the wire is declared in the schema', () => {
    const unknown = new Set<string>();
    for (const f of files) unknownFields(schema.ModelProto, new Uint8Array(readFileSync(f)), 'ModelProto', unknown);
    expect([...unknown]).toEqual([]);
  });

  it('onnx-proto reads our encoding exactly as it reads the original', () => {
    const opts = { longs: String, bytes: String, defaults: true, arrays: true };
    const failures: string[] = [];
    for (const f of files) {
      const bytes = new Uint8Array(readFileSync(f));
      const ours = encodeModel(decodeModel(bytes));
      const a = JSON.stringify(onnx.ModelProto.toObject(onnx.ModelProto.decode(bytes), opts));
      const b = JSON.stringify(onnx.ModelProto.toObject(onnx.ModelProto.decode(ours), opts));
      if (a !== b) failures.push(f);
    }
    expect(failures.slice(0, 5)).toEqual([]);
  });
});
