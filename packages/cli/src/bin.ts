#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { main } from './program.js';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
const io = {
  version: pkg.version,
  stdout: (s: string) => void process.stdout.write(s),
  stderr: (s: string) => void process.stderr.write(s),
  interactive: Boolean(process.stderr.isTTY) && !process.env.CI && !process.argv.includes('--json'),
  exitCode: undefined as number | undefined,
};
// A closed pipe (`lowbit compare ... | head`) ends the output quietly instead of crashing with EPIPE.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}
process.exitCode = await main(process.argv.slice(2), io);
