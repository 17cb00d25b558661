#!/usr/bin/env node
// The `lowbit` command. This file is committed (it is not build output) so that npm can link the bin when it
// installs the workspace, which happens before the root `prepare` script builds dist/; it runs the built CLI.
try {
  await import('../dist/bin.js');
} catch (e) {
  if (e?.code === 'ERR_MODULE_NOT_FOUND' && String(e.message).includes('dist/bin.js')) {
    process.stderr.write('lowbit: the CLI is not built yet; run `npm run build` in the Lowbit checkout\n');
    process.exitCode = 1;
  } else {
    throw e;
  }
}
