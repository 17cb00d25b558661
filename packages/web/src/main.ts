/** The page: reads the user's files, hands them to the worker, and renders progress and results. Plain DOM. */
import { sqnrSvg } from './plot.js';
import type { FromWorker, Mode, QuantizeRequest, QuantizeResult } from './protocol.js';
import type { ModelSummary } from './inspect.js';

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const MB = 1024 * 1024;
const fmtBytes = (n: number): string => (n >= MB ? `${(n / MB).toFixed(2)} MB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KB` : `${n} B`);
const fmtDb = (v: number): string => (Number.isFinite(v) ? `${v.toFixed(1)} dB` : Number.isNaN(v) ? 'n/a' : 'exact (∞)');

let modelFile: File | undefined;
let calibFiles: File[] = [];
let worker: Worker | undefined;
let downloadUrl: string | undefined;

function showError(msg: string | undefined): void {
  const e = $('error');
  e.hidden = msg === undefined;
  e.textContent = msg ?? '';
}

function log(text: string): void {
  const l = $('log');
  l.textContent += `${text}\n`;
  l.scrollTop = l.scrollHeight;
}

/** The size cap (MB, configurable on the page): a model over it is refused before it is read. */
function checkCap(f: File): string | undefined {
  const cap = Number(($('cap') as HTMLInputElement).value) * MB;
  if (f.size <= cap) return undefined;
  return `${f.name} is ${fmtBytes(f.size)}, over this page's cap of ${fmtBytes(cap)}. Quantizing holds the model about three times in memory `
    + '(input, quantized copy, runtime sessions), which a browser tab cannot reliably hold for models this large. Raise the cap at your own risk, or use the lowbit CLI.';
}

function setModel(f: File | undefined): void {
  modelFile = f;
  $('model-name').textContent = f ? `${f.name} — ${fmtBytes(f.size)}` : '';
  const err = f ? checkCap(f) : undefined;
  showError(err);
  ($('go') as HTMLButtonElement).disabled = !f || err !== undefined;
  $('phase').textContent = f ? (err ? 'Model refused.' : 'Ready.') : 'Choose a model to start.';
}

function setCalib(fs: File[]): void {
  calibFiles = fs;
  $('calib-name').textContent = fs.length ? `${fs.length} file(s): ${fs.slice(0, 4).map((f) => f.name).join(', ')}${fs.length > 4 ? ', …' : ''}` : '';
}

function wireDrop(zoneId: string, inputId: string, onFiles: (fs: File[]) => void): void {
  const zone = $(zoneId);
  const input = $(inputId) as HTMLInputElement;
  input.addEventListener('change', () => onFiles([...(input.files ?? [])]));
  zone.addEventListener('dragover', (e) => { e.preventDefault(); zone.classList.add('over'); });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (e) => { e.preventDefault(); zone.classList.remove('over'); onFiles([...(e.dataTransfer?.files ?? [])]); });
}

function summaryTable(a: ModelSummary, b: ModelSummary): string {
  const ops = [...new Set([...a.ops.map((o) => o[0]), ...b.ops.map((o) => o[0])])];
  const count = (s: ModelSummary, op: string): number => s.ops.find((o) => o[0] === op)?.[1] ?? 0;
  const types = [...new Set([...a.byType.map((t) => t[0]), ...b.byType.map((t) => t[0])])];
  const bytesOf = (s: ModelSummary, t: string): number => s.byType.find((x) => x[0] === t)?.[1] ?? 0;
  const row = (k: string, x: string | number, y: string | number): string => `<tr><td>${k}</td><td>${x}</td><td>${y}</td></tr>`;
  return `<tr><th></th><th>float</th><th>quantized</th></tr>${row('file size', fmtBytes(a.fileBytes), fmtBytes(b.fileBytes))}`
    + `${row('nodes', a.nodes, b.nodes)}${row('initializers', a.initializers, b.initializers)}${row('weight bytes', fmtBytes(a.weightBytes), fmtBytes(b.weightBytes))}`
    + types.map((t) => row(`&nbsp;&nbsp;${t}`, fmtBytes(bytesOf(a, t)), fmtBytes(bytesOf(b, t)))).join('')
    + `${row('opset', a.opset, b.opset)}<tr><th colspan="3">ops</th></tr>${ops.map((o) => row(`&nbsp;&nbsp;${o}`, count(a, o), count(b, o))).join('')}`;
}

function latencyBars(l: QuantizeResult['latency']): string {
  const max = Math.max(l.floatMs, l.int8Ms);
  const bar = (label: string, ms: number, color: string): string =>
    `<div class="bar"><span style="width:70px">${label}</span><div style="width:${(ms / max) * 260}px;background:${color}"></div><span>${ms.toFixed(3)} ms</span></div>`;
  return bar('float', l.floatMs, '#7a8bb5') + bar('quantized', l.int8Ms, '#3a62d8')
    + `<p class="muted">median per run, batch 1, alternating runs; speed-up ×${(l.floatMs / l.int8Ms).toFixed(2)}; backend ${l.backend}${l.isas.length ? ` (${l.isas.join(', ')})` : ''}</p>`;
}

function showResult(r: QuantizeResult, name: string): void {
  if (downloadUrl) URL.revokeObjectURL(downloadUrl);
  downloadUrl = URL.createObjectURL(new Blob([r.bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }));
  const a = $('download') as HTMLAnchorElement;
  a.href = downloadUrl;
  a.download = name.replace(/\.onnx$/i, '') + '.quant.onnx';
  $('download-size').textContent = `${a.download}, ${fmtBytes(r.bytes.length)} (was ${fmtBytes(r.before.fileBytes)}); done in ${r.seconds.toFixed(1)} s`;
  $('summary').innerHTML = summaryTable(r.before, r.after);
  $('latency').innerHTML = latencyBars(r.latency);
  $('output-sqnr').textContent = fmtDb(r.outputSqnr);
  $('sqnr-plot').innerHTML = sqnrSvg(r.layers);
  $('results').hidden = false;
}

async function start(): Promise<void> {
  if (!modelFile) return;
  const err = checkCap(modelFile);
  if (err) { showError(err); return; }
  showError(undefined);
  $('results').hidden = true;
  $('log').textContent = '';
  ($('go') as HTMLButtonElement).disabled = true;
  const val = (id: string): string => ($(id) as HTMLInputElement).value;
  const name = modelFile.name;
  const req: QuantizeRequest = {
    type: 'quantize',
    model: new Uint8Array(await modelFile.arrayBuffer()),
    mode: (document.querySelector('input[name=mode]:checked') as HTMLInputElement).value as Mode,
    format: val('format') as QuantizeRequest['format'],
    perChannel: ($('per-channel') as HTMLInputElement).checked,
    method: val('method') as QuantizeRequest['method'],
    blockSize: Number(val('block')),
    calibration: {
      files: await Promise.all(calibFiles.map(async (f) => ({ name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) }))),
      generated: Math.min(Number(val('limit')), 64), limit: Number(val('limit')), scale: Number(val('scale')),
    },
    latencyRuns: Number(val('runs')),
  };
  worker?.terminate();
  worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
  const bar = $('bar') as HTMLProgressElement;
  worker.onmessage = (e: MessageEvent<FromWorker>) => {
    const m = e.data;
    if (m.type === 'progress') {
      $('phase').textContent = m.total ? `${m.phase}: ${m.done} / ${m.total}` : `${m.phase}…`;
      if (m.total) bar.value = m.done! / m.total; else bar.removeAttribute('value');
    } else if (m.type === 'log') {
      log(m.text);
    } else if (m.type === 'error') {
      showError(m.message);
      $('phase').textContent = 'Failed.';
      bar.value = 0;
      ($('go') as HTMLButtonElement).disabled = false;
    } else {
      bar.value = 1;
      $('phase').textContent = `Done in ${m.seconds.toFixed(1)} s.`;
      showResult(m, name);
      ($('go') as HTMLButtonElement).disabled = false;
      document.body.dataset.state = 'done';
    }
  };
  worker.onerror = (e) => { showError(`worker: ${e.message}`); ($('go') as HTMLButtonElement).disabled = false; };
  worker.postMessage(req, [req.model.buffer as ArrayBuffer]);
}

wireDrop('model-drop', 'model', (fs) => setModel(fs.find((f) => f.name.toLowerCase().endsWith('.onnx')) ?? fs[0]));
wireDrop('calib-drop', 'calib', setCalib);
$('cap').addEventListener('change', () => setModel(modelFile));
$('go').addEventListener('click', () => { start().catch((e: unknown) => showError(String(e))); });
