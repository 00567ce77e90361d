/**
 * The postmortem's pictures: equity curves per account plus the benchmarks, and their drawdowns,
 * as PNG. SVG is rasterised by resvg (prebuilt binaries, no native build); text needs a system font
 * such as DejaVu Sans, which resvg finds on its own.
 */
import { Resvg } from '@resvg/resvg-js';
import { drawdownSeries } from '../domain/metrics.ts';
import type { Postmortem } from '../pipeline/postmortem.ts';
import { type ChartSeries, lineChartSvg, PALETTE } from './line-chart.ts';

export interface ChartImage {
  /** A file name for uploads and the report folder. */
  fileName: string;
  title: string;
  png: Buffer;
}

export function svgToPng(svg: string): Buffer {
  const resvg = new Resvg(svg, { font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' }, background: '#ffffff' });
  return resvg.render().asPng();
}

const dollars = (v: number) => `$${Math.round(v).toLocaleString('en-US')}`;
const percent = (v: number) => `${(v * 100).toFixed(Math.abs(v) < 0.1 && v !== 0 ? 1 : 0)}%`;

function seriesOf(pm: Postmortem, values: (equity: readonly number[]) => number[]): ChartSeries[] {
  const members = pm.accounts.filter((a) => a.role === 'member');
  const council = pm.accounts.find((a) => a.role === 'council');
  const curve = (account: string) => pm.curves.find((c) => c.account === account)?.equity ?? [];
  return [
    ...(council ? [{ name: `${council.account} (council)`, values: values(curve(council.account)), color: '#d62728', width: 3 }] : []),
    ...members.map((m, i) => ({ name: m.account, values: values(curve(m.account)), color: PALETTE[i % PALETTE.length] as string, width: 1.4 })),
    { name: pm.benchmark.name, values: values(pm.benchmark.equity), color: '#111111', width: 2.4, dashed: true },
    { name: 'Equal weight', values: values(pm.equalWeight.equity), color: '#777777', width: 1.8, dashed: true },
  ];
}

export function postmortemCharts(pm: Postmortem, label = `week of ${pm.week}`): ChartImage[] {
  const period = `${pm.from} to ${pm.to}, daily closes; ${label}`;
  const equity = lineChartSvg({
    title: `Equity by account vs ${pm.benchmark.name}`,
    subtitle: period,
    xLabel: 'Session date (New York)',
    yLabel: 'Account equity (USD)',
    dates: pm.dates,
    series: seriesOf(pm, (e) => [...e]),
    formatY: dollars,
  });
  const drawdown = lineChartSvg({
    title: 'Drawdown from running peak',
    subtitle: period,
    xLabel: 'Session date (New York)',
    yLabel: 'Below peak (%)',
    dates: pm.dates,
    series: seriesOf(pm, drawdownSeries),
    formatY: percent,
    includeY: 0,
  });
  return [
    { fileName: 'equity.png', title: 'Equity curves', png: svgToPng(equity) },
    { fileName: 'drawdown.png', title: 'Drawdowns', png: svgToPng(drawdown) },
  ];
}
