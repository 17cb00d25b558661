/** Where the CLI writes, and what it knows of its terminal. Tests pass their own. */
export interface Io {
  readonly version: string;
  stdout(s: string): void;
  stderr(s: string): void;
  /** Whether progress bars may draw: stderr is a terminal and neither CI nor --json. */
  readonly interactive: boolean;
  /** A command sets this for a non-zero exit without an error (e.g. `run --expect` mismatch). */
  exitCode?: number;
  /** Fires on the first Ctrl-C (SIGINT): long commands stop at their next check and write nothing. */
  readonly signal?: AbortSignal;
}
