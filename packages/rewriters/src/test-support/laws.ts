/** TEST-ONLY: the pass laws every rewriter test checks. */
import { expect } from 'vitest';
import { createPassContext, verifyErrors } from '@lowbit/onnx-ir';
import type { Model, Pass } from '@lowbit/onnx-ir';

/** Runs `pass` on `m`: asserts it applies (new object, modified), verifies, and that a second run changes nothing. */
export async function expectApplies(pass: Pass, m: Model): Promise<Model> {
  const ctx = createPassContext();
  const r = await pass.run(m, ctx);
  expect(r.modified).toBe(true);
  expect(r.model).not.toBe(m);
  expect(verifyErrors(r.model)).toEqual([]);
  const again = await pass.run(r.model, ctx);
  expect(again.modified).toBe(false);
  expect(again.model).toBe(r.model);
  return r.model;
}

/** Asserts `pass` leaves `m` alone: same object back, modified false. */
export async function expectNoop(pass: Pass, m: Model): Promise<void> {
  const r = await pass.run(m, createPassContext());
  expect(r.modified).toBe(false);
  expect(r.model).toBe(m);
}
