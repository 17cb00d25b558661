import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // Resolve @lowbit/* workspace packages to their TypeScript sources in tests.
    conditions: ['@lowbit/source'],
  },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'tools/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**', '**/*.bench.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: process.env.CI ? ['default'] : ['default'],
  },
});
