import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { QUANTIZE_VERSION } from './version.js';

describe('version', () => {
  it('the version recorded in models equals package.json', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(QUANTIZE_VERSION).toBe(pkg.version);
  });
});
