/**
 * The postmortem's pictures: equity curves per account plus the benchmarks, and their drawdowns,
 * as PNG. SVG is rasterised by resvg (prebuilt binaries, no native build); text needs a system font
 * such as DejaVu Sans, which resvg finds on its own.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { drawdownSeries, rollingSharpe } from '../domain/metrics.ts';
import { mondayOf } from '../market/time.ts';
import type { Postmortem } from '../pipeline/postmortem.ts';
import { type ChartSeries, lineChartSvg, PALETTE } from './line-chart.ts';

export interface ChartImage {
  /** A file name for uploads and the report folder. */
  fileName: string;
  title: string;
  png: Buffer;
}

/** resvg's native binding, loaded at the first picture: a process that draws none (serve before a postmortem) never maps it. */
let resvgModule: typeof import('@resvg/resvg-js') | undefined;

/**
 * Rasterised off the event loop, on libuv's thread pool (resvg's renderAsync): a postmortem's pictures
 * render side by side, and `serve` keeps answering chat and the dashboard meanwhile.
 */
export async function svgToPng(svg: string): Promise<Buffer> {
  resvgModule ??= createRequire(import.meta.url)('@resvg/resvg-js') as typeof import('@resvg/resvg-js');
  fonts ??= chartFonts();
  const image = await resvgModule.renderAsync(svg, { font: fonts, background: '#ffffff' });
  return image.asPng();
}

/** Where Debian's fonts-dejavu-core (the Dockerfile's font, and this machine's) puts the two faces the charts use. */
const DEJAVU_DIR = '/usr/share/fonts/truetype/dejavu';
const DEJAVU_FACES = ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf'];

let fonts: { loadSystemFonts: boolean; fontFiles?: string[]; defaultFontFamily: string } | undefined;

/**
 * The fonts resvg loads for each picture: DejaVu Sans's regular and bold faces when they are where
 * Debian puts them, else every system font (resvg scans them all, 20-150 ms a picture: a backtest's
 * four charts spent more time finding the font than drawing).
 */
function chartFonts(): { loadSystemFonts: boolean; fontFiles?: string[]; defaultFontFamily: string } {
  const files = DEJAVU_FACES.map((face) => join(DEJAVU_DIR, face));
  return files.every((file) => existsSync(file))
    ? { loadSystemFonts: false, fontFiles: files, defaultFontFamily: 'DejaVu Sans' }
    : { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' };
}

const dollars = (v: number) => `$${Math.round(v).toLocaleString('en-US')}`;
const percent = (v: number) => `${(v * 100).toFixed(Math.abs(v) < 0.1 && v !== 0 ? 1 : 0)}%`;

/** Marks per account: the council thick and red, members in distinct colours, each with its own dash so lines stay apart in print. */
const DASHES = [false, false, true, false, true];

function accountSeries(pm: Postmortem, values: (equity: readonly number[]) => number[]): ChartSeries[] {
  const members = pm.accounts.filter((a) => a.role === 'member');
  const council = pm.accounts.find((a) => a.role === 'council');
  const curve = (account: string) => pm.curves.find((c) => c.account === account)?.equity ?? [];
  return [
    ...(council ? [{ name: `${council.account} (council)`, values: values(curve(council.account)), color: '#d62728', width: 3 }] : []),
    ...members.map((m, i) => ({ name: m.account, values: values(curve(m.account)), color: PALETTE[i % PALETTE.length] as string, width: 1.6, dashed: DASHES[i % DASHES.length] })),
  ];
}

/** SPY and the equal-weight universe held at the accounts' mean exposure: on the accounts' own scale. */
function scaledSeries(pm: Postmortem, values: (equity: readonly number[]) => number[]): ChartSeries[] {
  const at = `at ${Math.round(pm.scaledBenchmarks.exposure * 100)}% exp.`;
  return [
    { name: `SPY ${at}`, values: values(pm.scaledBenchmarks.spy), color: '#111111', width: 2.2, dashed: true },
    { name: `Eq. wt ${at}`, values: values(pm.scaledBenchmarks.equalWeight), color: '#888888', width: 1.8, dashed: true },
  ];
}

/** Each week's return (last close of the week over the last close before it), less the week's risk-free return. */
function weeklyExcess(dates: readonly string[], equity: readonly number[], rf: readonly number[]): { week: string; excess: number }[] {
  const out: { week: string; excess: number }[] = [];
  let base = equity[0] as number;
  let rfGrowth = 1;
  for (let i = 1; i < dates.length; i++) {
    rfGrowth *= 1 + (rf[i - 1] ?? 0);
    const next = dates[i + 1];
    if (next !== undefined && mondayOf(next) === mondayOf(dates[i] as string)) continue;
    out.push({ week: dates[i] as string, excess: (equity[i] as number) / base - 1 - (rfGrowth - 1) });
    base = equity[i] as number;
    rfGrowth = 1;
  }
  return out;
}

export const ROLLING_WEEKS = 26;

/**
 * equity.png and drawdown.png always (the accounts on their own scale, with SPY and equal weight at the
 * same exposure); with `report`, also the benchmarks fully invested in their own panel and, past 26
 * weeks, the rolling 26-week Sharpe ratio.
 */
export async function postmortemCharts(pm: Postmortem, label = `week of ${pm.week}`, o: { report?: boolean } = {}): Promise<ChartImage[]> {
  const period = `${pm.from} to ${pm.to}, daily closes; ${label}`;
  // Each picture starts rendering on the thread pool as soon as its SVG is written, while the next is built.
  const render = async (fileName: string, title: string, svg: string): Promise<ChartImage> => ({ fileName, title, png: await svgToPng(svg) });
  const equity = lineChartSvg({
    title: 'Equity by account, benchmarks at the same exposure',
    subtitle: `${period}; SPY and equal weight held at the accounts' mean exposure, rest in cash`,
    xLabel: 'Session date (New York)',
    yLabel: 'Account equity (USD)',
    dates: pm.dates,
    series: [...accountSeries(pm, (e) => [...e]), ...scaledSeries(pm, (e) => [...e])],
    formatY: dollars,
  });
  const charts: Promise<ChartImage>[] = [render('equity.png', 'Equity curves', equity)];
  const benchmarks = () =>
    lineChartSvg({
      title: 'Benchmarks fully invested (their own scale)',
      subtitle: `${period}; whole shares bought at the first close with the accounts' costs`,
      xLabel: 'Session date (New York)',
      yLabel: 'Equity (USD)',
      dates: pm.dates,
      series: [
        { name: pm.benchmark.name, values: pm.benchmark.equity, color: '#111111', width: 2.2 },
        { name: 'Equal weight', values: pm.equalWeight.equity, color: '#888888', width: 1.8, dashed: true },
      ],
      formatY: dollars,
    });
  const drawdown = lineChartSvg({
    title: 'Drawdown from running peak',
    subtitle: period,
    xLabel: 'Session date (New York)',
    yLabel: 'Below peak (%)',
    dates: pm.dates,
    series: [...accountSeries(pm, drawdownSeries), ...scaledSeries(pm, drawdownSeries)],
    formatY: percent,
    includeY: 0,
  });
  charts.push(render('drawdown.png', 'Drawdowns', drawdown));
  if (!o.report) return Promise.all(charts);
  charts.push(render('benchmarks.png', 'Benchmarks, fully invested', benchmarks()));
  const weeks = weeklyExcess(pm.dates, pm.curves[0]?.equity ?? [], pm.riskFree.returns);
  if (weeks.length > ROLLING_WEEKS) {
    const rolling = (equity: readonly number[]) => {
      const xs = weeklyExcess(pm.dates, equity, pm.riskFree.returns).map((w) => w.excess);
      return rollingSharpe(xs, ROLLING_WEEKS, 52).map((v) => v ?? Number.NaN);
    };
    const sharpeChart = lineChartSvg({
      title: `Rolling ${ROLLING_WEEKS}-week Sharpe ratio (annualised, excess of T-bills)`,
      subtitle: `${pm.from} to ${pm.to}, weekly returns; ${label}`,
      xLabel: 'Week ending (New York)',
      yLabel: 'Sharpe ratio',
      dates: weeks.map((w) => w.week),
      series: [...accountSeries(pm, rolling), { name: 'SPY', values: rolling(pm.benchmark.equity), color: '#111111', width: 2.2, dashed: true }],
      formatY: (v) => v.toFixed(1),
      includeY: 0,
    });
    charts.push(render('rolling-sharpe.png', `Rolling ${ROLLING_WEEKS}-week Sharpe`, sharpeChart));
  }
  return Promise.all(charts);
}
