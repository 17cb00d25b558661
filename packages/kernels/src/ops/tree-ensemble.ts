/**
 * ai.onnx.ml TreeEnsemble (opset 5): X [N, F] -> [N, n_targets]. Each tree (tree_roots) is walked from its root:
 * node i compares X[n, nodes_featureids[i]] with nodes_splits[i] by nodes_modes[i] (0 <=, 1 <, 2 >=, 3 >, 4 ==,
 * 5 !=, 6 member of a set; NaN goes true when nodes_missing_value_tracks_true[i]) and follows the true/false id,
 * which names a leaf when nodes_trueleafs/falseleafs says so. Set members come from membership_values, NaN-separated,
 * assigned to member nodes in depth-first (true branch first) order over the trees. Leaf weights are aggregated per
 * target (aggregate_function 0 average, 1 sum, 2 min, 3 max); post_transform must be 0 (none).
 */
import type { KernelVariant } from '../contract.js';
import { attrInt, attrInts, attrTensor } from './util/attrs.js';
import { kernelError, need } from './util/fail.js';
import { toNumbers, writeNumbers } from './util/values.js';
import { scalarKernel } from './util/variant.js';

export const TREE_ENSEMBLE_KERNELS: KernelVariant[] = [
  scalarKernel('TreeEnsemble', (node) => {
    const num = (name: string) => {
      const t = attrTensor(node, name);
      return t ? Array.from(toNumbers(t)) : [];
    };
    const splits = num('nodes_splits');
    const modes = num('nodes_modes');
    const leafW = num('leaf_weights');
    const members = num('membership_values');
    const ints = (name: string) => attrInts(node, name) ?? [];
    const feat = ints('nodes_featureids');
    const tIds = ints('nodes_truenodeids');
    const fIds = ints('nodes_falsenodeids');
    const tLeaf = ints('nodes_trueleafs');
    const fLeaf = ints('nodes_falseleafs');
    const leafT = ints('leaf_targetids');
    const roots = ints('tree_roots');
    const missTrue = ints('nodes_missing_value_tracks_true');
    const agg = attrInt(node, 'aggregate_function', 1);
    const post = attrInt(node, 'post_transform', 0);
    const nTargets = attrInt(node, 'n_targets', 1);
    if (post !== 0) throw kernelError(node, 'attribute "post_transform"', { expected: '0 (none)', actual: String(post) });
    if (agg < 0 || agg > 3) throw kernelError(node, 'attribute "aggregate_function"', { expected: '0..3', actual: String(agg) });
    // Member sets in depth-first build order.
    const sets = new Map<number, Set<number>>();
    let mi = 0;
    const visit = (i: number, leaf: boolean) => {
      if (leaf) return;
      if (modes[i] === 6) {
        const s = new Set<number>();
        while (mi < members.length && !Number.isNaN(members[mi])) s.add(members[mi++]);
        mi++;
        sets.set(i, s);
      }
      visit(tIds[i], !!tLeaf[i]);
      visit(fIds[i], !!fLeaf[i]);
    };
    const rootIsLeaf = (r: number) => !!tLeaf[r] && !!fLeaf[r] && tIds[r] === fIds[r];
    for (const r of roots) visit(r, rootIsLeaf(r));
    const goesTrue = (i: number, v: number): boolean => {
      if (Number.isNaN(v) && missTrue[i]) return true;
      const s = splits[i];
      switch (modes[i]) {
        case 0: return v <= s;
        case 1: return v < s;
        case 2: return v >= s;
        case 3: return v > s;
        case 4: return v === s;
        case 5: return v !== s;
        default: return sets.get(i)!.has(v);
      }
    };
    return (inputs, ctx) => {
      const x = need(node, inputs, 0);
      const [N, F] = x.dims;
      const X = toNumbers(x);
      const init = agg === 2 ? Infinity : agg === 3 ? -Infinity : 0;
      const res = new Float64Array(N * nTargets).fill(init);
      for (let n = 0; n < N; n++) {
        for (const r of roots) {
          let i = r;
          let leaf = rootIsLeaf(r);
          while (!leaf) {
            const t = goesTrue(i, X[n * F + feat[i]]);
            leaf = t ? !!tLeaf[i] : !!fLeaf[i];
            i = t ? tIds[i] : fIds[i];
          }
          const o = n * nTargets + leafT[i];
          const w = leafW[i];
          if (agg === 0) res[o] += w / roots.length;
          else if (agg === 1) res[o] += w;
          else if (agg === 2) res[o] = Math.min(res[o], w);
          else res[o] = Math.max(res[o], w);
        }
      }
      const out = ctx.alloc(x.dtype, [N, nTargets]);
      writeNumbers(x.dtype, out.data, res);
      return [out];
    };
  }, 'ai.onnx.ml'),
];
