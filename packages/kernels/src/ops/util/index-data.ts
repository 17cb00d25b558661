import type { Tensor } from '../../tensor.js';

/** Storage viewed as an indexable bag of elements, for dtype-agnostic copies (bit-exact). */
export type Elems = { [i: number]: unknown; readonly length: number };

export const elems = (t: Tensor): Elems => t.data as unknown as Elems;
