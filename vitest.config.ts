import { readdirSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Tests import sibling packages (`@lowbit/x`) from their TypeScript sources, so a test never runs against a stale
// dist/. Aliases, not export conditions: vitest forwards resolve.conditions to Node's --conditions, which worker
// threads inherit, and workers (sharded calibration) must load the built packages.
const packages = fileURLToPath(new URL('./packages/', import.meta.url));
const alias = readdirSync(packages)
  .filter((name) => existsSync(`${packages}${name}/src/index.ts`))
  .map((name) => ({ find: new RegExp(`^@lowbit/${name}$`), replacement: `${packages}${name}/src/index.ts` }));

export default defineConfig({
  resolve: { alias },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/examples/**/*.test.ts', 'tools/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**', '**/*.bench.ts'],
    testTimeout: 60_000,
    hookTimeout: 300_000,
    pool: 'forks',
    reporters: ['default', './tools/summary-reporter.ts'],
  },
});
