/**
 * The desk through the one dispatch every channel shares (issue 18), against a real App on in-memory
 * PGlite with the builtin seats, replayed bars and the simulated broker: the reads come from the
 * postmortem's ledger, exit and pause are for approvers only (refusals recorded), and a pause refuses
 * approving new entries while a checkpoint's exits still go out.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app/index.ts';
import { parseCouncilCommand } from '../../src/bot/commands.ts';
import { costLines, historyLines, leaderboardLines, positionsLines, profitLines } from '../../src/bot/desk-text.ts';
import { dispatch } from '../../src/bot/dispatch.ts';
import { ProposalError } from '../../src/domain/proposal.ts';
import { nyDateTime } from '../../src/market/time.ts';
import type { Notice } from '../../src/pipeline/notices.ts';
import { streams } from '../../src/pipeline/streams.ts';
import { testApp } from '../support/app.ts';

const WEEK = '2024-03-04';
const NEXT_WEEK = '2024-03-11';
const approver = { by: 'cli:ada', via: 'console' };
const stranger = { by: 'slack:U0STRANGER', via: 'slack' };

let app: App;
let notices: Notice[];
beforeAll(async () => {
  ({ app, notices } = await testApp({ COUNCIL_APPROVERS: approver.by }));
  const ran = await dispatch(app, parseCouncilCommand(`/council run --week ${WEEK}`), approver);
  const proposalId = ran.kind === 'ran' ? ran.state.proposal?.proposalId : undefined;
  await dispatch(app, { kind: 'approve', proposalId: proposalId! }, approver);
  // Tuesday noon: the orders filled at Monday's open.
  await app.checkpoint(nyDateTime('2024-03-05', '12:00'));
}, 60_000);
afterAll(async () => app?.close());

describe('The desk reads', () => {
  it('When the desk asks for positions, Then every account shows its fills as the broker holds them, with age and the stop resting at the broker', async () => {
    const out = await dispatch(app, { kind: 'positions' }, stranger);
    expect(out.kind).toBe('positions');
    if (out.kind !== 'positions') return;
    const held = out.view.accounts.flatMap((a) => a.positions);
    expect(held.length).toBeGreaterThan(0);
    for (const p of held) {
      expect(p.qty).not.toBe(0);
      expect(p.avgPrice).toBeGreaterThan(0);
      expect(p.ageDays).toBeGreaterThanOrEqual(0);
      // Every opening order carried its stop (issue 17): it rests on the protective side of the entry.
      expect(p.stop).not.toBeNull();
      expect(Math.sign(p.avgPrice - (p.stop ?? 0))).toBe(Math.sign(p.qty));
    }
    const text = positionsLines(out.view).join('\n');
    expect(text).toMatch(/^Positions at \w{3} \d{4}-\d{2}-\d{2} \d{2}:\d{2} ET/);
    expect(text).toMatch(/[+-]\$[\d,]+\.\d\d/);
  });

  it('When the desk asks for profit, Then realised plus unrealised is each account’s P/L, SPY stands beside them, and the figures are the postmortem’s', async () => {
    const out = await dispatch(app, parseCouncilCommand('profit all'), stranger);
    if (out.kind !== 'profit') throw new Error(out.kind);
    const { view } = out;
    expect(view.accounts.map((a) => a.account).sort()).toEqual([...app.accounts].sort());
    for (const a of view.accounts) {
      expect(a.realisedPnl + a.unrealisedPnl).toBeCloseTo(a.pnl, 6);
      expect(a.totalReturn).toBeCloseTo(a.endEquity / a.startEquity - 1, 10);
    }
    expect(view.benchmark?.account).toBe('SPY buy-and-hold');
    expect(view.councilVsMembers?.council).toBe(view.accounts.find((a) => a.role === 'council')?.totalReturn);
    // The same ledger as the postmortem: the leaderboard's returns are the profit's.
    const board = await dispatch(app, parseCouncilCommand('leaderboard all'), stranger);
    if (board.kind !== 'leaderboard') throw new Error(board.kind);
    for (const row of board.view.rows) expect(row.totalReturn).toBeCloseTo(view.accounts.find((a) => a.account === row.account)!.totalReturn, 10);
    expect(board.view.rows.map((r) => r.rank)).toEqual(board.view.rows.map((_, i) => i + 1));
    expect(board.view.calibration.length).toBeGreaterThan(0);
    expect(profitLines(view).join('\n')).toContain('SPY buy-and-hold');
    expect(leaderboardLines(board.view).join('\n')).toContain("Reviewers' calibration");
  });

  it('When the desk asks for history and cost, Then the week shows its decision, who approved it and its P/L, and the builtin seats cost nothing', async () => {
    const history = await dispatch(app, parseCouncilCommand('history 2'), stranger);
    if (history.kind !== 'history') throw new Error(history.kind);
    const [week] = history.view.weeks;
    expect(week).toMatchObject({ week: WEEK, proposal: { approvedBy: { by: approver.by } } });
    expect(week?.pnl.map((p) => p.account).sort()).toEqual([...app.accounts].sort());
    const text = historyLines(history.view).join('\n');
    expect(text).toContain(`Week of ${WEEK}:`);
    expect(text).toMatch(/approved by cli:ada via console at \w{3} 2024-03-04 \d\d:\d\d ET/);

    const cost = await dispatch(app, parseCouncilCommand('cost all'), stranger);
    if (cost.kind !== 'cost') throw new Error(cost.kind);
    expect(cost.view.weeks).toEqual([WEEK]);
    expect(cost.view.total.costUsd).toBe(0);
    expect(cost.view.rows.map((r) => r.stage)).toContain('pitch');
    expect(costLines(cost.view).join('\n')).toContain('no model calls');
  });
});

describe('The desk actions', () => {
  it('When someone who is not an approver asks to exit or pause, Then both are refused and recorded, and nothing is closed', async () => {
    const before = await app.positions();
    await expect(dispatch(app, parseCouncilCommand('exit all'), stranger)).rejects.toBeInstanceOf(ProposalError);
    await expect(dispatch(app, parseCouncilCommand('exit all --yes'), stranger)).rejects.toBeInstanceOf(ProposalError);
    await expect(dispatch(app, { kind: 'pause' }, stranger)).rejects.toBeInstanceOf(ProposalError);
    const refusals = await streams.controlRefusals(app.councilId).read(app.ports.store);
    expect(refusals.map((r) => [r.type, r.data.action, r.data.by])).toEqual([
      ['RequestRefused', 'exit', stranger.by],
      ['RequestRefused', 'exit', stranger.by],
      ['RequestRefused', 'pause', stranger.by],
    ]);
    expect((await app.tradingState()).state).toBe('running');
    expect(await app.positions()).toEqual(before);
  });

  it('When an approver exits one position, Then it is asked back first, then closed through its own exit proposal, recorded with who and why, once', async () => {
    const book = await app.positions();
    const target = book.accounts.find((a) => a.positions.length > 0)!;
    const symbol = target.positions[0]!.symbol;
    const ask = await dispatch(app, parseCouncilCommand(`exit ${target.account.toLowerCase()} ${symbol} taking profit`), approver);
    expect(ask).toMatchObject({ kind: 'exit_confirm', positions: [{ account: target.account, symbol }] });
    if (ask.kind !== 'exit_confirm') return;
    const done = await dispatch(app, { ...ask.command, confirmed: true }, approver);
    expect(done).toMatchObject({ kind: 'exited', result: { exits: [{ account: target.account, symbol, reason: 'manual', status: 'placed' }] } });
    if (done.kind !== 'exited') return;
    const exit = await app.proposal(done.result.exits[0]!.proposalId);
    expect(exit.approvedBy).toMatchObject({ by: approver.by, via: approver.via });
    expect(exit.orders[0]?.reason).toBe(`exit (manual): taking profit (${approver.by} via ${approver.via})`);
    expect(notices.some((n) => n.type === 'exit_report' && n.exits.some((e) => e.proposalId === exit.proposalId))).toBe(true);
    // Asked again, the same exit proposal answers: nothing is placed twice.
    const again = await app.exit({ ...approver, account: target.account, symbol }).then(
      (r) => r.exits.map((e) => e.proposalId),
      (error: unknown) => (error as Error).message,
    );
    if (Array.isArray(again)) expect(again).toEqual([exit.proposalId]);
    else expect(again).toContain('nothing to exit');
  });

  it('When an approver pauses, Then a new week’s approval is refused with who paused and when, while the checkpoint’s exits still go out; unpause lets it through', async () => {
    const paused = await dispatch(app, { kind: 'pause' }, approver);
    expect(paused).toMatchObject({ kind: 'paused', trading: { state: 'paused', by: approver.by } });
    expect((await app.status()).trading.state).toBe('paused');

    // Friday 15:50: every horizon of the week is due, and the exits are placed though trading is paused.
    const friday = await app.checkpoint(nyDateTime('2024-03-08', '15:50'));
    expect(friday.exits.length).toBeGreaterThan(0);
    expect(friday.exits.every((e) => e.status === 'placed')).toBe(true);
    // Those exits are working until Monday's open: an exit asked for now would sell the same shares twice, so it places nothing.
    const preview = await dispatch(app, parseCouncilCommand('exit all'), approver).catch((e: unknown) => e);
    expect((preview as Error).message).toContain('nothing to exit');
    const twice = await app.exit({ ...approver, account: 'all' }).catch((e: unknown) => e);
    expect((twice as { code?: string }).code).toBe('NOTHING_TO_EXIT');
    expect((twice as Error).message).toBe('nothing to exit: no account holds a position that a working exit does not already close, as of 2024-03-11 09:00 ET');

    const ran = await dispatch(app, parseCouncilCommand(`/council run --week ${NEXT_WEEK}`), approver);
    const proposalId = ran.kind === 'ran' ? ran.state.proposal?.proposalId : undefined;
    expect(proposalId).toBeDefined();
    const refused = await dispatch(app, { kind: 'approve', proposalId: proposalId! }, approver).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ProposalError);
    expect((refused as ProposalError).code).toBe('PAUSED');
    expect((refused as ProposalError).message).toMatch(/^trading is paused by cli:ada at \d{4}-\d{2}-\d{2} \d\d:\d\d ET/);
    expect((await app.proposal(proposalId!)).status).toBe('PENDING');

    expect(await dispatch(app, { kind: 'unpause' }, approver)).toMatchObject({ kind: 'paused', trading: { state: 'running' } });
    const approved = await dispatch(app, { kind: 'approve', proposalId: proposalId! }, approver);
    expect(approved.kind).toBe('approved');
  });
});
