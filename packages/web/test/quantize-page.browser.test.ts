/**
 * The page end to end in headless Chromium (Debian's, driven by playwright-core): upload mnist-8 and the MNIST
 * training images (IDX .gz), quantize static QDQ in the page's worker, download the result, and score it in
 * onnxruntime-node on the 10,000 t10k images against the float model. Also checks the size-cap message and that the
 * page is cross-origin isolated. Leaves a screenshot in docs/web-screenshot.png.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readMnist } from '@lowbit/testing';
// @ts-expect-error plain JavaScript helper without declarations
import { serve } from '../scripts/serve.mjs';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const dist = `${repo}packages/web/dist`;
const testdata = process.env.LOWBIT_TESTDATA ?? `${repo}../shared/testdata`;
const modelPath = `${testdata}/models/mnist-8.onnx`;
const calibPath = `${testdata}/mnist/train-10k-images-idx3-ubyte.gz`;
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

async function accuracy(bytes: Uint8Array, images: Float32Array, labels: Uint8Array): Promise<number> {
  const s = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'] });
  let ok = 0;
  for (let i = 0; i < labels.length; i++) {
    const r = await s.run({ [s.inputNames[0]!]: new ort.Tensor('float32', images.subarray(i * 784, (i + 1) * 784), [1, 1, 28, 28]) });
    const y = r[s.outputNames[0]!]!.data as Float32Array;
    let best = 0;
    for (let k = 1; k < 10; k++) if (y[k]! > y[best]!) best = k;
    if (best === labels[i]) ok++;
  }
  await s.release();
  return (100 * ok) / labels.length;
}

describe('the quantization page in Chromium', () => {
  let browser: Browser;
  let server: { url: string; close(): Promise<void> };

  beforeAll(async () => {
    if (!existsSync(`${dist}/index.html`)) throw new Error(`${dist}/index.html is missing: build the page first (npm run build -w @lowbit/web)`);
    if (!existsSync(chromiumPath)) throw new Error(`no Chromium at ${chromiumPath}: run tools/setup-browser.sh or set CHROMIUM_PATH`);
    server = await serve(dist, 0);
    browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: ['--no-sandbox'] });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('quantizes mnist-8 static QDQ within 0.2 points of float on t10k', async () => {
    const page = await browser.newPage({ acceptDownloads: true, viewport: { width: 1100, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(server.url);
    expect(await page.evaluate(() => (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated)).toBe(true);

    // The size cap: a model over it is refused with a message, before anything is read.
    await page.fill('#cap', '0.01');
    await page.setInputFiles('#model', modelPath);
    await expect.poll(() => page.textContent('#error')).toContain("over this page's cap");
    expect(await page.isDisabled('#go')).toBe(true);
    await page.fill('#cap', '512');
    await page.dispatchEvent('#cap', 'change');
    expect(await page.isHidden('#error')).toBe(true);

    await page.setInputFiles('#calib', calibPath);
    await page.check('input[name=mode][value=static]');
    await page.selectOption('#format', 'QDQ');
    await page.fill('#limit', '200');
    await page.click('#go');
    await page.waitForSelector('body[data-state=done], #error:not([hidden])', { timeout: 300_000 });
    expect(await page.isHidden('#error'), await page.textContent('#error') ?? '').toBe(true);

    const log = await page.textContent('#log');
    expect(log).toContain('200 of 10000 images');
    expect(await page.textContent('#summary')).toContain('QuantizeLinear');
    const sqnr = Number.parseFloat((await page.textContent('#output-sqnr')) ?? '');
    expect(sqnr).toBeGreaterThan(15);
    expect(await page.locator('#sqnr-plot rect').count()).toBeGreaterThan(3);
    expect(await page.textContent('#latency')).toContain('backend wasm');

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
    const quantBytes = new Uint8Array(readFileSync((await download.path())!));
    await mkdir(`${repo}docs`, { recursive: true });
    await page.screenshot({ path: `${repo}docs/web-screenshot.png`, fullPage: true });
    expect(errors).toEqual([]);

    const test = readMnist('test');
    const floatAcc = await accuracy(new Uint8Array(readFileSync(modelPath)), test.pixels, test.labels);
    const quantAcc = await accuracy(quantBytes, test.pixels, test.labels);
    console.log(`mnist-8 t10k top-1: float ${floatAcc.toFixed(2)}%, page-quantized (static QDQ, 200 images) ${quantAcc.toFixed(2)}%; output SQNR ${sqnr.toFixed(1)} dB`);
    expect(floatAcc).toBeCloseTo(98.9, 1);
    expect(Math.abs(quantAcc - floatAcc)).toBeLessThanOrEqual(0.2);
  });

  it.each([
    ['dynamic', 'DynamicQuantizeLinear'],
    ['weight-only', 'DequantizeLinear'],
  ])('runs %s with a generated calibration set and reports the model it made', async (mode, op) => {
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(server.url);
    await page.setInputFiles('#model', modelPath);
    await page.check(`input[name=mode][value=${mode}]`);
    await page.fill('#runs', '5');
    await page.click('#go');
    await page.waitForSelector('body[data-state=done], #error:not([hidden])', { timeout: 300_000 });
    expect(await page.isHidden('#error'), await page.textContent('#error') ?? '').toBe(true);
    expect(await page.textContent('#log')).toContain('generated samples');
    expect(await page.textContent('#summary')).toContain(op);
    expect(await page.getAttribute('#download', 'href')).toMatch(/^blob:/);
    expect(errors).toEqual([]);
    await page.close();
  });
});

