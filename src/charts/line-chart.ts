/**
 * A line chart over trading sessions as an SVG string: dates on x (one step per session), labelled
 * axes, gridlines and a legend to the right. Written by hand rather than through a charting library
 * so the output is small, deterministic and needs no browser or canvas.
 */

export interface ChartSeries {
  name: string;
  values: readonly number[];
  color: string;
  width?: number;
  dashed?: boolean;
}

export interface LineChart {
  title: string;
  subtitle?: string;
  xLabel: string;
  yLabel: string;
  dates: readonly string[];
  series: readonly ChartSeries[];
  formatY: (v: number) => string;
  /** Force the y range to include this value (0 for a drawdown chart). */
  includeY?: number;
}

const WIDTH = 1100;
const HEIGHT = 600;
const M = { left: 96, right: 210, top: 64, bottom: 70 };
const FONT = 'DejaVu Sans, Liberation Sans, Arial, Helvetica, sans-serif';

export const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#bcbd22', '#7f7f7f'];

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** About `count` round tick values covering [lo, hi]: steps of 1, 2 or 5 times a power of ten. */
export function niceTicks(lo: number, hi: number, count = 6): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].find((m) => m * power >= raw) ?? 10) * power;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(Math.round(v / step) * step);
  return ticks;
}

/** Indexes of the sessions to label: years for long spans, months for medium, days for short. */
export function dateTicks(dates: readonly string[]): { index: number; label: string }[] {
  if (dates.length === 0) return [];
  const spanDays = (Date.parse(dates[dates.length - 1] as string) - Date.parse(dates[0] as string)) / 86_400_000;
  const key = spanDays > 3 * 365 ? (d: string) => d.slice(0, 4) : spanDays > 90 ? (d: string) => d.slice(0, 7) : (d: string) => d;
  const label = spanDays > 3 * 365 ? (d: string) => d.slice(0, 4) : spanDays > 90 ? (d: string) => d.slice(0, 7) : (d: string) => d.slice(5);
  const firsts: { index: number; label: string }[] = [];
  dates.forEach((d, i) => {
    if (i === 0 || key(d) !== key(dates[i - 1] as string)) firsts.push({ index: i, label: label(d) });
  });
  const step = Math.ceil(firsts.length / 10);
  return firsts.filter((_, i) => i % step === 0);
}

export function lineChartSvg(chart: LineChart): string {
  const plotW = WIDTH - M.left - M.right;
  const plotH = HEIGHT - M.top - M.bottom;
  const all = chart.series.flatMap((s) => s.values.filter(Number.isFinite));
  if (chart.includeY !== undefined) all.push(chart.includeY);
  let lo = Math.min(...all);
  let hi = Math.max(...all);
  if (!(hi > lo)) {
    lo -= 1;
    hi += 1;
  }
  const pad = (hi - lo) * 0.04;
  lo -= chart.includeY === lo ? 0 : pad;
  hi += chart.includeY === hi ? 0 : pad;
  const n = Math.max(1, chart.dates.length - 1);
  const x = (i: number) => M.left + (i / n) * plotW;
  const y = (v: number) => M.top + (1 - (v - lo) / (hi - lo)) * plotH;

  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="${FONT}">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`,
    `<text x="${M.left}" y="30" font-size="20" font-weight="bold" fill="#222">${esc(chart.title)}</text>`,
  ];
  if (chart.subtitle) out.push(`<text x="${M.left}" y="50" font-size="13" fill="#555">${esc(chart.subtitle)}</text>`);

  for (const v of niceTicks(lo, hi)) {
    const yy = y(v).toFixed(1);
    out.push(`<line x1="${M.left}" x2="${M.left + plotW}" y1="${yy}" y2="${yy}" stroke="#e3e3e3" stroke-width="1"/>`);
    out.push(`<text x="${M.left - 8}" y="${yy}" font-size="12" fill="#333" text-anchor="end" dominant-baseline="middle">${esc(chart.formatY(v))}</text>`);
  }
  for (const t of dateTicks(chart.dates)) {
    const xx = x(t.index).toFixed(1);
    out.push(`<line x1="${xx}" x2="${xx}" y1="${M.top}" y2="${M.top + plotH}" stroke="#f0f0f0" stroke-width="1"/>`);
    out.push(`<line x1="${xx}" x2="${xx}" y1="${M.top + plotH}" y2="${M.top + plotH + 5}" stroke="#333" stroke-width="1"/>`);
    out.push(`<text x="${xx}" y="${M.top + plotH + 20}" font-size="12" fill="#333" text-anchor="middle">${esc(t.label)}</text>`);
  }
  out.push(`<rect x="${M.left}" y="${M.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#333" stroke-width="1"/>`);
  out.push(`<text x="${M.left + plotW / 2}" y="${HEIGHT - 18}" font-size="14" fill="#222" text-anchor="middle">${esc(chart.xLabel)}</text>`);
  out.push(`<text x="22" y="${M.top + plotH / 2}" font-size="14" fill="#222" text-anchor="middle" transform="rotate(-90 22 ${M.top + plotH / 2})">${esc(chart.yLabel)}</text>`);

  // Thin series first, so the highlighted ones (the council, the benchmark) stay on top.
  const ordered = [...chart.series].sort((a, b) => (a.width ?? 1.6) - (b.width ?? 1.6));
  for (const s of ordered) {
    // A value that is not a number (a rolling figure before its first full window) breaks the line.
    const runs: string[][] = [[]];
    s.values.forEach((v, i) => {
      if (Number.isFinite(v)) runs[runs.length - 1]?.push(`${x(i).toFixed(1)},${y(v).toFixed(1)}`);
      else if (runs[runs.length - 1]?.length) runs.push([]);
    });
    for (const run of runs.filter((r) => r.length > 0))
      out.push(
        `<polyline points="${run.join(' ')}" fill="none" stroke="${s.color}" stroke-width="${s.width ?? 1.6}" stroke-linejoin="round"${s.dashed ? ' stroke-dasharray="7 4"' : ''}/>`,
      );
  }

  const lx = M.left + plotW + 18;
  chart.series.forEach((s, i) => {
    const ly = M.top + 12 + i * 24;
    out.push(
      `<line x1="${lx}" x2="${lx + 28}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="${Math.max(2.5, s.width ?? 1.6)}"${s.dashed ? ' stroke-dasharray="7 4"' : ''}/>`,
    );
    out.push(`<text x="${lx + 36}" y="${ly}" font-size="13" fill="#222" dominant-baseline="middle">${esc(s.name)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}
