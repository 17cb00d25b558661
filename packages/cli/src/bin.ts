#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { main } from './program.js';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
// quantize, calibrate and tune honour a signal: there the first Ctrl-C asks the run to stop (at its next pass or
// calibration batch; quantize and calibrate write nothing, exit 130; tune writes the best model so far and its report)
// and a second one ends the process at once. Other commands keep Node's default.
const interrupt = new AbortController();
if (process.argv[2] === 'quantize' || process.argv[2] === 'calibrate' || process.argv[2] === 'tune') {
  process.once('SIGINT', () => {
    process.stderr.write('lowbit: interrupted, stopping (Ctrl-C again to quit now)\n');
    interrupt.abort(new Error('interrupted (SIGINT)'));
    process.once('SIGINT', () => process.exit(130));
  });
}
const io = {
  signal: interrupt.signal,
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
