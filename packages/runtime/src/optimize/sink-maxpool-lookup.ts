/**
 * Pass `sink-maxpool-lookup`: a MaxPool of a float table lookup (ppocr's last HardSwish before its pooling head)
 *
 *   a = lowbit.QLookup(x_q, T)   (T float32, 256 entries)   ->   MaxPool(a)
 *
 * pools the bytes instead, through the order of T: R[b] = the rank of T[b] among T's distinct values (a uint8 table)
 * and V[r] = the value of rank r (a float32 table), so
 *
 *   lowbit.QLookup(x_q, R) -> MaxPool (uint8, the same attributes) -> lowbit.QLookup(., V)
 *
 * Exact for any T, monotonic or not (HardSwish dips below zero): max over a window of T[x] is V[max of R[x]] since R
 * orders the bytes as T orders their values, and values that compare equal have the same bits (the guards below).
 * The pooled float tensor is a quarter of the bytes for a 2x2 window, and a GlobalAveragePool reading V's lookup can
 * then fuse with it (pass fuse-lookup-gate).
 *
 * Preconditions: T a float32 initializer of 256 elements with no NaN, and not both +0 and -0 (equal values, different
 * bits: the float pool keeps the first tap's) unless only GlobalAveragePools read the pool (their sum reads -0 as +0;
 * the pooled value, not observable, then holds +0 for -0); the MaxPool has one output (no Indices), no padding (`pads` all 0, `auto_pad` NOTSET or VALID) and
 * `ceil_mode` 0, so no window is empty (the float pool of an empty window is -inf, which no byte stands for); `a` read
 * only by the MaxPool and removable. Rank guard: kernels for `MaxPool:u8` and `lowbit.QLookup` (u8 and i8) exist.
 * Identity rule: nothing rewritten -> the same model back.
 */
import { attrInt, DataType, editGraph, graphIndex, normalizeDomain, tensorFromValues } from '@lowbit/onnx-ir';
import type { Attr, Node, Pass, PassContext } from '@lowbit/onnx-ir';
import { Constants, isOp, LOWBIT_DOMAIN, passOptions, removable, soleConsumer } from './support.js';

/**
 * R (ranks) and V (values by rank, padded with the largest) of a float table, or undefined when a guard fails (a NaN;
 * both signed zeros unless `zeroSignFree`, which then ranks them as one, +0).
 */
export function rankTables(t: Float32Array, zeroSignFree = false): { ranks: Uint8Array; values: Float32Array } | undefined {
  let posZero = false;
  let negZero = false;
  for (const v of t) {
    if (v !== v) return undefined;
    if (v === 0) {
      if (Object.is(v, -0)) negZero = true;
      else posZero = true;
    }
  }
  if (posZero && negZero && !zeroSignFree) return undefined;
  // A Set keys -0 and +0 as one (SameValueZero): mapped to +0 first so the kept one is +0.
  const distinct = Float32Array.from(new Set(Array.from(t, (v) => (v === 0 ? 0 : v)))).sort();
  const ranks = new Uint8Array(t.length);
  for (let b = 0; b < t.length; b++) {
    let lo = 0;
    let hi = distinct.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (distinct[mid] < t[b]) lo = mid + 1;
      else hi = mid;
    }
    ranks[b] = lo;
  }
  const values = new Float32Array(256).fill(distinct[distinct.length - 1]);
  values.set(distinct);
  return { ranks, values };
}

function poolOk(n: Node): boolean {
  if (n.outputs.length !== 1 || !n.outputs[0] || n.inputs.length !== 1) return false;
  for (const a of n.attributes as readonly Attr[]) {
    if (a.name === 'pads' && a.type === 'ints' && a.value.some((v) => v !== 0n)) return false;
    if (a.name === 'auto_pad' && a.type === 'string' && !['NOTSET', 'VALID', ''].includes(a.value)) return false;
  }
  return attrInt(n, 'ceil_mode', 0) === 0 && attrInt(n, 'storage_order', 0) === 0;
}

export const sinkMaxPoolLookup: Pass = {
  name: 'sink-maxpool-lookup',
  run(m, ctx: PassContext) {
    const g = m.graph;
    if (!g.nodes.some((n) => isOp(n, 'MaxPool'))) return { model: m, modified: false };
    const opts = passOptions(ctx);
    const consts = new Constants(g);
    const idx = graphIndex(g);
    const found: { lookup: Node; pool: Node; tables: { ranks: Uint8Array; values: Float32Array } }[] = [];
    for (const lookup of g.nodes) {
      if (lookup.opType !== 'QLookup' || normalizeDomain(lookup.domain) !== LOWBIT_DOMAIN || lookup.outputs.length !== 1) continue;
      const [xq, tn] = lookup.inputs;
      const t = consts.tensor(tn);
      if (!xq || !tn || !t || t.dtype !== 'float32' || t.data.length !== 256 || !idx.initializer(tn)) continue;
      const pool = soleConsumer(g, opts, lookup.outputs[0]);
      if (!isOp(pool, 'MaxPool') || pool.inputs[0] !== lookup.outputs[0] || !poolOk(pool)) continue;
      if (opts.rank && (opts.rank('MaxPool:u8') === undefined || opts.rank(`${LOWBIT_DOMAIN}.QLookup:u8`) === undefined || opts.rank(`${LOWBIT_DOMAIN}.QLookup:i8`) === undefined)) continue;
      // Both signed zeros in T: only when every reader of the pool is a GlobalAveragePool, whose float32 sum starts at
      // +0 and so reads -0 and +0 alike; the pool's output then holds +0 where the float pool had -0.
      const readers = idx.consumers(pool.outputs[0]!);
      const zeroSignFree = readers.length > 0 && readers.every((r) => isOp(r.node, 'GlobalAveragePool')) && idx.captures(pool.outputs[0]!).length === 0 && removable(g, opts, pool.outputs[0]!);
      const tables = rankTables(t.data as Float32Array, zeroSignFree);
      if (tables) found.push({ lookup, pool, tables });
    }
    if (found.length === 0) return { model: m, modified: false };
    const out = editGraph(g, (e) => {
      for (const { lookup, pool, tables } of found) {
        const rn = e.freshName(`${lookup.inputs[1]}_ranks`);
        const vn = e.freshName(`${lookup.inputs[1]}_by_rank`);
        e.addInitializer(tensorFromValues(rn, DataType.UINT8, [256], tables.ranks));
        e.addInitializer(tensorFromValues(vn, DataType.FLOAT, [256], tables.values));
        const ranked = e.freshName(`${lookup.outputs[0]}_ranks`);
        const pooled = e.freshName(`${pool.outputs[0]}_ranks`);
        e.removeValueInfo(lookup.outputs[0]!);
        e.updateNode(lookup, { inputs: [lookup.inputs[0]!, rn], outputs: [ranked] });
        e.updateNode(pool, { inputs: [ranked], outputs: [pooled] });
        e.insertAfter(pool, {
          opType: 'QLookup', domain: LOWBIT_DOMAIN, inputs: [pooled, vn], outputs: [pool.outputs[0]!], attributes: [],
          name: e.freshName(`${pool.name || 'MaxPool'}_by_rank`),
        });
      }
    });
    return { model: { ...m, graph: out }, modified: true };
  },
};
