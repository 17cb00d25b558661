/**
 * Worker-thread entry of sharded calibration (runs as `dist/session/shard-worker.js`). It imports the user's worker
 * module, builds the model with its `createModel(workerOptions)`, then, per chunk message, folds the chunk's batches
 * into fresh states and posts them back encoded. It keeps nothing between chunks.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { builtinCalibrators, type CalibratorTable } from '../builtins.js';
import { CalibrationError } from '../core/errors.js';
import type { ObservableModel } from './model.js';
import { observeBatch, type CalibrationTarget } from './observe-batch.js';
import { serializeError, type FromWorker, type ShardWorkerData, type ToWorker } from './worker-protocol.js';

const port = parentPort;
if (port === null) throw new Error('shard-worker.js must run in a worker thread');
const data = workerData as ShardWorkerData;

const send = (m: FromWorker): void => port.postMessage(m);

async function start(): Promise<void> {
  let model: ObservableModel;
  let table: CalibratorTable;
  try {
    const mod = (await import(data.workerModule)) as { createModel?: (o: unknown) => ObservableModel | Promise<ObservableModel>; calibrators?: CalibratorTable };
    if (typeof mod.createModel !== 'function') {
      throw new CalibrationError(`calibration worker module ${data.workerModule} does not export a createModel(options) function`, { expected: 'export function createModel' });
    }
    model = await mod.createModel(data.workerOptions);
    table = { ...builtinCalibrators, ...(mod.calibrators ?? {}) };
  } catch (e) {
    send({ type: 'error', index: -1, error: serializeError(e) });
    return;
  }
  send({ type: 'ready', inputNames: [...model.inputNames], inputMetadata: model.inputMetadata ? [...model.inputMetadata] : undefined, kinds: Object.keys(table) });
  port!.on('message', (m: ToWorker) => {
    void runChunk(model, table, m);
  });
}

async function runChunk(model: ObservableModel, table: CalibratorTable, m: ToWorker): Promise<void> {
  try {
    const targets: CalibrationTarget[] = m.targets.map((t) => {
      const calibrator = table[t.kind];
      if (calibrator === undefined) {
        throw new CalibrationError(`calibration worker: no calibrator of kind "${t.kind}" (export it from the worker module's \`calibrators\`)`, { kind: t.kind, tensor: t.tensor });
      }
      return { tensor: t.tensor, calibrator, spec: t.spec, optional: t.optional };
    });
    const states = targets.map((t) => (t.calibrator as CalibrationTarget<unknown, unknown>['calibrator']).init(t.spec));
    for (let k = 0; k < m.feeds.length; k++) await observeBatch(model, m.feeds[k], targets, states, m.firstBatch + k);
    const encoded = targets.map((t, i) => (t.calibrator as CalibrationTarget<unknown, unknown>['calibrator']).encode(states[i]));
    port!.postMessage({ type: 'result', index: m.index, states: encoded } satisfies FromWorker, encoded.map((b) => b.buffer as ArrayBuffer));
  } catch (e) {
    send({ type: 'error', index: m.index, error: serializeError(e) });
  }
}

void start();
