/** One plotted layer: x is its index, y its SQNR in dB (may be +-Infinity or NaN). */
export interface SvgPoint {
  readonly index: number;
  readonly name: string;
  readonly opType?: string;
  readonly db: number;
}

export interface SvgOptions {
  readonly title: string;
  readonly width?: number;
  readonly height?: number;
}

/** Escapes text for XML character data and attribute values. */
export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] ?? c);
}

const fmt = (x: number): string => (Math.abs(x) < 1e-9 ? '0' : x.toFixed(2).replace(/\.?0+$/, ''));

/**
 * A "nice" tick step for a span: 1, 2 or 5 times a power of ten, giving at most about `target` ticks.
 * Example: span 37 dB, target 6 -> raw 6.17 -> step 10.
 */
export function niceStep(span: number, target: number): number {
  const raw = span > 0 ? span / target : 1;
  const mag = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * mag >= raw) return m * mag;
  return 10 * mag;
}

/**
 * The per-layer SQNR plot as SVG text: a line through the finite points and one `<circle class="point">` per layer
 * (in order), each with a `<title>` tooltip naming the layer. Layers with infinite SQNR (identical) sit on the top
 * edge as `point inf`, with -inf or no data on the bottom edge (`point low`). Axes carry ticks and labels; every name
 * is XML-escaped.
 */
export function sqnrSvg(points: readonly SvgPoint[], o: SvgOptions): string {
  const W = o.width ?? 960;
  const H = o.height ?? 420;
  const left = 70;
  const right = 20;
  const top = 48;
  const bottom = 60;
  const pw = W - left - right;
  const ph = H - top - bottom;
  const finite = points.map((p) => p.db).filter(Number.isFinite);
  const anyInf = points.some((p) => p.db === Number.POSITIVE_INFINITY);
  let lo = finite.length > 0 ? Math.min(...finite) : 0;
  let hi = finite.length > 0 ? Math.max(...finite) : 10;
  if (hi - lo < 1e-9) {
    lo -= 5;
    hi += 5;
  }
  const step = niceStep(hi - lo, 6);
  const yMin = Math.floor(lo / step) * step;
  const yMax = Math.ceil(hi / step) * step;
  const infBand = anyInf ? 20 : 0;
  const yOf = (db: number): number => {
    if (db === Number.POSITIVE_INFINITY) return top;
    if (!Number.isFinite(db)) return top + ph;
    return top + infBand + (ph - infBand) * (1 - (db - yMin) / (yMax - yMin));
  };
  const n = points.length;
  const xOf = (i: number): number => left + (pw * (i + 0.5)) / Math.max(n, 1);

  const out: string[] = [];
  out.push(`<?xml version="1.0" encoding="UTF-8"?>`);
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<title>${escapeXml(o.title)}</title>`);
  out.push(`<rect x="0" y="0" width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(`<text x="${W / 2}" y="24" text-anchor="middle" font-size="16" font-weight="bold">${escapeXml(o.title)}</text>`);
  // y grid, ticks and labels
  out.push(`<g class="y-axis" stroke="#dddddd">`);
  for (let v = yMin; v <= yMax + step / 2; v += step) {
    const y = yOf(v);
    out.push(`<line x1="${left}" y1="${fmt(y)}" x2="${left + pw}" y2="${fmt(y)}"/>`);
    out.push(`<text x="${left - 8}" y="${fmt(y + 4)}" text-anchor="end" stroke="none" fill="#333333">${fmt(v)}</text>`);
  }
  if (anyInf) out.push(`<text x="${left - 8}" y="${top + 4}" text-anchor="end" stroke="none" fill="#333333">inf</text>`);
  out.push(`</g>`);
  // x ticks
  const xStep = Math.max(1, Math.ceil(n / 12));
  out.push(`<g class="x-axis" fill="#333333">`);
  for (let i = 0; i < n; i += xStep) out.push(`<text x="${fmt(xOf(i))}" y="${top + ph + 18}" text-anchor="middle">${i}</text>`);
  out.push(`</g>`);
  out.push(`<line x1="${left}" y1="${top + ph}" x2="${left + pw}" y2="${top + ph}" stroke="#333333"/>`);
  out.push(`<line x1="${left}" y1="${top}" x2="${left}" y2="${top + ph}" stroke="#333333"/>`);
  out.push(`<text x="${left + pw / 2}" y="${H - 16}" text-anchor="middle">layer index (float model order)</text>`);
  out.push(`<text x="18" y="${top + ph / 2}" text-anchor="middle" transform="rotate(-90 18 ${top + ph / 2})">SQNR (dB)</text>`);
  // the line through finite points, then one marker per layer
  const line = points.filter((p) => Number.isFinite(p.db)).map((p) => `${fmt(xOf(p.index))},${fmt(yOf(p.db))}`);
  if (line.length > 1) out.push(`<polyline fill="none" stroke="#1f77b4" stroke-width="1.5" points="${line.join(' ')}"/>`);
  out.push(`<g class="points">`);
  for (const p of points) {
    const kind = Number.isFinite(p.db) ? 'point' : p.db === Number.POSITIVE_INFINITY ? 'point inf' : 'point low';
    const fill = Number.isFinite(p.db) ? '#1f77b4' : '#d62728';
    const dbText = Number.isFinite(p.db) ? `${p.db.toFixed(2)} dB` : p.db === Number.POSITIVE_INFINITY ? 'inf (identical)' : p.db === Number.NEGATIVE_INFINITY ? '-inf (zero signal)' : 'n/a';
    const label = `#${p.index} ${p.name}${p.opType ? ` (${p.opType})` : ''}: ${dbText}`;
    out.push(`<circle class="${kind}" cx="${fmt(xOf(p.index))}" cy="${fmt(yOf(p.db))}" r="3.5" fill="${fill}"><title>${escapeXml(label)}</title></circle>`);
  }
  out.push(`</g>`);
  out.push(`</svg>`);
  return out.join('\n') + '\n';
}
