// One compiler run for the scripts that build the C++ sources outside node-gyp (cross-arm64.mjs, sanitize.mjs).
import { spawn } from 'node:child_process';

/** Runs `cxx args`; resolves with its exit status and stderr (never rejects for a compile error). */
export function compile(cxx, args) {
  return new Promise((res) => {
    const p = spawn(cxx, args);
    let err = '';
    p.stderr.on('data', (d) => (err += d));
    p.on('error', (e) => res({ status: -1, err: e.message }));
    p.on('close', (status) => res({ status, err }));
  });
}
