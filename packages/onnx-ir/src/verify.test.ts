import { describe, expect, it } from 'vitest';
import { floatTensor, mkGraph, mkModel, mkNode, vi } from '@lowbit/testing';
import type { Graph, Model } from './types.js';
import { minIrVersionForOpset, verifyModel } from './verify.js';

const codes = (m: Model) => verifyModel(m).map((d) => `${d.severity}:${d.code}`);
const g = (init: Parameters<typeof mkGraph>[0]): Graph => mkGraph(init);

describe('verifyModel', () => {
  it('a well-formed graph has no diagnostics', () => {
    const m = mkModel(g({ inputs: ['x'], outputs: ['b'], initializers: [floatTensor('w', [4], [1, 2, 3, 4])],
      nodes: [mkNode('Add', ['x', 'w'], ['a']), mkNode('Relu', ['a'], ['b'])] }));
    expect(verifyModel(m)).toEqual([]);
  });

  it('SSA: a value defined twice', () => {
    const m = mkModel(g({ inputs: ['x'], outputs: ['a'], nodes: [mkNode('Relu', ['x'], ['a']), mkNode('Neg', ['x'], ['a'])] }));
    const d = verifyModel(m);
    expect(d).toEqual([expect.objectContaining({ severity: 'error', code: 'SSA_REDEFINED', node: 'n1', value: 'a' })]);
    expect(d[0].message).toContain('"a"');
  });

  it('SSA: a node output that redefines a graph input', () => {
    expect(codes(mkModel(g({ inputs: ['x'], outputs: ['x'], nodes: [mkNode('Relu', ['x'], ['x'])] })))).toContain('error:SSA_REDEFINED');
  });

  it('order: an input produced by a later node', () => {
    const m = mkModel(g({ inputs: ['x'], outputs: ['b'], nodes: [mkNode('Neg', ['a'], ['b']), mkNode('Relu', ['x'], ['a'])] }));
    expect(verifyModel(m)).toEqual([expect.objectContaining({ code: 'NOT_TOPOLOGICAL', node: 'n0', value: 'a' })]);
  });

  it('an input that nothing defines, and an undefined graph output', () => {
    const m = mkModel(g({ inputs: ['x'], outputs: ['b', 'zz'], nodes: [mkNode('Add', ['x', 'ghost'], ['b'])] }));
    expect(codes(m)).toEqual(['error:UNDEFINED_INPUT', 'error:UNDEFINED_OUTPUT']);
    expect(verifyModel(m)[0].message).toBe('node "n0" (Add) input[1] "ghost" is not defined (not a graph input, initializer, or node output)');
  });

  it('omitted optional inputs (null) are fine', () => {
    expect(verifyModel(mkModel(g({ inputs: ['x'], outputs: ['y'], nodes: [mkNode('Clip', ['x', null, null], ['y'])] })))).toEqual([]);
  });

  it('duplicate node ids and duplicate initializers', () => {
    const m = mkModel(g({ inputs: ['x'], outputs: ['b'], initializers: [floatTensor('w', [1], [1]), floatTensor('w', [1], [2])],
      nodes: [mkNode('Relu', ['x'], ['a'], { id: 'k' }), mkNode('Neg', ['a'], ['b'], { id: 'k' })] }));
    expect(codes(m)).toEqual(['error:DUPLICATE_INITIALIZER', 'error:DUPLICATE_NODE_ID']);
  });

  it('subgraphs see outer values defined before their node, not after', () => {
    const body = (reads: string) => g({ name: 'then', outputs: ['t0'], nodes: [mkNode('Abs', [reads], ['t0'])], idPrefix: 't' });
    const ifNode = (reads: string) => mkNode('If', ['cond'], ['c'], { attributes: [
      { name: 'then_branch', type: 'graph', value: body(reads) }, { name: 'else_branch', type: 'graph', value: body(reads) }] });
    const ok = mkModel(g({ inputs: ['x', vi('cond', 9, [])], outputs: ['c'], nodes: [mkNode('Relu', ['x'], ['a']), ifNode('a')] }));
    expect(verifyModel(ok)).toEqual([]);
    const late = mkModel(g({ inputs: ['x', vi('cond', 9, [])], outputs: ['c', 'a'], nodes: [ifNode('a'), mkNode('Relu', ['x'], ['a'])] }));
    expect(codes(late)).toEqual(['error:NOT_TOPOLOGICAL', 'error:NOT_TOPOLOGICAL']);
    expect(verifyModel(late)[0].graph).toBe('graph "main" > node "n0" > graph "then_branch"');
    const undef = mkModel(g({ inputs: ['x', vi('cond', 9, [])], outputs: ['c'], nodes: [ifNode('nowhere')] }));
    expect(codes(undef)).toEqual(['error:UNDEFINED_INPUT', 'error:UNDEFINED_INPUT']);
  });

  it('a subgraph node output that reuses an outer name breaks SSA', () => {
    const body = g({ name: 'b', outputs: ['a'], nodes: [mkNode('Abs', ['x'], ['a'])], idPrefix: 't' });
    const m = mkModel(g({ inputs: ['x', vi('cond', 9, [])], outputs: ['c'], nodes: [mkNode('Relu', ['x'], ['a']),
      mkNode('If', ['cond'], ['c'], { attributes: [{ name: 'then_branch', type: 'graph', value: body }, { name: 'else_branch', type: 'graph', value: body }] })] }));
    expect(codes(m)).toContain('error:SSA_REDEFINED');
  });

  it('opset sanity: missing default domain, unimported domain, bad and unknown versions, duplicates', () => {
    const graph = g({ inputs: ['x'], outputs: ['y'], nodes: [mkNode('Foo', ['x'], ['y'], { domain: 'com.example' })] });
    const base = mkModel(graph);
    expect(codes(base)).toEqual(['error:DOMAIN_NOT_IMPORTED']);
    expect(codes({ ...base, opsetImports: [{ domain: 'com.example', version: 1 }] })).toEqual(['warning:MISSING_DEFAULT_OPSET']);
    const relu = mkModel(g({ inputs: ['x'], outputs: ['y'], nodes: [mkNode('Relu', ['x'], ['y'])] }));
    expect(codes({ ...relu, opsetImports: [] })).toEqual(['error:MISSING_DEFAULT_OPSET']);
    expect(codes({ ...relu, opsetImports: [{ domain: '', version: 0 }] })).toEqual(['error:OPSET_VERSION_INVALID']);
    expect(codes({ ...relu, opsetImports: [{ domain: '', version: 99 }], irVersion: 13 })).toEqual(['warning:OPSET_VERSION_UNKNOWN']);
    expect(codes({ ...relu, opsetImports: [{ domain: '', version: 17 }, { domain: 'ai.onnx', version: 17 }] })).toEqual(['error:DUPLICATE_OPSET']);
    // 'ai.onnx' names the default domain too.
    expect(codes({ ...relu, opsetImports: [{ domain: 'ai.onnx', version: 17 }] })).toEqual([]);
  });

  it('IR version vs opset: opset 17 needs IR 8 (ONNX 1.12); IR < 3 is invalid', () => {
    const relu = mkModel(g({ inputs: ['x'], outputs: ['y'], nodes: [mkNode('Relu', ['x'], ['y'])] }));
    expect(codes({ ...relu, irVersion: 7 })).toEqual(['warning:IR_OPSET_MISMATCH']);
    expect(codes({ ...relu, irVersion: 8 })).toEqual([]);
    expect(codes({ ...relu, irVersion: 2 })).toContain('error:IR_VERSION_INVALID');
    expect(codes({ ...relu, irVersion: 99 })).toEqual(['warning:IR_VERSION_UNKNOWN']);
    // From the ONNX release table: 1.4.1 = IR 4 / opset 9, 1.6 = IR 6 / opset 11, 1.14 = IR 9 / opset 19.
    expect([9, 11, 19].map(minIrVersionForOpset)).toEqual([4, 6, 9]);
  });

  it('IR 3 wants initializers listed as graph inputs (warning)', () => {
    const m = mkModel(g({ inputs: ['x'], outputs: ['y'], initializers: [floatTensor('w', [4], [0, 0, 0, 0])], nodes: [mkNode('Add', ['x', 'w'], ['y'])] }), { irVersion: 3, opset: 8 });
    expect(codes(m)).toEqual(['warning:INITIALIZER_NOT_INPUT']);
  });

  it('function bodies are checked for undefined values', () => {
    const m: Model = { ...mkModel(g({ inputs: ['x'], outputs: ['x'] })), functions: [{
      name: 'f', domain: 'local', inputs: ['a'], outputs: ['c'], attributes: [], attributeProtos: [], valueInfo: [],
      opsetImports: [{ domain: '', version: 17 }],
      nodes: [{ id: '', name: 'f0', opType: 'Relu', domain: '', inputs: ['b'], outputs: ['c'], attributes: [] }],
    }] };
    expect(verifyModel(m)).toEqual([expect.objectContaining({ code: 'UNDEFINED_INPUT', graph: 'function "local.f"' })]);
  });
});
