import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { testdataPath } from './testdata.js';

/**
 * Every ONNX model file in the shared test data, in a stable order: the node test cases (onnx-node,
 * onnx-node-v1.13-quant), the onnx-pytorch cases, the onnx-light models and models/*.onnx.
 */
export function listCorpusModels(): string[] {
  const out: string[] = [];
  const cases = (dir: string): void => {
    for (const c of readdirSync(dir).sort()) {
      const p = join(dir, c, 'model.onnx');
      if (existsSync(p)) out.push(p);
    }
  };
  cases(testdataPath('onnx-node'));
  cases(testdataPath('onnx-node-v1.13-quant'));
  for (const sub of ['converted', 'operator', 'simple']) cases(testdataPath('onnx-pytorch', sub));
  for (const d of [testdataPath('onnx-light'), testdataPath('models')]) {
    for (const f of readdirSync(d).sort()) if (f.endsWith('.onnx')) out.push(join(d, f));
  }
  return out;
}
