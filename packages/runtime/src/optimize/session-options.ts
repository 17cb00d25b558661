/**
 * How SessionOptions map to optimisation options: the level (checked), the names to keep (`keep`, plus `observe`
 * when the session has an `onValue` hook; a hook without `observe` watches every value, so nothing is optimised),
 * and the kernel-rank guard from the session's registry and ISA policy.
 */
import { ISAS, type KernelRegistry, type ResolvePolicy } from '@lowbit/kernels';
import { SessionOptionError } from '../errors.js';
import { GRAPH_OPTIMIZATION_LEVELS, type GraphOptimizationLevel, type OptimizeOptions } from './pipeline.js';

export interface OptimizationSessionOptions {
  readonly graphOptimization?: GraphOptimizationLevel;
  readonly keep?: readonly string[];
  readonly onValue?: unknown;
  readonly observe?: readonly string[];
}

export function sessionOptimizeOptions(o: OptimizationSessionOptions, registry: KernelRegistry, policy: ResolvePolicy): OptimizeOptions {
  const level = o.graphOptimization ?? 'all';
  if (!GRAPH_OPTIMIZATION_LEVELS.includes(level)) {
    throw new SessionOptionError({ option: 'graphOptimization', expected: GRAPH_OPTIMIZATION_LEVELS.map((l) => `'${l}'`).join(' | '), actual: JSON.stringify(level) });
  }
  const watchesAll = o.onValue !== undefined && o.observe === undefined;
  return {
    level: watchesAll ? 'none' : level,
    keepNames: [...(o.keep ?? []), ...(o.onValue !== undefined ? o.observe ?? [] : [])],
    rank: (key) => {
      try {
        return ISAS.indexOf(registry.resolve(key, policy).isa);
      } catch {
        return undefined;
      }
    },
  };
}
