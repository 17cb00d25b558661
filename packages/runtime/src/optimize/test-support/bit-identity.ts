/** TEST-ONLY: a fusion's bit identity, the literal graph (js, level none) against level all on js and native. */
import { expect } from 'vitest';
import type { KernelBackend, Tensor } from '@lowbit/kernels';
import type { Model } from '@lowbit/onnx-ir';
import { loadBackends } from '../../backend.js';
import { Session } from '../../session.js';
import { runLevels } from './qdq-graphs.js';

/** The float32 bits of a tensor's values (so -0 and NaN compare as themselves). */
export const bits = (t: Tensor): number[] => Array.from(new Uint32Array(Float32Array.from(t.data as Float32Array).buffer));

/** The native backend at 1 and 2 threads (undefined where the addon is absent). */
export async function nativeBackends(): Promise<(KernelBackend | undefined)[]> {
  return Promise.all([1, 2].map(async (threads) => (await loadBackends('native', { threads }))[0]));
}

/**
 * Expects outputs `names` of `m` at level all on js, and on each ready backend of `native`, to have the bits of the
 * literal graph's (js, level none), which it returns.
 */
export function expectBitIdentical(m: Model, feeds: Record<string, Tensor>, names: readonly string[], native: readonly (KernelBackend | undefined)[] = []): Record<string, Tensor> {
  const [a, b] = runLevels(m, feeds, ['none', 'all']);
  for (const y of names) expect(bits(b[y])).toEqual(bits(a[y]));
  for (const be of native) {
    if (!be?.ready) continue;
    const z = Session.fromModel(m, { backend: 'native', backends: [be] }).runSync(feeds);
    for (const y of names) expect(bits(z[y])).toEqual(bits(a[y]));
  }
  return a;
}
