#!/usr/bin/env node
/**
 * `node packages/runtime/dist/conformance/light-cli.js [ONNX_LIGHT_DIR] [NAME...]`: runs the onnx-light models
 * (all nine by default) and prints one line per model: OK or the first mismatch, with the time taken.
 * Exit code 1 when any model does not reproduce its stored output.
 */
import { resolve } from 'node:path';
import { checkLightModel, LIGHT_MODELS } from './light.js';

async function main(argv: string[]): Promise<number> {
  const dir = argv[0] && !LIGHT_MODELS.includes(argv[0]) ? argv[0] : resolve(process.env.LOWBIT_TESTDATA ?? resolve('..', 'shared', 'testdata'), 'onnx-light');
  const names = argv.filter((a) => LIGHT_MODELS.includes(a));
  let bad = 0;
  for (const name of names.length ? names : LIGHT_MODELS) {
    const r = await checkLightModel(dir, name).catch((e: Error) => ({ name, outputs: 0, mismatch: `threw: ${e.message}`, ms: 0 }));
    if (r.mismatch) bad++;
    process.stdout.write(`${name.padEnd(14)} ${r.mismatch ? `FAIL ${r.mismatch}` : 'OK'}  (${(r.ms / 1000).toFixed(1)} s)\n`);
  }
  return bad ? 1 : 0;
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
