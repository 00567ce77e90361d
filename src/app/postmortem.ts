/**
 * The postmortem use case: the weekly P/L, Sharpe, drawdown and hit rate per account, council vs
 * members vs SPY, published as a notice with its charts; marked no later than the week's Friday close.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { writeExports } from './exports.ts';
import { postmortemCharts } from '../charts/postmortem-charts.ts';
import { bundledRiskFree } from '../market/rates.ts';
import { addDays, mondayOf, nyDateTime } from '../market/time.ts';
import type { PostmortemChart } from '../pipeline/notices.ts';
import { type Postmortem, type PostmortemDeps, publishPostmortem } from '../pipeline/postmortem.ts';
import type { AppContext } from './context.ts';

/** What the postmortem needs, from the application's dependencies. */
export function postmortemDeps(ctx: AppContext): PostmortemDeps {
  const { config, store, market, calendar, settings } = ctx.deps;
  return {
    store,
    market,
    calendar,
    council: settings.council,
    startingCash: config.file.risk.startingCash,
    universe: config.file.universe,
    accounts: config.accounts,
    seatAccounts: settings.seatAccounts,
    chairAccount: settings.chairAccount,
    riskFree: bundledRiskFree(),
    costs: config.file.broker,
    cashInterest: config.file.broker.cashInterest,
  };
}

/** Renders the charts and writes them under `dir`, for the notice's uploaders and the user's disk. */
export function chartWriter(dir: string): (pm: Postmortem) => Promise<PostmortemChart[]> {
  return async (pm) => {
    await mkdir(dir, { recursive: true });
    return Promise.all(
      (await postmortemCharts(pm)).map(async (c) => {
        const path = join(dir, c.fileName);
        await writeFile(path, c.png);
        return { ...c, path };
      }),
    );
  };
}

/**
 * The weekly postmortem for `week` (default: the week `run` would pick), marked no later than that
 * Friday's close; charts and exports written under `out` (default <data dir>/postmortems/<week>).
 */
export async function postmortem(ctx: AppContext, opts: { week?: string; out?: string }): Promise<{ postmortem: Postmortem; charts: PostmortemChart[] }> {
  const { clock, config } = ctx.deps;
  const week = opts.week ? mondayOf(opts.week) : await clock.defaultWeek();
  // A week outside the data would be built from other weeks' bars: refused with the range that exists.
  await clock.assertWeekInData(week);
  // The week's own record: marked at its Friday, whatever the replay's clock says (the data's end bounds it).
  const mark = await clock.dataTime();
  const weekEnd = nyDateTime(addDays(week, 4), '20:00');
  const asOf = new Date(Math.min(mark.getTime(), weekEnd.getTime()));
  const dir = resolve(opts.out ?? join(config.dataDir, 'postmortems', week));
  const result = await publishPostmortem({ ...postmortemDeps(ctx), sink: ctx.sink, charts: chartWriter(dir) }, { week, asOf });
  await mkdir(dir, { recursive: true });
  await writeExports(dir, result.postmortem);
  return result;
}
