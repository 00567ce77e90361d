/**
 * The weekly postmortem on two real weeks of the builtin council (PGlite, simulated broker, bundled
 * bars): figures checked against the fills in the event store and closes read straight from the CSV.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app/index.ts';
import { renderNotice } from '../../src/bot/console/render.ts';
import { loadConfig } from '../../src/config/config.ts';
import { createLogger } from '../../src/logger.ts';
import { buildApp, partsOf } from '../../src/compose.ts';
import type { Notice } from '../../src/pipeline/notices.ts';
import { PostmortemError } from '../../src/pipeline/postmortem.ts';
import { readRaw } from '../market/raw.ts';

const close = (symbol: string, date: string) => readRaw(symbol).find((b) => b.date === date)!.close;

describe('Weekly postmortem', () => {
  let app: App;
  const notices: Notice[] = [];
  const out = mkdtempSync(join(tmpdir(), 'pm-'));

  beforeAll(async () => {
    const config = loadConfig({ COUNCIL_DATA_DIR: mkdtempSync(join(tmpdir(), 'pm-data-')) });
    app = await buildApp(config, { memory: true, logger: createLogger('silent'), clock: () => new Date('2024-03-18T12:00:00Z') });
    app.addSink({ publish: async (n) => void notices.push(n) });
  });
  afterAll(() => app?.close());

  it('When no council has run yet, Then a PostmortemError says so and nothing is published', async () => {
    await expect(app.postmortem({ week: '2024-03-11', out })).rejects.toThrow(PostmortemError);
    expect(notices).toEqual([]);
  });

  it('When two weeks were run and approved, Then the postmortem marks every account from its fills and the CSV closes, with charts', async () => {
    for (const week of ['2024-03-04', '2024-03-11']) {
      const state = await app.run({ week });
      await app.approve({ proposalId: state.proposal!.proposalId, by: 'cli:test', via: 'cli' });
    }
    const { postmortem: pm, charts } = await app.postmortem({ week: '2024-03-11', out });

    expect(pm.from).toBe('2024-03-01');
    expect(pm.to).toBe('2024-03-15');
    expect(pm.weekFrom).toBe('2024-03-08');
    expect(pm.weeks).toBe(2);

    // Independently: replay the OrderFilled events by hand and price them at the CSV closes.
    const fills = (await partsOf(app).store.readAll({ types: ['OrderFilled'] })).map(
      (e) => e.data as { account: string; symbol: string; side: string; qty: number; price: number; fee: number; filledAt: string },
    );
    expect(fills.length).toBeGreaterThan(0);
    const markAt = (account: string, date: string) => {
      let cash = 100_000;
      const qty = new Map<string, number>();
      for (const f of fills.filter((x) => x.account === account && x.filledAt.slice(0, 10) <= date)) {
        const signed = f.side === 'buy' ? f.qty : -f.qty;
        cash -= signed * f.price + f.fee;
        qty.set(f.symbol, (qty.get(f.symbol) ?? 0) + signed);
      }
      return cash + [...qty].reduce((s, [symbol, q]) => s + q * close(symbol, date), 0);
    };
    // The postmortem keeps money in cents: each fill's notional and each position's value rounds to a cent.
    const cent = (x: number, y: number) => expect(Math.abs(x - y)).toBeLessThanOrEqual(0.01 * 4);
    for (const a of pm.accounts) {
      cent(a.equity, markAt(a.account, '2024-03-15'));
      cent(a.weekPnl, markAt(a.account, '2024-03-15') - markAt(a.account, '2024-03-08'));
      expect(a.performance.totalReturn).toBeCloseTo(markAt(a.account, '2024-03-15') / 100_000 - 1, 6);
      expect(a.fees).toBeCloseTo(
        fills.filter((f) => f.account === a.account).reduce((s, f) => s + f.fee, 0),
        6,
      );
      expect(a.usage.costUsd).toBe(0);
      expect(a.pnlPerTokenDollar).toBeNull();
    }
    expect(pm.accounts.filter((a) => a.role === 'council').map((a) => a.account)).toEqual(['COUNCIL']);
    // SPY buy-and-hold pays the accounts' costs: whole shares at the base close plus slippage, and a fee.
    const px = Math.round(close('SPY', '2024-03-01') * 1.0002 * 10_000) / 10_000;
    const shares = Math.floor(100_000 / px);
    const spyAt = (d: string) => 100_000 - shares * px - Math.max(1, 0.005 * shares) + shares * close('SPY', d);
    expect(pm.benchmark.weekReturn).toBeCloseTo(spyAt('2024-03-15') / spyAt('2024-03-08') - 1, 9);
    expect(pm.benchmark.performance.totalReturn).toBeCloseTo(spyAt('2024-03-15') / 100_000 - 1, 9);

    const members = pm.accounts.filter((a) => a.role === 'member').map((a) => a.performance.totalReturn);
    const council = pm.accounts.find((a) => a.role === 'council')!.performance.totalReturn;
    expect(pm.deliberation?.vsBest).toBeCloseTo(council - Math.max(...members), 12);
    // Five reviewers each scored four pitches a week for two weeks.
    expect(pm.calibration.map((c) => [c.reviewer, c.pitches])).toEqual(['CHATGPT', 'CLAUDE', 'DEEPSEEK', 'GEMINI', 'GROQ'].map((r) => [r, 8]));

    expect(charts.map((c) => c.fileName)).toEqual(['equity.png', 'drawdown.png']);
    for (const c of charts) {
      expect(c.path && existsSync(c.path)).toBe(true);
      expect(readFileSync(c.path!).subarray(1, 4).toString('ascii')).toBe('PNG');
    }

    const published = notices.filter((n) => n.type === 'postmortem_ready');
    expect(published).toHaveLength(1);
    const text = renderNotice(published[0]!);
    expect(text).toContain('Postmortem, week of 2024-03-11');
    expect(text).toContain('SPY buy-and-hold');
    expect(text).toContain('Did deliberation add value?');
    expect(text).toContain('Reviewer calibration');
    expect(text).toContain(charts[0]!.path!);
    // Ten daily returns are too few for a Sharpe ratio, eight pairs too few for a correlation, two weeks for a verdict.
    expect(text).toContain('n/a (10 sessions)');
    expect(text).toContain('n/a (8 pairs)');
    expect(text).toContain('inconclusive: 2 weeks are too few to tell');
    for (const a of pm.accounts) expect([a.performance.sessions, a.performance.sharpe, a.performance.sortino, a.performance.volatility]).toEqual([10, null, null, null]);
  });

  it('When the postmortem is written with --out, Then the folder holds fills.csv, trades.csv and equity.csv whose rows match the events', async () => {
    const fills = readFileSync(join(out, 'fills.csv'), 'utf8').trim().split('\n');
    const trades = readFileSync(join(out, 'trades.csv'), 'utf8').trim().split('\n');
    const equity = readFileSync(join(out, 'equity.csv'), 'utf8').trim().split('\n');
    expect(fills[0]).toBe('time,account,symbol,side,qty,price,fee,clientOrderId,reason');
    expect(trades[0]).toBe('account,symbol,direction,qty,entryTime,entryPrice,exitTime,exitPrice,pnl,fees,exitReason,stopPrice');
    expect(equity[0]).toBe('date,account,equity,cash,grossExposure');
    const filled = await partsOf(app).store.readAll({ types: ['OrderFilled'] });
    expect(fills.length - 1).toBe(filled.length);
    // 2024-03-01 (the base) and the ten sessions of the two weeks, for every account.
    expect(equity.length - 1).toBe(11 * app.accounts.length);
    for (const row of trades.slice(1)) {
      const [, , direction, qty, entryTime, , exitTime, , pnl, fees] = row.split(',');
      expect(['LONG', 'SHORT']).toContain(direction);
      expect(Number(qty)).toBeGreaterThan(0);
      expect(entryTime! < exitTime!).toBe(true);
      expect(pnl).toMatch(/^-?\d+\.\d\d$/);
      expect(Number(fees)).toBeGreaterThanOrEqual(2);
    }
  });
});
