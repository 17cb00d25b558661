/**
 * Cross-checks the hand-written IR 11 schema against onnx-proto (generated from the ONNX 1.10 schema): every message
 * and field onnx-proto knows exists here with the same field number, scalar/message type and repeatedness.
 * onnx-proto only ships generated code, so its fields are read from the generated encoders' source text.
 * (Packing is not compared: onnx-proto was generated from onnx.proto3, where repeated scalars pack by default;
 * onnx.proto is proto2 and packs only the fields it marks `[packed = true]`, which is what this schema follows.)
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { buildOnnxSchema } from './schema.js';

interface RefField { name: string; id: number; type: string; repeated: boolean }

function onnxProtoFields(): Map<string, RefField[]> {
  const src = readFileSync(createRequire(import.meta.url).resolve('onnx-proto'), 'utf8');
  const out = new Map<string, RefField[]>();
  const blocks = src.matchAll(/(\w+)\.encode = function encode\(message, writer\) \{([\s\S]*?)\n\s*return writer;/g);
  for (const [, msg, body] of blocks) {
    const fields: RefField[] = [];
    for (const chunk of body!.split(/\n\s*if \(message\./).slice(1)) {
      const name = /^(\w+)/.exec(chunk)![1]!;
      const id = Number(/id (\d+), wireType/.exec(chunk)![1]);
      const msgType = /\$root\.onnx\.([\w.]+)\.encode/.exec(chunk);
      const scalar = new RegExp(`\\.(\\w+)\\(message\\.${name}(\\[i\\])?\\)`).exec(chunk);
      fields.push({ name, id, type: msgType ? msgType[1]! : scalar![1]!, repeated: chunk.includes('.length') });
    }
    out.set(msg!, fields);
  }
  return out;
}

function findType(root: protobuf.Root, simple: string): protobuf.Type {
  const found: protobuf.Type[] = [];
  const walk = (ns: protobuf.NamespaceBase): void => {
    for (const o of ns.nestedArray) {
      if (o instanceof protobuf.Type && o.name === simple) found.push(o);
      if (o instanceof protobuf.Namespace || o instanceof protobuf.Type) walk(o as protobuf.NamespaceBase);
    }
  };
  walk(root);
  expect(found.map((t) => t.fullName), `message ${simple}`).toHaveLength(1);
  return found[0]!;
}

describe('schema', () => {
  const { root } = buildOnnxSchema();
  const ref = onnxProtoFields();

  it('reads onnx-proto\'s messages (sanity of the cross-check itself)', () => {
    expect(ref.size).toBeGreaterThanOrEqual(20);
    expect(ref.get('ModelProto')!.find((f) => f.name === 'functions')).toEqual({ name: 'functions', id: 25, type: 'FunctionProto', repeated: true });
  });

  it('has every onnx-proto message and field with the same number, type and repeatedness', () => {
    const problems: string[] = [];
    for (const [msg, fields] of ref) {
      const type = findType(root, msg);
      for (const f of fields) {
        const mine = type.fields[f.name];
        if (mine === undefined) { problems.push(`${msg}.${f.name} missing`); continue; }
        const myType = mine.resolvedType instanceof protobuf.Type ? mine.resolvedType.fullName.replace(/^\.onnx\./, '')
          : mine.resolvedType instanceof protobuf.Enum ? 'int32' : mine.type;
        if (mine.id !== f.id) problems.push(`${msg}.${f.name}: id ${mine.id} vs ${f.id}`);
        if (myType !== f.type) problems.push(`${msg}.${f.name}: type ${myType} vs ${f.type}`);
        if (mine.repeated !== f.repeated) problems.push(`${msg}.${f.name}: repeated ${mine.repeated} vs ${f.repeated}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('adds the IR 8-11 fields onnx-proto lacks, with their onnx.proto numbers', () => {
    const num = (t: string, f: string): number => root.lookupType(`onnx.${t}`).fields[f]!.id;
    expect(num('ModelProto', 'configuration')).toBe(26);
    expect(num('NodeProto', 'overload')).toBe(8);
    expect(num('NodeProto', 'metadataProps')).toBe(9);
    expect(num('NodeProto', 'deviceConfigurations')).toBe(10);
    expect(num('GraphProto', 'metadataProps')).toBe(16);
    expect(num('TensorProto', 'metadataProps')).toBe(16);
    expect(num('ValueInfoProto', 'metadataProps')).toBe(4);
    expect(num('FunctionProto', 'valueInfo')).toBe(12);
    expect(num('FunctionProto', 'overload')).toBe(13);
    expect(num('FunctionProto', 'metadataProps')).toBe(14);
    expect(root.lookupEnum('onnx.TensorProto.DataType').values.INT2).toBe(26);
    expect(root.lookupEnum('onnx.TensorProto.DataType').values.FLOAT8E8M0).toBe(24);
    // onnx.proto marks only the typed data fields packed.
    const tp = root.lookupType('onnx.TensorProto');
    expect(tp.fields.floatData!.packed).toBe(true);
    expect(tp.fields.dims!.packed).toBe(false);
  });
});
