/** Translating the public options into rewriter options. */
import type { NodeSelection } from '@lowbit/rewriters';
import type { Scheme } from '@lowbit/qparams';
import type { CommonOptions } from './types.js';

export function selectionOf(o: CommonOptions): NodeSelection {
  return {
    ...(o.opTypesToQuantize ? { opTypes: o.opTypesToQuantize } : {}),
    ...(o.nodesToQuantize ? { includeNodes: o.nodesToQuantize } : {}),
    ...(o.nodesToExclude ? { excludeNodes: o.nodesToExclude } : {}),
  };
}

export function schemeOf(symmetric: boolean | undefined, dflt: Scheme): Scheme {
  return symmetric === undefined ? dflt : symmetric ? 'symmetric' : 'asymmetric';
}
