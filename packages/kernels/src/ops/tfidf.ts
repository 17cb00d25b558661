/**
 * TfIdfVectorizer: counts the pool's n-grams in each row of X ([C] or [B, C], int or string) and weights them.
 * The pool (pool_int64s or pool_strings) lists n-grams by size: ngram_counts[i] is where the (i+1)-grams start;
 * the j-th pooled n-gram lands in output column ngram_indexes[j]; only sizes min_gram_length..max_gram_length count.
 * An occurrence of an n-gram with skip s (0..max_skip_count) is X[p], X[p+s+1], ...; unigrams count once, not per
 * skip. mode TF: the counts; IDF: weights[i] (or 1) where the count > 0; TFIDF: weights[i] (or 1) * count.
 * Output float32 [output_size] or [B, output_size], output_size = max(ngram_indexes) + 1.
 */
import type { KernelVariant } from '../contract.js';
import { attrFloats, attrInt, attrInts, attrString, attrStrings } from './util/attrs.js';
import { kernelError, need } from './util/fail.js';
import { elems } from './util/index-data.js';
import { scalarKernel } from './util/variant.js';

export const TFIDF_KERNELS: KernelVariant[] = [
  scalarKernel('TfIdfVectorizer', (node) => {
    const minN = attrInt(node, 'min_gram_length', 1);
    const maxN = attrInt(node, 'max_gram_length', 1);
    const maxSkip = attrInt(node, 'max_skip_count', 0);
    const mode = attrString(node, 'mode', 'TF');
    if (!['TF', 'IDF', 'TFIDF'].includes(mode)) throw kernelError(node, 'attribute "mode"', { expected: 'TF|IDF|TFIDF', actual: mode });
    const counts = attrInts(node, 'ngram_counts') ?? [];
    const indexes = attrInts(node, 'ngram_indexes') ?? [];
    const weights = attrFloats(node, 'weights') ?? [];
    const pool: string[] = (attrInts(node, 'pool_int64s') ?? []).map(String);
    if (pool.length === 0) pool.push(...(attrStrings(node, 'pool_strings') ?? []));
    const outSize = indexes.length === 0 ? 0 : Math.max(...indexes) + 1;
    // n-gram key (items joined by U+0001) -> output column, for the sizes that count.
    const table = new Map<string, number>();
    let j = 0;
    counts.forEach((start, i) => {
      const n = i + 1;
      const end = i + 1 < counts.length ? counts[i + 1] : pool.length;
      for (let p = start; p + n <= end; p += n, j++) {
        if (n >= minN && n <= maxN) table.set(pool.slice(p, p + n).join('\u0001'), indexes[j]);
      }
    });
    return (inputs, ctx) => {
      const x = need(node, inputs, 0);
      if (x.dims.length > 2) throw kernelError(node, 'shape', { inputIndex: 0, expected: '[C] or [B, C]', actual: `[${x.dims}]` });
      const rows = x.dims.length === 2 ? x.dims[0] : 1;
      const C = x.dims.length === 0 ? 1 : x.dims[x.dims.length - 1];
      const X = elems(x);
      const freq = new Float64Array(rows * outSize);
      for (let r = 0; r < rows; r++) {
        const item = (p: number) => String(X[r * C + p]);
        for (let d = 1; d <= maxSkip + 1; d++) {
          for (let n = Math.max(minN, d > 1 ? 2 : 1); n <= maxN; n++) {
            for (let p = 0; p + (n - 1) * d < C; p++) {
              const parts: string[] = [];
              for (let k = 0; k < n; k++) parts.push(item(p + k * d));
              const col = table.get(parts.join('\u0001'));
              if (col !== undefined) freq[r * outSize + col]++;
            }
          }
        }
      }
      const out = ctx.alloc('float32', x.dims.length === 2 ? [rows, outSize] : [outSize]);
      for (let i = 0; i < freq.length; i++) {
        const w = weights.length > 0 ? weights[i % outSize] : 1;
        out.data[i] = mode === 'TF' ? freq[i] : mode === 'IDF' ? (freq[i] > 0 ? w : 0) : w * freq[i];
      }
      return [out];
    };
  }),
];
