import type { Session } from '@lowbit/runtime';

/** The backend a session really runs on, for `run` and `bench` output. */
export interface BackendInfo {
  /** The backend asked for (`--backend`). */
  readonly requested: string;
  /** The backend the session's optimized kernels come from (`js`: only the scalar reference kernels). */
  readonly backend: string;
  /** ISAs the kernels may use on this machine. */
  readonly isas: readonly string[];
  readonly threads: number;
  /** Why a backend was not used, what was detected. */
  readonly diagnostics: readonly string[];
}

export function backendInfo(session: Session, requested: string): BackendInfo {
  return { requested, backend: session.backend, isas: session.isas, threads: session.threads, diagnostics: session.diagnostics };
}

/** `native (avx2, avx512-vnni; 4 threads)`. */
export function describeBackend(b: BackendInfo): string {
  return `${b.backend} (${b.isas.join(', ')}; ${b.threads} thread${b.threads === 1 ? '' : 's'})`;
}
