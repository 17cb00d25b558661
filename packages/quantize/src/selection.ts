/** Translating the public options into rewriter options. */
import type { NodeSelection, QScheme } from '@lowbit/rewriters';
import type { CommonOptions } from './types.js';

export function selectionOf(o: CommonOptions): NodeSelection {
  return {
    ...(o.opTypesToQuantize ? { opTypes: o.opTypesToQuantize } : {}),
    ...(o.nodesToQuantize ? { includeNodes: o.nodesToQuantize } : {}),
    ...(o.nodesToExclude ? { excludeNodes: o.nodesToExclude } : {}),
  };
}

export function schemeOf(symmetric: boolean | undefined, dflt: QScheme): QScheme {
  return symmetric === undefined ? dflt : symmetric ? 'symmetric' : 'asymmetric';
}
