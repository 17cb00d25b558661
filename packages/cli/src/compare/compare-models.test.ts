import { describe, expect, it } from 'vitest';
import type { Model, Node } from '@lowbit/onnx-ir';
import { Tensor } from '@lowbit/kernels';
import { compareModels, type Feeds } from './compare-models.js';
import { compareJson, compareText } from './report.js';

let ids = 0;
const node = (opType: string, inputs: string[], outputs: string[], attributes: Node['attributes'] = []): Node => ({
  id: `n${ids++}`, name: `${opType}_${outputs[0]}`, opType, domain: '', inputs, outputs, attributes,
});
const cast = (to: number): Node['attributes'] => [{ name: 'to', type: 'int', value: BigInt(to) }];

function model(nodes: Node[]): Model {
  const t = { kind: 'tensor' as const, elemType: 1 as const, shape: [2, 3] };
  return {
    irVersion: 8, opsetImports: [{ domain: '', version: 13 }], functions: [], metadataProps: [],
    graph: {
      name: 'g', inputs: [{ name: 'X', type: t }], outputs: [{ name: 'Y', type: t }],
      initializers: [], sparseInitializers: [], valueInfo: [], nodes,
    },
  };
}

// Float: R = Relu(X); Y = Identity(R).
const floatModel = model([node('Relu', ['X'], ['R']), node('Identity', ['R'], ['Y'])]);
// "Quantized": R is a uint8 Cast of Relu(X) (an integer tensor with no scale/zero point), Y casts it back to float,
// so Y = floor-ish uint8 truncation of R. Cast float->uint8 truncates toward zero for in-range values.
const quantModel = model([
  node('Relu', ['X'], ['R_float']),
  node('Cast', ['R_float'], ['R'], cast(2)),
  node('Cast', ['R'], ['Y'], cast(1)),
]);

async function* samples(rows: number[][]): AsyncGenerator<Feeds> {
  for (const r of rows) yield { X: new Tensor('float32', Float32Array.from(r), [2, 3]) };
}

describe('compareModels on hand-built models', () => {
  it('reports output metrics over all samples, skips an integer layer without qparams, and says why', async () => {
    const rows = [
      [0.5, 1, 2, -1, 3, 0.25], // Relu: [0.5, 1, 2, 0, 3, 0.25]; truncated: [0, 1, 2, 0, 3, 0]
      [4, 4.75, -2, 1, 1, 1], //   Relu: [4, 4.75, 0, 1, 1, 1];      truncated: [4, 4, 0, 1, 1, 1]
    ];
    const r = await compareModels(floatModel, quantModel, samples(rows));
    expect(r.samples).toBe(2);
    // Errors: 0.5, 0.25 (sample 1) and 0.75 (sample 2) -> sum e^2 = 0.25 + 0.0625 + 0.5625 = 0.875.
    // Signal: 0.25+1+4+0+9+0.0625 + 16+22.5625+0+1+1+1 = 55.875. SQNR = 10*log10(55.875/0.875) = 18.0527 dB.
    const y = r.outputs[0];
    expect(y.name).toBe('Y');
    expect(y.dims).toEqual([2, 3]);
    expect(y.metrics.elements).toBe(12);
    expect(y.metrics.sqnrDb).toBeCloseTo(10 * Math.log10(55.875 / 0.875), 9);
    expect(y.metrics.maxAbsError).toBe(0.75);
    // Top-1 over the last axis (3 classes), 4 rows: sample 1 rows [0.5,1,2]/[0,1,2] agree (2), [0,3,0.25]/[0,3,0]
    // agree (1); sample 2 rows [4,4.75,0]/[4,4,0]: argmax 1 vs 0 (first of the tie) disagree; [1,1,1]/[1,1,1] agree.
    expect(y.top1).toEqual({ rows: 4, agree: 3, rate: 0.75 });
    expect(r.layers.map((l) => l.name)).toEqual(['Y']);
    expect(r.skipped).toEqual([{ name: 'R', reason: 'the quantized value is uint8 with no known per-tensor scale/zero point' }]);
    const text = compareText('f.onnx', 'q.onnx', r);
    expect(text).toContain('1 layer skipped:');
    expect(text).toContain('R: the quantized value is uint8');
    expect(text).toContain('75.0% (3/4)');
    const j = compareJson('f.onnx', 'q.onnx', r);
    expect(j.skippedLayers).toEqual([{ name: 'R', reason: 'the quantized value is uint8 with no known per-tensor scale/zero point' }]);
    expect(j.layers[0]).toMatchObject({ index: 0, name: 'Y', opType: 'Identity', quantizedDtype: 'float32' });
  });

  it('a model compared with itself: every layer identical (inf in text, null + "identical" in JSON)', async () => {
    const r = await compareModels(floatModel, floatModel, samples([[1, -2, 3, 4, 5, -6]]));
    expect(r.layers.map((l) => [l.name, l.metrics.sqnrDb])).toEqual([['R', Infinity], ['Y', Infinity]]);
    expect(r.skipped).toEqual([]);
    expect(r.notInQuantized).toBe(0);
    expect(compareText('a', 'a', r)).toMatch(/Y\s+inf\s+1\.000000\s+0\s+100\.0% \(2\/2\)/);
    const j = JSON.parse(JSON.stringify(compareJson('a', 'a', r)));
    expect(j.outputs[0]).toMatchObject({ sqnrDb: null, sqnrNote: 'identical', cosine: 1, maxAbsError: 0 });
    expect(j.layers.every((l: { sqnrDb: unknown; sqnrNote: unknown }) => l.sqnrDb === null && l.sqnrNote === 'identical')).toBe(true);
  });
});
