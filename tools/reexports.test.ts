import { describe, expect, it } from 'vitest';
import { lowbitReexports } from './reexports.mjs';

describe('lowbitReexports (the testing-package rule of check-boundaries.mjs)', () => {
  it('finds direct re-exports, star exports and type-only ones, multi-line included', () => {
    const text = [
      "export { DataType, encodeModel } from '@lowbit/onnx-ir';",
      "export type {\n  Model,\n  TensorRef,\n} from '@lowbit/onnx-ir';",
      "export * from '@lowbit/kernels';",
      "export * as qp from '@lowbit/qparams';",
    ].join('\n');
    expect(lowbitReexports(text)).toEqual([
      { spec: '@lowbit/onnx-ir', names: ['DataType', 'encodeModel', 'Model', 'TensorRef'] },
      { spec: '@lowbit/kernels', names: ['*'] },
      { spec: '@lowbit/qparams', names: ['* as qp'] },
    ]);
  });

  it('finds a name imported from a package and exported in a second statement, renamed or not', () => {
    const text = "import { decodeModel as dm, type Attr } from '@lowbit/onnx-ir';\nimport * as k from '@lowbit/kernels';\nexport { dm as decode, k };\nexport type { Attr };";
    expect(lowbitReexports(text)).toEqual([
      { spec: '@lowbit/onnx-ir', names: ['decode', 'Attr'] },
      { spec: '@lowbit/kernels', names: ['k'] },
    ]);
  });

  it('leaves alone own exports, relative re-exports and imports that are only used', () => {
    const text = [
      "import { decodeModel } from '@lowbit/onnx-ir';",
      "export { readFixtureCase } from './onnx-fixtures.js';",
      'export function read(b: Uint8Array) { return decodeModel(b); }',
      "export * from './graph-builder.js';",
      "import fc from 'fast-check';\nexport { fc };",
    ].join('\n');
    expect(lowbitReexports(text)).toEqual([]);
  });
});
