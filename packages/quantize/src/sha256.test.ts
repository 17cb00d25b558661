import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sha256 } from './sha256.js';

describe('sha256', () => {
  it('matches the FIPS 180-4 examples', () => {
    expect(sha256().update('abc').digest('hex')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256().digest('hex')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });
  it('equals node:crypto for any split of any bytes and strings', () => {
    fc.assert(fc.property(fc.array(fc.oneof(fc.uint8Array({ maxLength: 200 }), fc.string({ unit: 'grapheme' }))), (parts) => {
      const a = sha256();
      const b = createHash('sha256');
      for (const p of parts) { a.update(p); b.update(p); }
      expect(a.digest('hex')).toBe(b.digest('hex'));
    }), { numRuns: 300 });
  });
});
