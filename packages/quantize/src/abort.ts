/**
 * Cancellation of a quantize run by `options.signal`. `abortable` runs the whole run and hands it a `stage(name)`
 * callback: each call records what runs next and throws QuantizeAbortedError when the signal has fired. The
 * PassManager checks the same signal before every pass and calibration before every batch; whatever those throw
 * while the signal is aborted (PassAbortedError, the signal's reason) becomes the same QuantizeAbortedError. Output
 * files are written last (atomically, after the `save` stage check), so an aborted run writes nothing.
 */
import { PassAbortedError } from '@lowbit/onnx-ir';
import { QuantizeAbortedError } from './errors.js';

/** Records the stage about to run; throws QuantizeAbortedError when the signal has fired. */
export type Stage = (name: string) => void;

export async function abortable<T>(where: string, signal: AbortSignal | undefined, run: (stage: Stage) => Promise<T>): Promise<T> {
  let current = 'start';
  const stage: Stage = (name) => {
    if (signal?.aborted) throw new QuantizeAbortedError({ where, stage: name }, signal.reason);
    current = name;
  };
  try {
    stage('start');
    return await run(stage);
  } catch (e) {
    if (e instanceof QuantizeAbortedError || !signal?.aborted) throw e;
    const pass = passAborted(e);
    throw new QuantizeAbortedError({ where, stage: pass ? `${current} (before pass "${pass}")` : current }, signal.reason);
  }
}

/** The pass a PassAbortedError in `e`'s cause chain names (nested PassManagers wrap it in PassError). */
function passAborted(e: unknown): string | undefined {
  for (let c = e, depth = 0; c instanceof Error && depth < 8; c = c.cause, depth++) {
    if (c instanceof PassAbortedError) return (c.context as { passName: string }).passName;
  }
  return undefined;
}
