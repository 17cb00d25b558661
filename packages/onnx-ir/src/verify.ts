/**
 * Structural checks of a Model. `verifyModel` never throws for a bad model; it returns diagnostics:
 *
 * - SSA: every value is defined once (graph inputs, initializers, node outputs), also across nested scopes for node
 *   outputs (as the ONNX checker requires).
 * - Order: nodes are topologically sorted; every input is defined before use (graph input, initializer, an earlier
 *   node's output, or for subgraphs a value visible in an enclosing scope at the owning node).
 * - Graph outputs are defined. Node ids are present and unique per graph. Initializer names are unique.
 * - Opsets: the default domain is imported (when used), every node domain is imported, versions are positive and
 *   within the known range, the IR version is new enough for the default opset.
 */
import { subgraphsOf } from './graph-index.js';
import { nodeLabel } from './topo.js';
import type { Diagnostic } from './diagnostic.js';
import { normalizeDomain } from './domain.js';
import type { FunctionDef, Graph, Model, Node, OpsetImport } from './types.js';


/** Newest versions this code knows (ONNX 1.20: opset 28, IR 13). Newer ones are a warning, not an error. */
export const KNOWN_OPSETS: Readonly<Record<string, number>> = {
  '': 28,
  'ai.onnx.ml': 5,
  'ai.onnx.preview': 1,
  'ai.onnx.training': 1,
  'ai.onnx.preview.training': 1,
};
export const MAX_KNOWN_IR_VERSION = 13;

/** Smallest IR version that can carry a given default-domain opset (ONNX docs/Versioning.md release table). */
export function minIrVersionForOpset(opset: number): number {
  if (opset <= 8) return 3;
  if (opset === 9) return 4;
  if (opset === 10) return 5;
  if (opset === 11) return 6;
  if (opset <= 14) return 7;
  if (opset <= 18) return 8;
  if (opset <= 20) return 9;
  if (opset <= 22) return 10;
  if (opset === 23) return 11;
  if (opset === 24) return 12;
  return 13;
}

/** All diagnostics for the model; an empty array means it is well-formed as far as these checks go. */
export function verifyModel(model: Model): Diagnostic[] {
  const out: Diagnostic[] = [];
  checkOpsets(model, out);
  const domains = new Set(model.opsetImports.map((o) => normalizeDomain(o.domain)));
  verifyGraph(model.graph, {
    visible: new Set(), later: new Set(), where: `graph "${model.graph.name}"`, domains, out,
    irVersion: model.irVersion, isMain: true, checkIds: true,
  });
  for (const f of model.functions) verifyFunction(f, out);
  return out;
}

/** Only the errors of `verifyModel`. */
export function verifyErrors(model: Model): Diagnostic[] {
  return verifyModel(model).filter((d) => d.severity === 'error');
}

function checkOpsets(model: Model, out: Diagnostic[]): void {
  const seen = new Set<string>();
  const where = 'model';
  for (const o of model.opsetImports) {
    const d = normalizeDomain(o.domain);
    if (seen.has(d)) out.push({ severity: 'error', code: 'DUPLICATE_OPSET', message: `opset domain "${o.domain}" is imported twice`, graph: where });
    seen.add(d);
    checkOpsetVersion(o, where, out);
  }
  const def = model.opsetImports.find((o) => normalizeDomain(o.domain) === '');
  if (def === undefined) {
    const used = usesDefaultDomain(model.graph);
    out.push({
      severity: used ? 'error' : 'warning', code: 'MISSING_DEFAULT_OPSET',
      message: `the default ONNX domain is not imported${used ? ' but nodes use it' : ''}`, graph: where,
    });
  } else if (Number.isInteger(def.version) && def.version >= 1 && model.irVersion < minIrVersionForOpset(def.version)) {
    out.push({
      severity: 'warning', code: 'IR_OPSET_MISMATCH',
      message: `IR version ${model.irVersion} is older than opset ${def.version} needs (IR >= ${minIrVersionForOpset(def.version)})`, graph: where,
    });
  }
  if (!Number.isInteger(model.irVersion) || model.irVersion < 3) {
    out.push({ severity: 'error', code: 'IR_VERSION_INVALID', message: `IR version ${model.irVersion} is not supported (expected >= 3, the first with opset imports)`, graph: where });
  } else if (model.irVersion > MAX_KNOWN_IR_VERSION) {
    out.push({ severity: 'warning', code: 'IR_VERSION_UNKNOWN', message: `IR version ${model.irVersion} is newer than the newest known (${MAX_KNOWN_IR_VERSION})`, graph: where });
  }
}

function checkOpsetVersion(o: OpsetImport, where: string, out: Diagnostic[]): void {
  const d = normalizeDomain(o.domain);
  if (!Number.isInteger(o.version) || o.version < 1) {
    out.push({ severity: 'error', code: 'OPSET_VERSION_INVALID', message: `opset "${o.domain}" has version ${o.version}, expected a positive integer`, graph: where });
    return;
  }
  const max = KNOWN_OPSETS[d];
  if (max !== undefined && o.version > max) {
    out.push({ severity: 'warning', code: 'OPSET_VERSION_UNKNOWN', message: `opset "${o.domain}" version ${o.version} is newer than the newest known (${max})`, graph: where });
  }
}

function usesDefaultDomain(g: Graph): boolean {
  return g.nodes.some((n) => normalizeDomain(n.domain) === '' || subgraphsOf(n).some(usesDefaultDomain));
}

interface Scope {
  /** Values visible from enclosing scopes at this point. */
  readonly visible: ReadonlySet<string>;
  /** Values that enclosing scopes define later (reading one is an ordering error, not an undefined value). */
  readonly later: ReadonlySet<string>;
  readonly where: string;
  readonly domains: ReadonlySet<string>;
  readonly out: Diagnostic[];
  readonly irVersion: number;
  readonly isMain: boolean;
  /** Function bodies carry whatever ids the decoder gave them; only graphs are held to unique ids. */
  readonly checkIds: boolean;
}

function verifyGraph(g: Graph, s: Scope): void {
  const { out, where } = s;
  const err = (code: string, message: string, extra: { node?: string; value?: string } = {}): void => {
    out.push({ severity: 'error', code, message, graph: where, ...extra });
  };
  const warn = (code: string, message: string, extra: { node?: string; value?: string } = {}): void => {
    out.push({ severity: 'warning', code, message, graph: where, ...extra });
  };

  const defined = new Set<string>();
  for (const i of g.inputs) {
    if (defined.has(i.name)) err('DUPLICATE_INPUT', `graph input "${i.name}" is listed twice`, { value: i.name });
    if (s.visible.has(i.name)) warn('SHADOWS_OUTER', `graph input "${i.name}" shadows a value of an enclosing graph`, { value: i.name });
    defined.add(i.name);
  }
  const inputNames = new Set(g.inputs.map((i) => i.name));
  const initNames = new Set<string>();
  for (const t of g.initializers) {
    if (initNames.has(t.name)) err('DUPLICATE_INITIALIZER', `initializer "${t.name}" is defined twice`, { value: t.name });
    initNames.add(t.name);
    if (s.isMain && s.irVersion < 4 && !inputNames.has(t.name)) {
      warn('INITIALIZER_NOT_INPUT', `initializer "${t.name}" is not a graph input, which IR version ${s.irVersion} < 4 requires`, { value: t.name });
    }
    if (s.visible.has(t.name)) warn('SHADOWS_OUTER', `initializer "${t.name}" shadows a value of an enclosing graph`, { value: t.name });
    defined.add(t.name);
  }
  for (const sp of g.sparseInitializers) {
    const name = sp.values.name;
    if (initNames.has(name)) err('DUPLICATE_INITIALIZER', `sparse initializer "${name}" is defined twice`, { value: name });
    initNames.add(name);
    defined.add(name);
  }

  const producedLater = new Set<string>();
  for (const n of g.nodes) for (const o of n.outputs) if (o !== null && o !== '') producedLater.add(o);

  const ids = new Set<string>();
  for (const n of g.nodes) {
    const label = nodeLabel(n);
    if (!s.checkIds) { /* function body */ } else if (n.id === '') err('MISSING_NODE_ID', `node "${label}" has an empty id`, { node: label });
    else if (ids.has(n.id)) err('DUPLICATE_NODE_ID', `node id "${n.id}" is used by more than one node`, { node: label });
    ids.add(n.id);
    const dom = normalizeDomain(n.domain);
    // In the model's graph a missing default domain is reported once, as MISSING_DEFAULT_OPSET.
    if (!s.domains.has(dom) && !(dom === '' && s.checkIds)) {
      err('DOMAIN_NOT_IMPORTED', `node "${label}" (${n.opType}) uses domain "${n.domain}", which the model does not import`, { node: label });
    }
    n.inputs.forEach((v, i) => {
      if (v === null || v === '') return;
      if (defined.has(v) || s.visible.has(v)) return;
      if (producedLater.has(v) || s.later.has(v)) {
        err('NOT_TOPOLOGICAL', `node "${label}" (${n.opType}) input[${i}] "${v}" is produced by a later node`, { node: label, value: v });
      } else {
        err('UNDEFINED_INPUT', `node "${label}" (${n.opType}) input[${i}] "${v}" is not defined (not a graph input, initializer, or node output)`, { node: label, value: v });
      }
    });
    const subs = subgraphsOf(n);
    if (subs.length > 0) {
      const visible = new Set([...s.visible, ...defined]);
      const later = new Set([...s.later, ...producedLater].filter((x) => !visible.has(x)));
      for (const a of n.attributes) {
        const graphs = a.type === 'graph' ? [a.value] : a.type === 'graphs' ? a.value : [];
        graphs.forEach((sg, k) => {
          const label2 = a.type === 'graphs' ? `${a.name}[${k}]` : a.name;
          verifyGraph(sg, { ...s, visible, later, isMain: false, where: `${where} > node "${label}" > graph "${label2}"` });
        });
      }
    }
    for (const o of n.outputs) {
      if (o === null || o === '') continue;
      if (defined.has(o)) err('SSA_REDEFINED', `value "${o}" is defined more than once (again by node "${label}")`, { node: label, value: o });
      else if (s.visible.has(o) || s.later.has(o)) err('SSA_REDEFINED', `node "${label}" output "${o}" redefines a value of an enclosing graph`, { node: label, value: o });
      defined.add(o);
    }
  }

  const outNames = new Set<string>();
  for (const o of g.outputs) {
    if (outNames.has(o.name)) warn('DUPLICATE_OUTPUT', `graph output "${o.name}" is listed twice`, { value: o.name });
    outNames.add(o.name);
    if (!defined.has(o.name) && !s.visible.has(o.name)) err('UNDEFINED_OUTPUT', `graph output "${o.name}" is not defined`, { value: o.name });
  }
  const vi = new Set<string>();
  for (const v of g.valueInfo) {
    if (vi.has(v.name)) warn('DUPLICATE_VALUE_INFO', `value_info "${v.name}" is listed twice`, { value: v.name });
    vi.add(v.name);
  }
}

function verifyFunction(f: FunctionDef, out: Diagnostic[]): void {
  const domains = new Set(f.opsetImports.map((o) => normalizeDomain(o.domain)));
  for (const o of f.opsetImports) checkOpsetVersion(o, `function "${f.domain}.${f.name}"`, out);
  const g: Graph = {
    name: f.name, inputs: f.inputs.map((name) => ({ name, type: undefined })), outputs: f.outputs.map((name) => ({ name, type: undefined })),
    initializers: [], sparseInitializers: [], nodes: f.nodes as Node[], valueInfo: f.valueInfo,
  };
  verifyGraph(g, { visible: new Set(), later: new Set(), where: `function "${f.domain}.${f.name}"`, domains, out, irVersion: 99, isMain: false, checkIds: false });
}
