/**
 * loadModel / saveModel: models on disk, with ONNX external data.
 *
 * saveModel is atomic: it writes the external-data file and the model to temporary files in the target folder,
 * fsyncs them, and only then renames them into place (data first, then model), so a crash or an error never leaves a
 * half-written output. Tensor bytes stream from their source (4 MiB at a time) into the data file, so memory stays
 * low however large the weights are. The source files are only read.
 */
import type { FileHandle } from 'node:fs/promises';
import { decodeModel, encodeModel } from './codec.js';
import { elementCount, rawByteLength } from './dtype.js';
import { ExternalDataError, ModelFormatError } from './errors.js';
import { DEFAULT_MAX_MODEL_BYTES, readRegularFile } from './file-guard.js';
import { checkModel, type ModelLimits } from './model-check.js';
import { collectModelTensors, mapModelTensors } from './model-tensors.js';
import { nodeFsPromises, nodePath } from './node-builtins.js';
import { createTensorStore, readTensorBytes, unsafeLocationReason, type TensorStore } from './tensor-store.js';
import { DataType, type ExternalTensor, type InlineTensor, type Model, type StringEntry, type TensorRef } from './types.js';

export interface LoadOptions {
  /** Folder external data resolves against; defaults to the model file's folder. */
  readonly baseDir?: string;
  /** Limits the model is held to (see checkModel); `false` skips the checks (for tools that inspect broken files). */
  readonly limits?: ModelLimits | false;
  /** Largest model file read, in bytes. Default 2 GiB (the protobuf limit). */
  readonly maxFileBytes?: number;
}

/**
 * Reads and decodes a model file, then checks it (checkModel: tensor sizes against their bytes, dims, limits,
 * structure). External tensors get `baseDir` (the model's absolute folder); their files are not touched until their
 * data is asked for, and then the range is checked against the dims before any byte is read. Only a regular file
 * is read.
 * @throws ModelFormatError when the file cannot be read, is not a regular file, or is not a valid model.
 */
export async function loadModel(path: string, options: LoadOptions = {}): Promise<Model> {
  const { resolve, dirname } = nodePath();
  const abs = resolve(path);
  const bytes = await readRegularFile(abs, options.maxFileBytes ?? DEFAULT_MAX_MODEL_BYTES, 'model file');
  const model = decodeModel(bytes, { baseDir: resolve(options.baseDir ?? dirname(abs)) });
  if (options.limits === false) return model;
  checkModel(model, options.limits);
  return model;
}

export interface SaveOptions {
  /**
   * Tensors of at least this many bytes are written to the external-data file; smaller ones inline. When absent,
   * tensors keep their form: external ones go to the new external-data file, inline ones stay inline.
   */
  readonly externalDataThreshold?: number;
  /** Name of the external-data file, relative to the model's folder. Default: `<model file name>.data`. */
  readonly externalDataFile?: string;
  /** Where external source tensors are read from (default: the file system, confined to each tensor's baseDir). */
  readonly store?: TensorStore;
  /** Temporary files of a killed earlier save older than this are removed first. Default 10 minutes. */
  readonly staleTempMs?: number;
}

const CHUNK = 4 << 20;

function byteSize(t: TensorRef, store: TensorStore): number | undefined {
  if (t.dtype === DataType.STRING) return undefined;
  if (t.kind === 'inline') return t.data.byteLength;
  if (t.kind === 'external') return t.length ?? store.resolve(t).length;
  return rawByteLength(t.dtype, elementCount(t.dims));
}

async function writeAll(fh: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < bytes.byteLength) {
    const { bytesWritten } = await fh.write(bytes, done, bytes.byteLength - done, position + done);
    done += bytesWritten;
  }
}

async function copyRange(store: TensorStore, t: ExternalTensor, out: FileHandle, position: number, buf: Uint8Array): Promise<number> {
  const r = store.resolve(t);
  const src = await nodeFsPromises().open(r.path, 'r');
  try {
    let done = 0;
    while (done < r.length) {
      const { bytesRead } = await src.read(buf, 0, Math.min(buf.byteLength, r.length - done), r.offset + done);
      if (bytesRead === 0) {
        throw new ExternalDataError(`external data of tensor "${t.name}" at "${t.location}": the file ended early`, { tensorName: t.name, location: t.location, offset: r.offset, length: r.length });
      }
      await writeAll(out, buf.subarray(0, bytesRead), position + done);
      done += bytesRead;
    }
    return r.length;
  } finally {
    await src.close();
  }
}

/** Temporary files are `.<name>.lowbit-<12 hex>.tmp` beside the target, so stale ones are recognisably ours. */
function tempName(final: string): string {
  const { basename, dirname, join } = nodePath();
  const rnd = Array.from(globalThis.crypto.getRandomValues(new Uint8Array(6)), (b) => b.toString(16).padStart(2, '0')).join('');
  return join(dirname(final), `.${basename(final)}.lowbit-${rnd}.tmp`);
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Removes temporary files of our own pattern for `finals` left by a save that was killed (SIGKILL, power loss), when
 * they are older than `olderThanMs`; a younger one may belong to a save still running. Errors are ignored.
 */
async function removeStaleTemps(dir: string, finals: readonly string[], olderThanMs: number): Promise<void> {
  const { readdir, lstat, unlink } = nodeFsPromises();
  const { join } = nodePath();
  const patterns = finals.map((f) => new RegExp(`^\\.${escapeRe(f)}\\.lowbit-[0-9a-f]{12}\\.tmp$`));
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  const now = Date.now();
  for (const name of names) {
    if (!patterns.some((p) => p.test(name))) continue;
    const path = join(dir, name);
    const st = await lstat(path).catch(() => undefined);
    if (st?.isFile() && now - st.mtimeMs > olderThanMs) await unlink(path).catch(() => undefined);
  }
}

/** Refuses to replace anything but a regular file (a device, pipe, folder or link at the output path). */
async function checkOutputPath(path: string): Promise<void> {
  const st = await nodeFsPromises().lstat(path).catch(() => undefined);
  if (st !== undefined && !st.isFile()) {
    throw new ModelFormatError(`output "${path}" exists and is not a regular file; refusing to replace it`, { what: path });
  }
}

/**
 * Encodes `model` to `path`, writing large tensors to one external-data file beside it (see SaveOptions).
 * Returns the model as saved: its external tensors point at the new file (with `baseDir` set to its folder).
 * Saving over the file a model was loaded from works (sources are read before the rename), but the in-memory model
 * loaded earlier then points at replaced bytes: use the returned model afterwards.
 * @throws ExternalDataError for a bad externalDataFile name or unreadable source data; ModelFormatError when the model
 * cannot be encoded, or when the output path is a device, pipe, folder or link. On any error no output file is changed
 * and the temporary files are removed; temporary files of a killed earlier save (`.<name>.lowbit-<hex>.tmp`, older
 * than `staleTempMs`) are removed first.
 */
export async function saveModel(model: Model, path: string, options: SaveOptions = {}): Promise<Model> {
  const { basename, dirname, join, resolve } = nodePath();
  const { open, rename, unlink } = nodeFsPromises();
  const abs = resolve(path);
  const dir = dirname(abs);
  const store = options.store ?? createTensorStore();
  const dataName = options.externalDataFile ?? `${basename(abs)}.data`;
  const bad = unsafeLocationReason(dataName);
  if (bad !== undefined) {
    throw new ExternalDataError(`externalDataFile "${dataName}": ${bad}`, { tensorName: '', location: dataName, baseDir: dir });
  }
  const threshold = options.externalDataThreshold;
  const goesExternal = (t: TensorRef): boolean => {
    if (t.dtype === DataType.STRING) return false;
    if (threshold === undefined) return t.kind === 'external';
    return (byteSize(t, store) ?? 0) >= threshold;
  };

  const dataPath = join(dir, dataName);
  await checkOutputPath(abs);
  await removeStaleTemps(dir, [basename(abs), basename(dataPath)], options.staleTempMs ?? 10 * 60_000);
  const replaced = new Map<TensorRef, TensorRef>();
  const temps: string[] = [];
  let dataFh: FileHandle | undefined;
  let dataTemp: string | undefined;
  try {
    let position = 0;
    const buf = new Uint8Array(CHUNK);
    for (const t of collectModelTensors(model)) {
      if (!goesExternal(t)) {
        if (t.kind === 'inline') continue;
        const data = await readTensorBytes(t, store);
        const inline: InlineTensor = { ...stripSource(t), kind: 'inline', data, encoding: 'raw' };
        replaced.set(t, inline);
        continue;
      }
      if (dataFh === undefined) {
        dataTemp = tempName(dataPath);
        temps.push(dataTemp);
        dataFh = await open(dataTemp, 'wx');
      }
      let length: number;
      if (t.kind === 'external') length = await copyRange(store, t, dataFh, position, buf);
      else {
        const bytes = await readTensorBytes(t, store);
        await writeAll(dataFh, bytes, position);
        length = bytes.byteLength;
      }
      const entries: StringEntry[] = [
        { key: 'location', value: dataName },
        { key: 'offset', value: String(position) },
        { key: 'length', value: String(length) },
      ];
      if (t.kind === 'external') {
        for (const e of t.entries) if (e.key !== 'location' && e.key !== 'offset' && e.key !== 'length') entries.push(e);
      }
      const ext: ExternalTensor = {
        ...stripSource(t), kind: 'external', location: dataName, offset: position, length, entries, baseDir: dir,
        ...(t.kind === 'external' && t.checksum !== undefined ? { checksum: t.checksum } : {}),
      };
      replaced.set(t, ext);
      position += length;
    }
    const saved = mapModelTensors(model, (t) => replaced.get(t) ?? t);
    const bytes = encodeModel(saved);
    const modelTemp = tempName(abs);
    temps.push(modelTemp);
    const mfh = await open(modelTemp, 'wx');
    try {
      await writeAll(mfh, bytes, 0);
      await mfh.sync();
    } finally {
      await mfh.close();
    }
    if (dataFh !== undefined) {
      await dataFh.sync();
      await dataFh.close();
      dataFh = undefined;
      await rename(dataTemp!, dataPath);
      temps.splice(temps.indexOf(dataTemp!), 1);
    }
    await rename(modelTemp, abs);
    temps.splice(temps.indexOf(modelTemp), 1);
    await syncDir(dir);
    return saved;
  } finally {
    if (dataFh !== undefined) await dataFh.close().catch(() => undefined);
    for (const t of temps) await unlink(t).catch(() => undefined);
  }
}

/** The common tensor fields (name, dtype, dims, docString, metadataProps, segment) without the data source. */
function stripSource(t: TensorRef): Omit<InlineTensor, 'kind' | 'data' | 'encoding'> {
  const o: { -readonly [K in keyof InlineTensor]?: InlineTensor[K] } = { name: t.name, dtype: t.dtype, dims: t.dims };
  if (t.docString !== undefined) o.docString = t.docString;
  if (t.metadataProps !== undefined) o.metadataProps = t.metadataProps;
  if (t.segment !== undefined) o.segment = t.segment;
  return o as Omit<InlineTensor, 'kind' | 'data' | 'encoding'>;
}

async function syncDir(dir: string): Promise<void> {
  try {
    const fh = await nodeFsPromises().open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    // Some platforms cannot fsync a folder; the renames are still atomic.
  }
}
