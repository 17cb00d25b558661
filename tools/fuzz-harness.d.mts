import type fc from 'fast-check';
import type { Model } from '@lowbit/onnx-ir';

export const SEED_FILES: readonly string[];
export interface Seed { readonly name: string; readonly bytes: Uint8Array }
export function loadSeeds(testdata: string): Seed[];
export interface FuzzCase { readonly seed: number; readonly form: 'bytes' | 'ir'; readonly byteOps: readonly unknown[]; readonly irOps: readonly unknown[] }
export const fuzzCase: fc.Arbitrary<FuzzCase>;
export function materialize(c: FuzzCase, seeds: readonly Seed[]): Uint8Array | Model;
export interface CaseResult { readonly stage: 'decode' | 'check' | 'create' | 'run' | 'ran'; readonly code: string; readonly ms: number; readonly cpuMs: number }
/** Default memoryLimit 16 MiB and run timeoutMs 500: hostile shapes (a Gather of x by x) and trip counts are refused. */
export function runCase(input: Uint8Array | Model, options?: { memoryLimit?: number; timeoutMs?: number }): Promise<CaseResult>;
