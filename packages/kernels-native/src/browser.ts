/**
 * The browser entry (`browser` export condition): the native kernels are a Node addon, so here the backend is
 * constructed not ready, with the reason in `diagnostics`, and `@lowbit/runtime`'s `auto` falls back to wasm/js.
 * No Node built-in is imported, so bundles for browsers stay free of `node:` modules.
 */
import type { KernelBackend } from '@lowbit/kernels';

/** Accepts the Node entry's options (`mallocTuning`) and ignores them. */
export function createNativeBackend(_options: { readonly mallocTuning?: boolean } = {}): KernelBackend {
  const why = '@lowbit/kernels-native is a Node.js addon and is not available in browsers; use the wasm backend';
  return { name: 'native', ready: false, isas: [], threads: 0, diagnostics: [why], init: async () => {}, variants: () => [] };
}
