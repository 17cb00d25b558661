import { defineConfig } from 'vite';
// @ts-expect-error plain JavaScript helper without declarations
import { noNodeBuiltins } from './scripts/no-node-builtins.mjs';

/** Cross-origin isolation (SharedArrayBuffer for threaded wasm), for the dev and preview servers. */
const isolation = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

export default defineConfig({
  base: './',
  server: { headers: isolation },
  preview: { headers: isolation },
  plugins: [noNodeBuiltins({ fail: true })],
  worker: { format: 'es', plugins: () => [noNodeBuiltins({ fail: true })] },
  build: { target: 'es2022', outDir: 'dist', emptyOutDir: true, sourcemap: false },
});
