/** The ops the runtime runs itself (control flow, constants, sequences), by op type (default domain). */
import type { BuiltinOp } from './plan-contract.js';
import { constantOp, identityOp } from './control/constant.js';
import { ifOp } from './control/if.js';
import { loopOp } from './control/loop.js';
import { scanOp } from './control/scan.js';
import { sequenceOps } from './control/sequence.js';

export function defaultBuiltins(): Map<string, BuiltinOp> {
  return new Map([constantOp, identityOp, ifOp, loopOp, scanOp, ...sequenceOps].map((b) => [b.opType, b]));
}

/** Op types (default domain) the runtime runs itself, without a kernel: control flow, Constant, Identity, sequences. */
export const RUNTIME_OPS: readonly string[] = Object.freeze([...defaultBuiltins().keys()].sort());
