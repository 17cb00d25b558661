/**
 * Constant: one tensor from exactly one of the attributes value (tensor), sparse_value, value_float, value_floats,
 * value_int, value_ints, value_string, value_strings. Scalars for the single forms (dims []), 1-D for the lists;
 * ints become int64, floats float32. Built once at session creation.
 */
import { Tensor, type AttrValue } from '@lowbit/kernels';
import type { BuiltinOp } from '../plan-contract.js';
import { retainValue } from '../values.js';

const FORMS = ['value', 'sparse_value', 'value_float', 'value_floats', 'value_int', 'value_ints', 'value_string', 'value_strings'];

function build(form: string, v: AttrValue): Tensor | undefined {
  switch (form) {
    case 'value': case 'sparse_value': return v instanceof Tensor ? v : undefined;
    case 'value_float': return typeof v === 'number' ? new Tensor('float32', [v], []) : undefined;
    case 'value_floats': return Array.isArray(v) ? new Tensor('float32', v as number[], [v.length]) : undefined;
    case 'value_int': return typeof v === 'number' || typeof v === 'bigint' ? new Tensor('int64', [BigInt(v)], []) : undefined;
    case 'value_ints': return Array.isArray(v) ? new Tensor('int64', (v as (number | bigint)[]).map((x) => BigInt(x)), [v.length]) : undefined;
    case 'value_string': return typeof v === 'string' ? new Tensor('string', [v], []) : undefined;
    case 'value_strings': return Array.isArray(v) ? new Tensor('string', v as string[], [v.length]) : undefined;
    default: return undefined;
  }
}

export const constantOp: BuiltinOp = {
  opType: 'Constant',
  sinceVersion: 1,
  create(ctx) {
    const present = FORMS.filter((f) => ctx.attrs.has(f));
    if (present.length !== 1) ctx.fail(`needs exactly one of the attributes ${FORMS.join(', ')}; has ${present.length ? present.join(', ') : 'none'}`);
    const t = build(present[0], ctx.attrs.get(present[0])!);
    if (!t) return ctx.fail(`attribute "${present[0]}" has the wrong kind`, { attribute: present[0] });
    return {
      subplans: [],
      outputTypes: [t.dtype],
      constantOutputs: [t],
      run(_inputs, rc) {
        rc.pool.retain(t);
        return [t];
      },
    };
  },
};

/** Identity (any tensor, sequence or optional): the input itself, no copy. */
export const identityOp: BuiltinOp = {
  opType: 'Identity',
  sinceVersion: 1,
  create(ctx) {
    const t = ctx.inputTypes[0] ?? undefined;
    return {
      subplans: [],
      outputTypes: [t],
      run(inputs, rc) {
        const v = inputs[0];
        if (!v) return ctx.fail('input[0] is missing', { inputIndex: 0 });
        retainValue(rc.pool, v);
        return [v];
      },
    };
  },
};
