/** A feed value: what the runtime's `Tensor` carries (dtype name as in kernels' `DType`, row-major data, dims). */
export interface FeedTensor {
  readonly dtype: string;
  readonly dims: readonly number[];
  readonly data: ArrayLike<unknown> & { readonly length: number };
}

export type Feeds = Readonly<Record<string, FeedTensor>>;

/**
 * What the session checks feeds against; a dim that is not a number (symbolic, null) accepts any size. Either
 * spelling is read: `dtype`/`dims`, or onnxruntime's (and the Lowbit runtime's) `type`/`shape`.
 */
export interface InputMetadata {
  readonly name: string;
  readonly dtype?: string;
  readonly dims?: readonly (number | string | null)[];
  readonly type?: string;
  readonly shape?: readonly (number | string | null)[];
}

/** A value as a value hook reports it; the session checks it is float32 before a calibrator sees it. */
export interface ObservedValue {
  readonly dtype?: string;
  readonly dims: readonly number[];
  readonly data: unknown;
}

/**
 * Receives the values of the tensors under observation while a model runs. Shaped like the runtime's per-run
 * options (`session.run(feeds, { observe, onValue })`).
 */
export interface ValueObserver {
  /** The tensor names the session wants to see. A model may report others; they are ignored. */
  readonly observe: readonly string[];
  /**
   * Called once per observed tensor per run, synchronously. The session reduces the value to statistics before it
   * returns and keeps no reference, so the runtime may reuse the buffer afterwards.
   */
  onValue(name: string, value: ObservedValue): void;
}

/**
 * The runtime as calibration sees it. `calibrators` depends only on `qparams`, so it never imports the runtime;
 * instead a `@lowbit/runtime` `Session` satisfies this interface structurally (`inputNames`, `inputMetadata` with
 * `type`/`shape`, and `run(feeds, { observe, onValue })`), and so does any hand-written model.
 */
export interface ObservableModel {
  readonly inputNames: readonly string[];
  readonly inputMetadata?: readonly InputMetadata[];
  run(feeds: Feeds, observer: ValueObserver): Promise<unknown> | void;
  /**
   * Frees what the model holds (a runtime session's packed weights and its backend's threads). Whoever made the
   * model calls it once when calibration is done; `calibrate` itself never closes a model it was given.
   */
  close?(): Promise<void> | void;
}

/**
 * onnxruntime's `CalibrationDataReader` shape: `getNext()` returns the next feeds or null/undefined at the end;
 * `rewind()` starts over (needed for two-pass methods).
 */
export interface CalibrationDataReader {
  getNext(): Feeds | null | undefined | Promise<Feeds | null | undefined>;
  rewind?(): void | Promise<void>;
}

/**
 * Calibration data: a reader, an (async) iterable of feeds, or a function returning a fresh iterable (the
 * function form and readers with `rewind` can be read twice, which two-pass methods require).
 */
export type CalibrationData =
  | CalibrationDataReader
  | AsyncIterable<Feeds>
  | Iterable<Feeds>
  | (() => AsyncIterable<Feeds> | Iterable<Feeds>);
