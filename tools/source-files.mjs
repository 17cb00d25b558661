// The source-file walk shared by the structural checks (check-boundaries, check-import-cycles, check-dependencies).
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Whether a path is test code (never shipped): test/property/equivalence/bench files and test-support folders. */
export function isTestFile(path) {
  return /\.(test|prop\.test|equiv\.test|bench)\.(m|c)?[jt]sx?$/.test(path) || /(^|\/)test-support\//.test(path);
}

/**
 * TypeScript and JavaScript files under `dir` (worker modules and fixtures are often plain .mjs), tests included;
 * declaration files, node_modules and dist are skipped, and a missing `dir` yields nothing.
 */
export function* sourceFiles(dir) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== 'node_modules' && e.name !== 'dist') yield* sourceFiles(path);
    } else if (/\.(m|c)?[jt]sx?$/.test(e.name) && !e.name.endsWith('.d.ts')) yield path;
  }
}
