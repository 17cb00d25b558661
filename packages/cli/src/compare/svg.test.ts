import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { escapeXml, niceStep, sqnrSvg, type SvgPoint } from './svg.js';
import { writeFileAtomic } from './write-atomic.js';

const tmp = mkdtempSync(join(tmpdir(), 'lowbit-cli-svg-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Renders SVG text with sharp (librsvg): throws on text that is not well-formed XML / valid SVG. */
async function render(svg: string): Promise<{ width: number; height: number }> {
  const { info } = await sharp(Buffer.from(svg)).png().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height };
}

const circles = (svg: string): string[] => [...svg.matchAll(/<circle class="point[^"]*"[^>]*>(.*?)<\/circle>/g)].map((m) => m[1]);

const points: SvgPoint[] = [
  { index: 0, name: 'Input3 <&> "q" \'a\'', opType: 'QuantizeLinear', db: Number.POSITIVE_INFINITY },
  { index: 1, name: 'conv/1', opType: 'Conv', db: 38.2 },
  { index: 2, name: 'relu&pool', opType: 'Relu', db: 31.07 },
  { index: 3, name: 'fc', opType: 'MatMul', db: 25.5 },
  { index: 4, name: 'zero', opType: 'Add', db: Number.NEGATIVE_INFINITY },
];

describe('sqnrSvg', () => {
  it('is well-formed SVG that renders at its declared size, with names escaped', async () => {
    const svg = sqnrSvg(points, { title: 'SQNR of <model> & co' });
    expect(await render(svg)).toEqual({ width: 960, height: 420 });
    expect(svg).toContain('Input3 &lt;&amp;&gt; &quot;q&quot; &apos;a&apos;');
    expect(svg).toContain('SQNR of &lt;model&gt; &amp; co');
    expect(svg).not.toMatch(/&(?!amp;|lt;|gt;|quot;|apos;)/); // no raw ampersand anywhere
  });

  it('the renderer used as the check rejects malformed XML (so the check above can fail)', async () => {
    const broken = sqnrSvg(points, { title: 't' }).replace('&amp;', '&');
    await expect(render(broken)).rejects.toThrow();
  });

  it('plots exactly one point per layer, in order, each with a tooltip naming the layer', () => {
    const svg = sqnrSvg(points, { title: 't' });
    const tips = circles(svg);
    expect(tips).toHaveLength(points.length);
    tips.forEach((tip, i) => expect(tip).toContain(`<title>#${i} ${escapeXml(points[i].name)}`));
    expect(svg).toContain('class="point inf"');
    expect(svg).toContain('class="point low"');
    // the line joins the three finite points
    expect(svg.match(/<polyline[^>]*points="([^"]*)"/)?.[1].split(' ')).toHaveLength(3);
  });

  it('has axis labels and a title', () => {
    const svg = sqnrSvg(points, { title: 'my title' });
    expect(svg).toContain('>layer index (float model order)</text>');
    expect(svg).toContain('>SQNR (dB)</text>');
    expect(svg).toContain('<title>my title</title>');
  });

  it('higher SQNR is drawn higher (smaller y); +inf on the top edge', () => {
    const svg = sqnrSvg(points, { title: 't' });
    const cy = [...svg.matchAll(/<circle [^>]*cy="([-\d.]+)"/g)].map((m) => Number(m[1]));
    expect(cy[1]).toBeLessThan(cy[2]); // 38.2 dB above 31.07 dB
    expect(cy[2]).toBeLessThan(cy[3]); // 31.07 above 25.5
    expect(cy[0]).toBeLessThan(cy[1]); // inf above everything
    expect(cy[4]).toBeGreaterThan(cy[3]); // -inf at the bottom
  });

  it('handles no layers, one layer and many layers', async () => {
    for (const n of [0, 1, 300]) {
      const pts = Array.from({ length: n }, (_, i) => ({ index: i, name: `l${i}`, db: 20 + (i % 7) }));
      const svg = sqnrSvg(pts, { title: `${n} layers` });
      await render(svg);
      expect(circles(svg)).toHaveLength(n);
    }
  });

  it('niceStep picks 1/2/5 x 10^k', () => {
    // span 37 over 6 ticks: raw 6.17 -> 10; span 3 over 6: raw 0.5 -> 0.5; span 120: raw 20 -> 20.
    expect(niceStep(37, 6)).toBe(10);
    expect(niceStep(3, 6)).toBeCloseTo(0.5, 12);
    expect(niceStep(120, 6)).toBe(20);
  });
});

describe('writeFileAtomic', () => {
  it('writes the file and leaves no temporary file', async () => {
    const file = join(tmp, 'plot.svg');
    await writeFileAtomic(file, 'one');
    await writeFileAtomic(file, 'two');
    expect(readFileSync(file, 'utf8')).toBe('two');
    expect(readdirSync(tmp).filter((f) => f.startsWith('plot.svg'))).toEqual(['plot.svg']);
  });

  it('a failed write leaves nothing behind', async () => {
    const file = join(tmp, 'no-such-folder', 'plot.svg');
    await expect(writeFileAtomic(file, 'x')).rejects.toThrow(/ENOENT/);
    expect(readdirSync(tmp).some((f) => f.includes('.tmp'))).toBe(false);
  });
});
