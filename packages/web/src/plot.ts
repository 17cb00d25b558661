/** The per-layer SQNR chart: one bar per layer output in graph order, as an SVG string (no charting library). */
import type { LayerSqnr } from './protocol.js';

const esc = (s: string): string => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

export function sqnrSvg(layers: readonly LayerSqnr[], width = 940): string {
  if (layers.length === 0) return '<p class="muted">No layer outputs in common between the two models.</p>';
  const finite = layers.map((l) => l.sqnr).filter(Number.isFinite);
  const top = Math.max(10, Math.ceil(Math.max(...finite, 0) / 10) * 10);
  const h = 220, left = 40, bottom = 90, plotH = h - 10;
  const bw = (width - left) / layers.length;
  const y = (v: number): number => 10 + plotH - 10 - (Math.max(0, Math.min(v, top)) / top) * (plotH - 10);
  const grid = Array.from({ length: top / 10 + 1 }, (_, i) => i * 10).filter((v) => top <= 60 || v % 20 === 0)
    .map((v) => `<line x1="${left}" x2="${width}" y1="${y(v)}" y2="${y(v)}" stroke="#e3e6ee"/><text x="${left - 6}" y="${y(v) + 4}" text-anchor="end">${v}</text>`).join('');
  const bars = layers.map((l, i) => {
    const v = Number.isFinite(l.sqnr) ? l.sqnr : top;
    const x = left + i * bw;
    const color = !Number.isFinite(l.sqnr) ? '#9aa7c2' : l.sqnr < 20 ? '#d8453a' : l.sqnr < 30 ? '#e0a030' : '#3a9a5a';
    const label = `${l.name} (${l.opType}): ${Number.isFinite(l.sqnr) ? `${l.sqnr.toFixed(1)} dB` : 'exact'}`;
    return `<g><title>${esc(label)}</title><rect x="${x + bw * 0.15}" y="${y(v)}" width="${bw * 0.7}" height="${y(0) - y(v)}" fill="${color}"/>`
      + `<text transform="translate(${x + bw / 2 + 4},${y(0) + 6}) rotate(60)">${esc(l.opType)}</text></g>`;
  }).join('');
  return `<svg width="${width}" height="${h + bottom}" role="img" aria-label="per-layer SQNR">${grid}${bars}`
    + `<text x="4" y="12">dB</text></svg><p class="muted">Green ≥ 30 dB, amber 20–30 dB, red &lt; 20 dB, grey: bit-exact. Hover a bar for the tensor name.</p>`;
}
