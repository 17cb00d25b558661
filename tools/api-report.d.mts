/** See api-report.mjs: builds the API report of every published package under `root`, compares or rewrites it. */
export function apiReport(root: string, options?: { update?: boolean }): { status: number; message: string };
