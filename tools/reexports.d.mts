/** See reexports.mjs: the names a source file re-exports from other @lowbit packages. */
export function lowbitReexports(text: string, fileName?: string): { spec: string; names: string[] }[];
