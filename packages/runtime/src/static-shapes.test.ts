/**
 * Static shape inference is checked against the shapes values really have at run time (observed through the value
 * hook): every inferred rank and known dim must match, and each dim_param symbol must stand for one size per run.
 * Corpus: every passing ONNX node case, the onnx-pytorch cases, mnist-8, ultraface, ppocr (two input sizes),
 * silero and three onnx-light models. Coverage is asserted on the static-input models.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeTensor } from '@lowbit/onnx-ir';
import { createReferenceRegistry, Tensor } from '@lowbit/kernels';
import { Session } from './session.js';
import { loadCase } from './test-support/conformance/case.js';
import { listCases } from './test-support/conformance/runner.js';
import { seededUniform } from './test-support/seeded.js';
import { testdataPath } from '@lowbit/testing';
import { tensorFromRef, type Value } from './values.js';
import { graph, model, node, vi, i64Tensor } from './test-support/graph-builder.js';

/** Mismatches between inferred and observed shapes for one run. */
function check(session: Session, feeds: Record<string, Value>, label: string): string[] {
  const problems: string[] = [];
  const symbols = new Map<string, number>();
  const inferred = session.inferredShapes;
  const seen = (name: string, t: Tensor) => {
    const s = inferred.get(name);
    if (!s) return;
    if (s.length !== t.dims.length) {
      problems.push(`${label} ${name}: inferred rank ${s.length} [${s.join(', ')}], actual [${t.dims.join(', ')}]`);
      return;
    }
    s.forEach((d, i) => {
      if (typeof d === 'number' && d !== t.dims[i]) problems.push(`${label} ${name}: inferred [${s.join(', ')}], actual [${t.dims.join(', ')}]`);
      if (typeof d === 'string') {
        const prev = symbols.get(d);
        if (prev !== undefined && prev !== t.dims[i]) problems.push(`${label} ${name}: symbol ${d} is ${t.dims[i]} here, ${prev} elsewhere`);
        symbols.set(d, t.dims[i]);
      }
    });
  };
  session.runValues(feeds, { onValue: seen });
  return problems;
}

function coverage(session: Session): number {
  const all = session.model.graph.nodes.flatMap((n) => n.outputs.filter((o): o is string => !!o));
  const known = all.filter((o) => session.inferredShapes.get(o)?.every((d) => typeof d === 'number'));
  return known.length / all.length;
}

describe('static shape inference agrees with run-time shapes', () => {
  const registry = createReferenceRegistry();

  it('on every ONNX node case and onnx-pytorch case that runs', () => {
    const problems: string[] = [];
    let checked = 0;
    for (const folder of ['onnx-node', 'onnx-pytorch/converted', 'onnx-pytorch/operator', 'onnx-pytorch/simple']) {
      const root = testdataPath(...folder.split('/'));
      for (const name of listCases(root)) {
        let s: Session;
        let feeds: Record<string, Value>;
        try {
          const c = loadCase(join(root, name), name);
          s = Session.fromModel(c.model, { registry });
          feeds = c.feeds;
        } catch {
          continue; // unsupported cases are the conformance test's business
        }
        try {
          problems.push(...check(s, feeds, name));
          checked++;
        } catch {
          // a run failure is reported by the conformance test
        }
      }
    }
    expect(checked).toBeGreaterThan(1500);
    expect(problems).toEqual([]);
  });

  it('on real models, with full static coverage where the inputs are static', async () => {
    const m = (n: string) => testdataPath('models', `${n}.onnx`);
    const mnist = await Session.create(m('mnist-8'));
    expect(check(mnist, { Input3: new Tensor('float32', seededUniform(1, 784, 0, 1), [1, 1, 28, 28]) }, 'mnist')).toEqual([]);
    expect(coverage(mnist)).toBe(1);
    const uf = await Session.create(m('ultraface-rfb-320'));
    expect(check(uf, { input: new Tensor('float32', seededUniform(2, 230400, -1, 1), [1, 3, 240, 320]) }, 'ultraface')).toEqual([]);
    expect(coverage(uf)).toBeGreaterThan(0.95);
    const ocr = await Session.create(m('ppocr-mobile-v2-cls'));
    for (const [n, w] of [[1, 192], [2, 160]]) expect(check(ocr, { x: new Tensor('float32', seededUniform(3, n * 3 * 48 * w, -1, 1), [n, 3, 48, w]) }, 'ppocr')).toEqual([]);
    const vad = await Session.create(m('silero-vad-legacy'));
    expect(check(vad, {
      input: new Tensor('float32', seededUniform(4, 512, -0.5, 0.5), [1, 512]), sr: new Tensor('int64', [16000n], []),
      h: new Tensor('float32', new Float32Array(128), [2, 1, 64]), c: new Tensor('float32', new Float32Array(128), [2, 1, 64]),
    }, 'silero')).toEqual([]);
    for (const name of ['squeezenet', 'shufflenet', 'inception_v1']) {
      const dir = testdataPath('onnx-light');
      const s = await Session.create(join(dir, `light_${name}.onnx`));
      const b = readFileSync(join(dir, 'inputs', `light_${name}_input_0.pb`));
      expect(check(s, { [s.inputNames[0]]: tensorFromRef(decodeTensor(new Uint8Array(b))) }, name)).toEqual([]);
      expect(coverage(s)).toBeGreaterThan(0.9);
    }
  }, 60_000);
});

describe('shape conflicts', () => {
  it('a static MatMul inner-dimension mismatch is a NodeError at create, not at run', async () => {
    const m = model(graph({ inputs: [vi('a', 1, [2, 3]), vi('b', 1, [4, 5])], outputs: [vi('y')], nodes: [node('MatMul', ['a', 'b'], ['y'], [], 'mm')] }));
    await expect(Session.create(m)).rejects.toThrow(/node "mm" \(MatMul\): static shapes conflict: inner dimensions differ: 3 \(input\[0\]\) vs 4 \(input\[1\]\)/);
  });

  it('a Reshape that changes the element count is caught at create through a folded Shape/Concat chain', async () => {
    const m = model(graph({
      inputs: [vi('x', 1, [2, 6])], outputs: [vi('y')], initializers: [i64Tensor('five', [1], [5])],
      nodes: [node('Shape', ['x'], ['s']), node('Concat', ['s', 'five'], ['t'], [{ name: 'axis', type: 'int', value: 0n }]), node('Reshape', ['x', 't'], ['y'], [], 'r')],
    }));
    await expect(Session.create(m)).rejects.toThrow(/node "r" \(Reshape\): static shapes conflict: cannot reshape 12 elements \[2, 6\] to \[2, 6, 5\]/);
  });
});
