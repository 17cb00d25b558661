import { defineConfig } from 'vitest/config';

/** The browser test (`npm run test:browser`): not part of `npm test`, since it needs Chromium and the built page. */
export default defineConfig({
  test: {
    include: ['packages/web/test/**/*.browser.test.ts'],
    testTimeout: 600_000,
    hookTimeout: 300_000,
    pool: 'forks',
  },
});
