#!/usr/bin/env node
// Install step of @lowbit/kernels-native: builds the addon with node-gyp and the machine's compiler, against the
// headers of the running Node (never downloads them). Always exits 0: when the build fails the package still installs,
// one line says why (full log in build-addon.log) and createNativeBackend() reports ready=false with the reason.
// LOWBIT_NATIVE_SKIP=1 skips the build.
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const log = join(root, 'build-addon.log');
const say = (msg) => console.log(`@lowbit/kernels-native: ${msg}`);

function nodeDir() {
  const candidates = [process.env.npm_config_nodedir, resolve(dirname(process.execPath), '..'), '/usr', '/usr/local'].filter(Boolean);
  return candidates.find((d) => existsSync(join(d, 'include', 'node', 'node_api.h')));
}

function main() {
  if (process.env.LOWBIT_NATIVE_SKIP === '1') {
    writeFileSync(log, 'skipped: LOWBIT_NATIVE_SKIP=1\n');
    say('native addon build skipped (LOWBIT_NATIVE_SKIP=1); the wasm/TypeScript kernels will be used');
    return;
  }
  const dir = nodeDir();
  if (!dir) {
    writeFileSync(log, `no Node headers (include/node/node_api.h) next to ${process.execPath}, in /usr or /usr/local\n`);
    say('native addon not built: Node headers not found (see build-addon.log); the wasm/TypeScript kernels will be used');
    return;
  }
  let gyp;
  try {
    gyp = createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js');
  } catch {
    writeFileSync(log, 'node-gyp is not installed\n');
    say('native addon not built: node-gyp is not installed; the wasm/TypeScript kernels will be used');
    return;
  }
  const args = [gyp, 'rebuild', `--nodedir=${dir}`, '--jobs=max'];
  const r = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, env: { ...process.env, npm_config_nodedir: dir } });
  writeFileSync(log, `$ node ${args.join(' ')}\n${r.stdout ?? ''}\n${r.stderr ?? ''}\n${r.error ? String(r.error) : ''}\nexit ${r.status}\n`);
  if (r.status !== 0 || !existsSync(join(root, 'build', 'Release', 'lowbit_native.node'))) {
    const err = (r.stderr ?? '').split('\n').find((l) => /error/i.test(l)) ?? (r.error ? String(r.error) : `node-gyp exited ${r.status}`);
    say(`native addon not built (${err.trim().slice(0, 160)}; full log in build-addon.log); the wasm/TypeScript kernels will be used`);
    return;
  }
  say('native addon built (build/Release/lowbit_native.node)');
}

try {
  main();
} catch (e) {
  say(`native addon not built (${e instanceof Error ? e.message : String(e)}); the wasm/TypeScript kernels will be used`);
}
process.exit(0);
