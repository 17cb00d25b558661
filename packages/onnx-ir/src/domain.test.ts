import { describe, expect, it } from 'vitest';
import { decodeModel, encodeModel } from './codec.js';
import { importedOpset, isDefaultDomain, normalizeDomain } from './domain.js';
import type { Model } from './types.js';

describe('the default domain has one spelling after decoding', () => {
  it('decodes nodes, subgraph nodes, functions and opset imports written as "ai.onnx" to ""', () => {
    const body = { name: 'body', inputs: [], outputs: [{ name: 'b', type: undefined }], initializers: [], sparseInitializers: [], valueInfo: [],
      nodes: [{ id: 'b0', name: 'inner', opType: 'Constant', domain: 'ai.onnx', inputs: [], outputs: ['b'], attributes: [{ name: 'value_float', type: 'float' as const, value: 1 }] }] };
    const m: Model = {
      irVersion: 10,
      opsetImports: [{ domain: 'ai.onnx', version: 21 }, { domain: 'ai.onnx.ml', version: 3 }, { domain: 'custom', version: 1 }],
      graph: {
        name: 'g', inputs: [{ name: 'c', type: undefined }], outputs: [{ name: 'y', type: undefined }], initializers: [], sparseInitializers: [], valueInfo: [],
        nodes: [
          { id: 'n0', name: 'if', opType: 'If', domain: 'ai.onnx', inputs: ['c'], outputs: ['x'], attributes: [{ name: 'then_branch', type: 'graph', value: body }, { name: 'else_branch', type: 'graph', value: body }] },
          { id: 'n1', name: 'f', opType: 'F', domain: 'custom', inputs: ['x'], outputs: ['y'], attributes: [] },
        ],
      },
      functions: [{ name: 'F', domain: 'custom', inputs: ['i'], outputs: ['o'], attributes: [], attributeProtos: [], valueInfo: [], opsetImports: [{ domain: 'ai.onnx', version: 21 }],
        nodes: [{ id: 'f0', name: 'id', opType: 'Identity', domain: 'ai.onnx', inputs: ['i'], outputs: ['o'], attributes: [] }] }],
      metadataProps: [],
    };
    const d = decodeModel(encodeModel(m));
    expect(d.opsetImports.map((o) => o.domain)).toEqual(['', 'ai.onnx.ml', 'custom']);
    expect(d.graph.nodes.map((n) => n.domain)).toEqual(['', 'custom']);
    const then = d.graph.nodes[0].attributes[0];
    expect(then.type === 'graph' && then.value.nodes[0].domain).toBe('');
    expect(d.functions[0].opsetImports[0].domain).toBe('');
    expect(d.functions[0].nodes[0].domain).toBe('');
    expect(d.functions[0].domain).toBe('custom');
  });

  it('helpers for models built in memory', () => {
    expect(['', 'ai.onnx', 'ai.onnx.ml', 'com.microsoft'].map(normalizeDomain)).toEqual(['', '', 'ai.onnx.ml', 'com.microsoft']);
    expect(['', 'ai.onnx', 'ai.onnx.ml'].map(isDefaultDomain)).toEqual([true, true, false]);
    const imports = [{ domain: 'ai.onnx', version: 13 }, { domain: 'com.microsoft', version: 1 }];
    expect(importedOpset(imports)).toBe(13);
    expect(importedOpset(imports, 'ai.onnx')).toBe(13);
    expect(importedOpset(imports, 'com.microsoft')).toBe(1);
    expect(importedOpset(imports, 'ai.onnx.ml')).toBeUndefined();
  });
});
