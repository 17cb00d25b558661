import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { CALIBRATION_METHODS } from './calibration-methods.js';
import { ExitCode, describeError, exitCodeFor } from './exit-codes.js';
import type { Io } from './io.js';

/** `--shape name=d0,d1,...`, collected into a record. */
const shapeArg = (v: string, prev: Record<string, number[]>): Record<string, number[]> => {
  const m = /^([^=]+)=(\d+(?:,\d+)*)$/.exec(v);
  if (!m) throw new InvalidArgumentError(`--shape: expected name=d0,d1,... (non-negative integers), got "${v}"`);
  return { ...prev, [m[1]]: m[2].split(',').map(Number) };
};

const intArg = (name: string) => (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive integer, got "${v}"`);
  return n;
};
const floatArg = (name: string) => (v: string): number => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${name} must be a non-negative number, got "${v}"`);
  return n;
};
const smoothQuantArg = (v: string): number | 'search' => {
  if (v === 'search') return 'search';
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError(`--smooth-quant takes an alpha in [0, 1] or "search", got "${v}"`);
  return n;
};
const signedFloatArg = (name: string) => (v: string): number => {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError(`${name} must be a number, got "${v}"`);
  return n;
};
const listArg = (v: string): string[] => v.split(',').map((s) => s.trim()).filter(Boolean);
const numListArg = (name: string) => (v: string): number[] => {
  const parts = listArg(v).map(Number);
  if (parts.length === 0 || parts.some((n) => !Number.isFinite(n))) throw new InvalidArgumentError(`${name} must be comma-separated numbers, got "${v}"`);
  return parts;
};
const sizeArg = (v: string): [number, number] => {
  const m = /^(\d+)x(\d+)$/i.exec(v);
  if (!m || Number(m[1]) === 0 || Number(m[2]) === 0) throw new InvalidArgumentError(`--resize must be WxH (e.g. 224x224), got "${v}"`);
  return [Number(m[1]), Number(m[2])];
};

const QTYPES = ['uint8', 'int8', 'uint16', 'int16', 'uint4', 'int4', 'u8', 's8', 'u16', 's16', 'u4', 's4'];

function dataOptions(cmd: Command): Command {
  return cmd
    .option('--resize <WxH>', 'image data: resize to W x H (default: the model input size)', sizeArg)
    .option('--mean <a,b,c>', 'image/IDX data: per-channel mean of (pixel/255 - mean)/std', numListArg('--mean'))
    .option('--std <a,b,c>', 'image/IDX data: per-channel std of (pixel/255 - mean)/std', numListArg('--std'))
    .addOption(new Option('--layout <layout>', 'image data layout').choices(['nchw', 'nhwc']).default('nchw'));
}

/** Builds the `lowbit` program. Handlers are loaded on demand so `inspect` never loads the runtime. */
export function buildProgram(io: Io): Command {
  const program = new Command('lowbit')
    .description('Quantize ONNX models and run them.')
    .version(io.version, '-V, --version')
    .option('--verbose', 'print stack traces and debug detail on errors')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) });

  dataOptions(
    program
      .command('quantize')
      .description('quantize a float ONNX model')
      .argument('<input>', 'float ONNX model')
      .requiredOption('-o, --output <path>', 'where to write the quantized model')
      .addOption(new Option('--mode <mode>', 'quantization mode').choices(['dynamic', 'static', 'weight-only']).default('static'))
      .addOption(new Option('--format <format>', 'static output form').choices(['qdq', 'qoperator']).default('qdq'))
      .option('--calib <data>', 'calibration data: test-set folder, .npy/.npz, IDX file or image folder')
      .option('--calib-count <n>', 'use at most N calibration samples', intArg('--calib-count'))
      .addOption(new Option('--method <method>', 'calibration method').choices(CALIBRATION_METHODS).default('minmax'))
      .option('--stats <file>', 'reuse calibration statistics saved by `lowbit calibrate`')
      .option('--bins <n>', 'histogram methods (entropy, percentile, mse): histogram bins (entropy default 2048)', intArg('--bins'))
      .option('--levels <n>', 'entropy: quantized levels the candidates are merged into (default 256)', intArg('--levels'))
      .addOption(new Option('--histogram <kind>', 'entropy: signed (windows centred on 0) or abs (TensorRT |x|)').choices(['signed', 'abs']))
      .option('--smoothing <eps>', 'entropy: KL smoothing eps (default 0.0001)', floatArg('--smoothing'))
      .option('--percentile <p>', 'percentile: the percentile kept (default 99.999)', floatArg('--percentile'))
      .option('--num-std <n>', 'meanstd: clip at mean +- n std (default 3)', floatArg('--num-std'))
      .option('--smooth-quant [alpha]', 'static: SmoothQuant for MatMul before calibration: a fixed alpha in [0, 1], or "search" (the default when no alpha is given) for a per-layer alpha search on --calib', smoothQuantArg)
      .option('--bias-correction', 'static: correct each layer\'s bias for the mean shift its quantized weights cause (measured on --calib)')
      .addOption(new Option('--lstm <how>', 'static: LSTMs as DynamicQuantizeLSTM (default) or left float').choices(['dynamic', 'float']))
      .option('--cle', 'static: cross-layer equalisation of Conv-Relu-Conv chains before calibration')
      .option('--no-keep-sensitive', 'static and dynamic: also quantize the layers feeding Log/Exp/Pow/Div/Sqrt/Softmax (kept float by default)')
      .option('--per-channel', 'per-channel weight scales')
      .option('--allow-quantized-input', 'quantize a model that is already quantized (only what is still float); refused by default')
      .option('--reduce-range', '7-bit weights (exact and fast on AVX2 without VNNI)')
      .addOption(new Option('--activation-type <type>', 'activation type').choices(QTYPES))
      .addOption(new Option('--weight-type <type>', 'weight type').choices(QTYPES))
      .option('--symmetric-activations', 'symmetric activation ranges')
      .option('--symmetric-weights', 'symmetric weight ranges')
      .option('--op-types <list>', 'only quantize these op types (comma-separated)', listArg)
      .option('--exclude-nodes <list>', 'leave these nodes in float (comma-separated names)', listArg)
      .option('--block-size <n>', 'weight-only block size (16..256)', intArg('--block-size'))
      .addOption(new Option('--algorithm <alg>', 'weight-only algorithm').choices(['rtn', 'gptq', 'awq']).default('rtn'))
      .option('--recipe <file>', 'JSON recipe with quantization options (flags override it)')
      .option('--overwrite', 'allow -o to name the input model (it is replaced atomically)')
      .option('--json', 'print one JSON object instead of text'),
  ).action(async (input: string, opts: Record<string, unknown>, cmd: Command) =>
    (await import('./commands/quantize.js')).quantizeCommand(io, input, opts as never, (flag) => cmd.getOptionValueSource(flag) === 'cli'),
  );

  dataOptions(
    program
      .command('tune')
      .description('accuracy-aware quantization: try recipes, keep the most sensitive layers float until the target is met')
      .argument('<input>', 'float ONNX model')
      .requiredOption('-o, --output <path>', 'where to write the best model found (written also when the target is not reached)')
      .option('--data <data>', 'calibration and evaluation data (as quantize --calib), or "random" (default): seeded uniform [0, 1) inputs')
      .option('--data-count <n>', 'use at most N samples (random: N samples, default 8)', intArg('--data-count'))
      .option('--eval-data <data>', 'score on this data instead of --data')
      .option('--shape <name=dims>', 'random data: dims of an input with dynamic dims, e.g. x=1,3,48,192 (repeatable)', shapeArg, {})
      .option('--target-sqnr <dB>', 'reached when the output SQNR vs the float model is at least this many dB', signedFloatArg('--target-sqnr'))
      .option('--target-top1 <fraction>', 'reached when top-1 agreement with the float model is at least this (0..1)', floatArg('--target-top1'))
      .option('--evaluator <module>', 'ES module exporting (outputs, reference) => score (default or "evaluate" export); higher is better')
      .option('--target <n>', '--evaluator: reached when the score is at least N', signedFloatArg('--target'))
      .option('--tolerable-loss <n>', '--evaluator: reached when the score is at least the float model\'s minus N', floatArg('--tolerable-loss'))
      .option('--max-trials <n>', 'most trials (quantize + evaluate), default 12', intArg('--max-trials'))
      .option('--methods <list>', 'calibration methods of the static recipes tried, in order (default minmax,percentile)', listArg)
      .addOption(new Option('--ranking <how>', 'which layers to keep float first: all-but-one (SQNR gain of keeping each float) or one-layer (each quantized alone)').choices(['all-but-one', 'one-layer']))
      .option('--report <file>', 'trial report (JSON); default: OUT with .tune.json')
      .option('--overwrite', 'allow -o / --report to name an input file')
      .option('--json', 'print the report as one JSON object instead of text'),
  ).action(async (input: string, opts: Record<string, unknown>) => (await import('./commands/tune.js')).tuneCommand(io, input, opts as never));

  program
    .command('inspect')
    .description('describe a model: opsets, inputs, ops, parameters, quantization, runtime support')
    .argument('<model>', 'ONNX model')
    .option('--json', 'print one JSON object instead of text')
    .action(async (model: string, opts: { json?: boolean }) => (await import('./commands/inspect.js')).inspectCommand(io, model, opts));

  program
    .command('run')
    .description('run a model on input_N.pb / .npy files; write or compare outputs')
    .argument('<model>', 'ONNX model')
    .requiredOption('--inputs <dir>', 'folder with input_N.pb or .npy files (or a test_data_set folder)')
    .option('--expect <dir>', 'compare with output_N.pb files; exit 1 on mismatch')
    .option('-o, --output <dir>', 'write outputs as output_N.pb into this folder')
    .option('--overwrite', 'allow -o to name a folder that already holds files (output_N.pb files are replaced)')
    .option('--atol <a>', 'absolute tolerance', floatArg('--atol'), 1e-5)
    .option('--rtol <r>', 'relative tolerance', floatArg('--rtol'), 1e-3)
    .addOption(new Option('--backend <backend>', 'kernel backend: auto (best that loads), js, wasm, native').choices(['auto', 'js', 'wasm', 'native']).default('auto'))
    .option('--threads <n>', 'intra-op threads for backends that use them', intArg('--threads'))
    .option('--json', 'print one JSON object instead of text')
    .action(async (model: string, opts: Record<string, unknown>) => (await import('./commands/run.js')).runCommand(io, model, opts as never));

  dataOptions(
    program
      .command('compare')
      .description('compare a quantized model with its float original: SQNR, cosine, top-1 agreement, per layer')
      .argument('<float>', 'float ONNX model')
      .argument('<quantized>', 'quantized ONNX model')
      .requiredOption('--calib <data>', 'data to run both models on')
      .option('--calib-count <n>', 'use at most N samples', intArg('--calib-count'), 100)
      .option('--svg <file>', 'write a per-layer SQNR plot')
      .option('--sensitivity', 'quantize one layer at a time (the quantized model\'s recipe) and report the output SQNR of each')
      .option('--json', 'print one JSON object instead of text'),
  ).action(async (f: string, q: string, opts: Record<string, unknown>) => (await import('./commands/compare.js')).compareCommand(io, f, q, opts));

  program
    .command('bench')
    .description('latency percentiles and throughput')
    .argument('<model>', 'ONNX model')
    .addOption(new Option('--backend <backend>', 'kernel backend: auto (best that loads), js, wasm, native').choices(['auto', 'js', 'wasm', 'native']).default('auto'))
    .option('--threads <n>', 'intra-op threads for backends that use them', intArg('--threads'))
    .option('--iterations <n>', 'timed runs', intArg('--iterations'), 20)
    .option('--warmup <n>', 'untimed runs first', intArg('--warmup'), 3)
    .option('--shape <name=dims>', 'fix the dims of an input with dynamic dims, e.g. x=1,3,48,192 (repeatable; others become 1)', shapeArg, {})
    .option('--json', 'print one JSON object instead of text')
    .action(async (model: string, opts: Record<string, unknown>) => (await import('./commands/bench.js')).benchCommand(io, model, opts as never));

  dataOptions(
    program
      .command('calibrate')
      .description('calibrate a model and save the statistics for `lowbit quantize --stats`')
      .argument('<model>', 'float ONNX model')
      .requiredOption('--calib <data>', 'calibration data')
      .requiredOption('-o, --output <file>', 'statistics file to write')
      .option('--calib-count <n>', 'use at most N samples', intArg('--calib-count'))
      .addOption(new Option('--method <method>', 'calibration method').choices(CALIBRATION_METHODS).default('minmax'))
      .option('--per-channel', 'per-channel statistics')
      .option('--shard <K/N>', 'calibrate only shard K (from 0) of N: samples i with i % N == K (merge with merge-stats)')
      .option('--shard-from-env <VAR/N>', 'shard K from an array-job index variable, e.g. JOB_COMPLETION_INDEX/4, SLURM_ARRAY_TASK_ID/4')
      .option('--range-pass', 'write the first-pass min/max range file (sharded percentile/entropy/mse need it merged)')
      .option('--ranges <file>', 'merged range file: fixes histogram bin edges across shards')
      .option('--overwrite', 'allow -o to name an input file')
      .option('--json', 'print one JSON object instead of text'),
  ).action(async (model: string, opts: Record<string, unknown>) => (await import('./commands/calibrate.js')).calibrateCommand(io, model, opts as never));

  program
    .command('merge-stats')
    .description('merge statistics or range files from `lowbit calibrate --shard` (any order gives the same bytes)')
    .argument('<files...>', 'statistics files to merge')
    .requiredOption('-o, --output <file>', 'merged file to write')
    .option('--overwrite', 'allow -o to name one of the input files')
    .option('--json', 'print one JSON object instead of text')
    .action(async (files: string[], opts: Record<string, unknown>) => (await import('./commands/merge-stats.js')).mergeStatsCommand(io, files, opts as never));

  return program;
}

/** Runs the CLI: parses argv, runs the command, maps errors to exit codes and one-line messages. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  const program = buildProgram(io);
  const verbose = argv.includes('--verbose');
  if (argv.length === 0) {
    io.stderr(program.helpInformation());
    return ExitCode.usage;
  }
  try {
    await program.parseAsync(argv as string[], { from: 'user' });
    return io.exitCode ?? ExitCode.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return ExitCode.ok;
      return ExitCode.usage; // commander already printed its one-line message
    }
    const code = exitCodeFor(err);
    io.stderr(`lowbit: ${describeError(err)}\n`);
    // A --json caller parses stdout: it gets one JSON object for the failure too.
    if (argv.includes('--json')) io.stdout(JSON.stringify({ error: { code: (err as { code?: unknown }).code ?? 'ERROR', exitCode: code, message: describeError(err) } }) + '\n');
    if (verbose && err instanceof Error && err.stack) io.stderr(`${err.stack}\n`);
    return code;
  }
}
