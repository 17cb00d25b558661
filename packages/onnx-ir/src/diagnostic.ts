/** A finding of `verifyModel` (also carried by pass errors): what is wrong, where, and how bad. */
export type Severity = 'error' | 'warning';

export interface Diagnostic {
  readonly severity: Severity;
  /** Stable code, e.g. `SSA_REDEFINED`, `UNDEFINED_INPUT`. */
  readonly code: string;
  readonly message: string;
  /** Node label (name, or `#id` when unnamed). */
  readonly node?: string;
  readonly value?: string;
  /** Where: `graph "main"`, `graph "main" > node "loop" > graph "body"`, or `function "custom.f"`. */
  readonly graph?: string;
}
