/**
 * What a session does around a run that is not the run itself: combining the session's and a run's value hooks,
 * copying a result out of session-owned storage, and checking the names a hook asks to observe.
 */
import { Tensor } from '@lowbit/kernels';
import { SessionOptionError } from './errors.js';
import type { ValueHooks } from './executor.js';
import type { Plan } from './plan-contract.js';

/** A run's own value hook (RunOptions.onValue / observe). */
export interface RunHooks {
  readonly onValue?: (name: string, tensor: Tensor) => void;
  readonly observe?: readonly string[];
}

/** The session's hooks and a run's hooks as one: each sees only the names it asked for. */
export function combineHooks(session: ValueHooks | undefined, run: RunHooks): ValueHooks | undefined {
  if (!run.onValue) return session;
  const runObserve = run.observe ? new Set(run.observe) : undefined;
  if (!session?.onValue) return { onValue: run.onValue, observe: runObserve };
  const s = session;
  return {
    onValue: (name, t) => {
      if (!s.observe || s.observe.has(name)) s.onValue!(name, t);
      if (!runObserve || runObserve.has(name)) run.onValue!(name, t);
    },
    observe: s.observe && runObserve ? new Set([...s.observe, ...runObserve]) : undefined,
  };
}

export function copyTensor(t: Tensor): Tensor {
  const data = Array.isArray(t.data) ? [...t.data] : (t.data as Exclude<Tensor['data'], string[]>).slice();
  return new Tensor(t.dtype, data as never, t.dims);
}

/**
 * Names a value hook can observe: graph inputs, initializers, main-graph node outputs and the node outputs inside
 * control-flow bodies (If/Loop/Scan/SequenceMap, at any depth). Anything else is a typo.
 */
export function checkObserved(plan: Plan, names: readonly string[], option: string): void {
  const observable = new Set<string>([...plan.graph.inputs.map((v) => v.name), ...plan.graph.initializers.map((t) => t.name)]);
  const addOutputs = (g: Plan['graph']): void => {
    for (const n of g.nodes) {
      for (const o of n.outputs) if (o) observable.add(o);
      if (n.opType === 'If' || n.opType === 'Loop' || n.opType === 'Scan' || n.opType === 'SequenceMap') {
        for (const a of n.attributes) {
          if (a.type === 'graph') addOutputs(a.value);
          else if (a.type === 'graphs') for (const sg of a.value) addOutputs(sg);
        }
      }
    }
  };
  addOutputs(plan.graph);
  const unknown = names.filter((n) => !observable.has(n));
  if (unknown.length) {
    throw new SessionOptionError({ option, expected: 'names of graph inputs or node outputs of the main graph or a control-flow body', actual: unknown.map((n) => `"${n}"`).join(', ') });
  }
}
