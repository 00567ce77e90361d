/**
 * The desk's CLI commands as a script reads them (issue 18): one JSON document on stdout per command,
 * in the shapes the README documents; exit needs --yes; hints name CLI commands.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { council } from '../support/cli.ts';

const env = { COUNCIL_DATA_DIR: mkdtempSync(join(tmpdir(), 'council-cli-desk-')) };
const json = async (args: string[]) => {
  const r = await council([...args, '--json'], env);
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
  return JSON.parse(r.stdout) as Record<string, unknown>;
};

let runText = '';
beforeAll(async () => {
  const run = await council(['run', '--week', '2024-03-04'], env);
  expect(run.code, run.stderr).toBe(0);
  runText = run.stdout;
  const id = /Approve: npx council approve (\S+)/.exec(runText)?.[1];
  await json(['approve', id!]);
  await json(['checkpoint', '--at', '2024-03-05T12:00']);
}, 120_000);

describe('The desk on the command line', () => {
  it('When a run ends at its proposal, Then the hints name the CLI commands, not the chat ones', () => {
    expect(runText).toMatch(/Approve: npx council approve \S+ {4}Reject: npx council reject \S+ \[--reason TEXT\]/);
    expect(runText).not.toContain('/council');
  });

  it('When the reads are asked with --json, Then each prints its documented shape', async () => {
    const positions = await json(['positions']);
    expect(positions).toMatchObject({ asOf: expect.any(String), accounts: expect.any(Array) });
    const [first] = (positions.accounts as { positions: unknown[] }[]).flatMap((a) => a.positions);
    expect(first).toEqual({
      account: expect.any(String),
      symbol: expect.any(String),
      qty: expect.any(Number),
      avgPrice: expect.any(Number),
      mark: expect.any(Number),
      unrealizedPl: expect.any(Number),
      // The stop sent with the opening order rests at the broker; the take-profit only when the pitch set one.
      stop: expect.any(Number),
      takeProfit: expect.toSatisfy((x: unknown) => x === null || typeof x === 'number'),
      openedAt: expect.any(String),
      ageDays: expect.any(Number),
      exiting: false,
      qtyAfterExits: expect.any(Number),
    });

    const profit = await json(['profit', '4w']);
    expect(profit).toMatchObject({ window: '4w', from: expect.any(String), to: expect.any(String), benchmark: { account: 'SPY buy-and-hold', role: 'benchmark' } });
    expect((profit.accounts as object[])[0]).toEqual({
      account: expect.any(String),
      role: expect.stringMatching(/^(council|member)$/),
      seat: expect.anything(),
      startEquity: expect.any(Number),
      endEquity: expect.any(Number),
      pnl: expect.any(Number),
      realisedPnl: expect.any(Number),
      unrealisedPnl: expect.any(Number),
      totalReturn: expect.any(Number),
    });

    const history = await json(['history', '2']);
    expect((history.weeks as object[])[0]).toMatchObject({
      week: '2024-03-04',
      decision: { instrument: expect.any(String), direction: expect.any(String) },
      proposal: { status: expect.any(String), approvedBy: { by: expect.stringMatching(/^cli:/), via: 'cli' }, rejected: null },
      pnl: expect.any(Array),
      threads: { slack: null, discord: null },
    });

    const board = await json(['leaderboard', 'all']);
    expect(board).toMatchObject({ window: 'all', benchmark: { name: 'SPY buy-and-hold' }, calibration: expect.any(Array) });
    expect((board.rows as object[])[0]).toEqual({
      rank: 1,
      account: expect.any(String),
      role: expect.any(String),
      seat: expect.anything(),
      totalReturn: expect.any(Number),
      pnl: expect.any(Number),
      // The replay stands at the close of the session the week's orders filled in: one session, too short for a Sharpe.
      sharpe: null,
      maxDrawdown: expect.any(Number),
      hitRate: null,
      trades: 0,
    });

    const cost = await json(['cost', 'all']);
    expect(cost).toMatchObject({ window: 'all', weeks: ['2024-03-04'], total: { calls: 0, costUsd: 0 } });
    expect((cost.rows as object[])[0]).toEqual({ seat: expect.any(String), stage: expect.any(String), calls: 0, promptTokens: 0, completionTokens: 0, costUsd: 0 });
  });

  it('When pause, unpause and exit are run, Then pause answers with the trading state, exit without --yes is a usage error, and with it each exit is listed', async () => {
    expect(await json(['pause'])).toMatchObject({ trading: { state: 'paused', by: expect.stringMatching(/^cli:/), at: expect.any(String) } });
    expect(await json(['unpause'])).toEqual({ trading: { state: 'running' } });

    const unconfirmed = await council(['exit', 'all'], env);
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toContain('add --yes to confirm');

    const done = await json(['exit', 'all', '--yes', '--reason', 'flat into the weekend']);
    expect(done).toMatchObject({ at: expect.any(String) });
    for (const e of done.exits as Record<string, unknown>[])
      expect(e).toMatchObject({ reason: 'manual', status: 'placed', detail: expect.stringContaining('flat into the weekend'), proposalId: expect.stringMatching(/^x-/) });

    const none = await council(['exit', 'all', '--yes', '--json'], env);
    expect(none.code).toBe(1);
    expect(JSON.parse(none.stdout)).toMatchObject({ error: { code: 'NOTHING_TO_EXIT' } });
  });
});
