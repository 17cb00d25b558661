/**
 * Public option types, named as onnxruntime's quantization tool names them (QuantFormat, QuantType,
 * CalibrationMethod, CalibrationDataReader), as plain string constants so a JSON recipe can say the same thing.
 */
import type { Model, Node, TensorStore } from '@lowbit/onnx-ir';
import type { IntQuantDType } from '@lowbit/qparams';
import type { CalibrationData, ObservableModel } from '@lowbit/calibrators';
import type { NodeOverride as RwNodeOverride, TensorOverride as RwTensorOverride } from '@lowbit/rewriters';

export type { CalibrationData, CalibrationDataReader, Feeds, FeedTensor } from '@lowbit/calibrators';

export const QuantFormat = { QDQ: 'QDQ', QOperator: 'QOperator' } as const;
export type QuantFormat = (typeof QuantFormat)[keyof typeof QuantFormat];

/**
 * onnxruntime's quantized-type names mapped to the qparams storage type names (`IntQuantDType`, the one type of
 * every `weightType`/`activationType` option); recipes accept either spelling.
 */
export const QuantType = {
  QUInt8: 'uint8', QInt8: 'int8', QUInt16: 'uint16', QInt16: 'int16', QUInt4: 'uint4', QInt4: 'int4',
} as const satisfies Readonly<Record<string, IntQuantDType>>;

export const CalibrationMethod = {
  MinMax: 'minmax', Entropy: 'entropy', Percentile: 'percentile', MSE: 'mse', Distribution: 'distribution',
  /** Distiller's n-std clipping: `[max(min, mean - n std), min(max, mean + n std)]`, n = `calibration.numStd` (3). */
  MeanStd: 'meanstd',
} as const;
export type CalibrationMethod = (typeof CalibrationMethod)[keyof typeof CalibrationMethod];

export type TensorOverride = RwTensorOverride;
export type NodeOverride = RwNodeOverride;

/** Builds the model runner used for calibration (default: @lowbit/runtime). */
export type ModelRunnerFactory = (model: Model) => ObservableModel | Promise<ObservableModel>;

/** Model input: a path, ONNX bytes, or an IR Model. */
export type ModelInput = string | Uint8Array | Model;

export interface SaveOptions {
  /** Tensors at least this many bytes go to an external data file (see onnx-ir `saveModel`). */
  readonly externalDataThreshold?: number;
  readonly externalDataFile?: string;
}

export interface CommonOptions {
  /** Op types to quantize (defaults per mode). */
  readonly opTypesToQuantize?: readonly string[];
  /** Only these nodes (names or a predicate). */
  readonly nodesToQuantize?: readonly string[] | ((n: Node) => boolean);
  /** Never these nodes (names or a predicate). */
  readonly nodesToExclude?: readonly string[] | ((n: Node) => boolean);
  readonly perChannel?: boolean;
  /** 7-bit weights (for x86 kernels without VNNI). */
  readonly reduceRange?: boolean;
  readonly weightType?: IntQuantDType;
  readonly weightSymmetric?: boolean;
  /** Per-tensor overrides (onnxruntime TensorQuantOverrides). */
  readonly tensorOverrides?: Readonly<Record<string, TensorOverride>>;
  /** Per-node overrides (Neural Compressor set_local). */
  readonly nodeOverrides?: Readonly<Record<string, NodeOverride>>;
  /** Minimum default-domain opset of the output (the model is upgraded when below). */
  readonly opset?: number;
  /**
   * Quantize an input that is already quantized (QDQ, QOperator, MatMulNBits, ...): only what is still float is
   * quantized. Default false: such an input is an AlreadyQuantizedError (see quantized-input.ts).
   */
  readonly allowQuantizedInput?: boolean;
  readonly save?: SaveOptions;
  /** Not part of a JSON recipe: the calibration runner (default @lowbit/runtime). */
  readonly runner?: ModelRunnerFactory;
  /**
   * Not part of a JSON recipe: cancels the run. Checked before every pass, between calibration batches and before
   * saving; an aborted run rejects with QuantizeAbortedError (code `ABORTED`, `cause` the signal's reason) and writes
   * nothing.
   */
  readonly signal?: AbortSignal;
}

export interface StaticQuantizeOptions extends CommonOptions {
  readonly quantFormat?: QuantFormat;
  readonly activationType?: IntQuantDType;
  readonly activationSymmetric?: boolean;
  readonly calibrationMethod?: CalibrationMethod;
  /**
   * QDQ only: quantize every Conv/MatMul/Gemm output (`all`, default: runtimes fuse DQ -> op -> Q) or only outputs a
   * shape op reads (`consumed`: fewer rounding points, more accuracy, float ops in between).
   */
  readonly quantizeOutputs?: 'all' | 'consumed';
  /**
   * Keep float the Conv/MatMul/Gemm nodes that feed numerically sensitive ops (Log, Exp, Pow, Div, Sqrt, Softmax, ...;
   * see sensitive-ops.ts). Default true; the kept nodes and why are recorded in the model's `lowbit.coverage`.
   */
  readonly keepSensitiveFloat?: boolean;
  /** Cross-layer equalisation of Conv-Relu-Conv chains before calibration (rewriters' cross-layer-equalization). */
  readonly crossLayerEqualization?: boolean;
  /**
   * SmoothQuant for MatMul before calibration (smooth-quant.ts): a fixed alpha in [0, 1], or `true` / `'search'`: alpha
   * searched per MatMul (grid 0..1 step 0.05, least simulated output error on the calibration data). The alphas used
   * are recorded in the model's `lowbit.smooth_quant` metadata. Needs calibration data.
   */
  readonly smoothQuant?: boolean | number | 'search';
  /**
   * LSTMs (which have no calibrated QDQ form): `dynamic` (default) makes them com.microsoft DynamicQuantizeLSTM (int8
   * weights offline, gates quantized at run time, as in dynamic mode), inside If/Loop/Scan bodies too; `float` leaves them.
   */
  readonly lstm?: 'dynamic' | 'float';
  /** Empirical bias correction after quantization (bias-correction.ts). Needs calibration data. */
  readonly biasCorrection?: boolean;
  /** Method settings: percentile (99.999), bins (percentile, entropy, mse), levels (entropy), numStd (meanstd, 3). */
  readonly calibration?: {
    readonly percentile?: number; readonly bins?: number; readonly levels?: number; readonly numStd?: number;
    /** entropy: `signed` (default; windows centred on zero) or `abs` (TensorRT: |x| histogram, windows [0, t)). */
    readonly histogram?: 'signed' | 'abs';
    /** entropy: KL smoothing eps (default 0.0001; 0 disables). */
    readonly smoothing?: number;
  };
  /**
   * Saved statistics from `calibrateStatic` (same model, same options): used instead of running calibration, and
   * `calibrationData` may then be null/undefined. Not part of a JSON recipe nor of the recorded options. A file made
   * for another model, method, method settings or tensor selection is a QuantizeError.
   */
  readonly statistics?: Uint8Array;
}

/**
 * `perChannel` (CommonOptions) in dynamic mode: MatMul/Gemm weights get one scale per output column, Conv weights one
 * per output channel (uint8 symmetric, zero point 128, so ConvInteger keeps a scalar zero point); Gather tables stay
 * per-tensor (the scale would have to follow the gathered rows) and LSTM weights per direction (DynamicQuantizeLSTM).
 */
export interface DynamicQuantizeOptions extends CommonOptions {
  /** Conv as u8 x u8 ConvInteger (default) or left in float. */
  readonly conv?: 'conv-integer' | 'float';
  /** MatMuls of two activations (attention) quantized u8 x u8 at run time (default true). */
  readonly activationMatMul?: boolean;
  /** As in static mode: keep float the Conv/MatMul/Gemm feeding Log/Exp/Pow/Div/Sqrt/Softmax (default true; recorded in `lowbit.coverage`). */
  readonly keepSensitiveFloat?: boolean;
}

export interface WeightOnlyQuantizeOptions extends CommonOptions {
  /** int4 (default), uint4, int8, uint8. */
  readonly weightType?: IntQuantDType;
  /** 16..256, power of two; default 32. */
  readonly blockSize?: number;
  /** `awq`: activation-aware scaling searched per MatMul (rewriters' awq.ts); needs calibrationData like `gptq`. */
  readonly algorithm?: 'rtn' | 'gptq' | 'awq';
  readonly actOrder?: boolean;
  /** GPTQ damping (fraction of the mean Hessian diagonal); default 0.01. */
  readonly damp?: number;
  /** Standard blocked DequantizeLinear at opset 21 (default) or com.microsoft MatMulNBits. */
  readonly format?: 'qdq' | 'matmulnbits';
  /** GPTQ only: calibration data (not part of a JSON recipe). */
  readonly calibrationData?: CalibrationData;
  /** Where external weights are read from (default: the file system, confined to the model's folder); not recorded. */
  readonly tensorStore?: TensorStore;
}
