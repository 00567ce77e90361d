/** Parsing what a user types after /council: the words every channel shares (src/bot/commands.ts). */
import { describe, expect, it } from 'vitest';
import { CommandError, HELP, parseCouncilCommand } from '../../src/bot/commands.ts';

describe('/council run', () => {
  it('When a bare date follows run, Then it is the week, not a question', () => {
    expect(parseCouncilCommand('/council run 2024-03-04')).toEqual({ kind: 'run', week: '2024-03-04', query: undefined });
    expect(parseCouncilCommand('/council run 2024-03-04 is the Fed priced?')).toEqual({ kind: 'run', week: '2024-03-04', query: 'is the Fed priced?' });
  });

  it('When --week is given, Then it is the week and the rest is the question, a date in it included', () => {
    expect(parseCouncilCommand('/council run --week 2024-03-04 what after 2024-03-20?')).toEqual({ kind: 'run', week: '2024-03-04', query: 'what after 2024-03-20?' });
  });

  it('When only words follow run, Then they are the question for the current week', () => {
    expect(parseCouncilCommand('/council run rates or oil?')).toEqual({ kind: 'run', week: undefined, query: 'rates or oil?' });
  });

  it('When --week has no date, Then the user is told what it needs', () => {
    expect(() => parseCouncilCommand('/council run --week soon')).toThrow(CommandError);
  });
});

describe('The desk commands', () => {
  it('When a read names no window, Then each takes its default; a window it does not take is a user error naming the ones it does', () => {
    expect(parseCouncilCommand('positions')).toEqual({ kind: 'positions' });
    expect(parseCouncilCommand('/council profit')).toEqual({ kind: 'profit', window: '1w' });
    expect(parseCouncilCommand('/council profit 8W')).toEqual({ kind: 'profit', window: '8w' });
    expect(parseCouncilCommand('leaderboard')).toEqual({ kind: 'leaderboard', window: '4w' });
    expect(parseCouncilCommand('cost all')).toEqual({ kind: 'cost', window: 'all' });
    expect(parseCouncilCommand('history')).toEqual({ kind: 'history', n: 4 });
    expect(parseCouncilCommand('history 12')).toEqual({ kind: 'history', n: 12 });
    expect(() => parseCouncilCommand('leaderboard 1w')).toThrow(/leaderboard takes 4w, 8w, all/);
    expect(() => parseCouncilCommand('cost 8w')).toThrow(CommandError);
    expect(() => parseCouncilCommand('history lots')).toThrow(/1 to 52/);
  });

  it('When exit names an account, a symbol and a reason, Then the second word is always the symbol ("all": every position) and --yes confirms', () => {
    expect(parseCouncilCommand('exit COUNCIL spy earnings risk')).toEqual({ kind: 'exit', account: 'COUNCIL', symbol: 'SPY', reason: 'earnings risk', confirmed: false });
    expect(parseCouncilCommand('exit all')).toEqual({ kind: 'exit', account: 'all', symbol: undefined, reason: undefined, confirmed: false });
    expect(parseCouncilCommand('exit claude all risk off --yes')).toEqual({ kind: 'exit', account: 'claude', symbol: undefined, reason: 'risk off', confirmed: true });
    expect(() => parseCouncilCommand('exit')).toThrow(/exit needs an account/);
    expect(() => parseCouncilCommand('exit COUNCIL 123')).toThrow(/is not a symbol/);
  });

  it('When pause or unpause is typed, Then they are commands of their own, and help lists every desk command', () => {
    expect(parseCouncilCommand('pause')).toEqual({ kind: 'pause' });
    expect(parseCouncilCommand('/council unpause')).toEqual({ kind: 'unpause' });
    const help = parseCouncilCommand('help');
    expect(help).toEqual({ kind: 'help' });
    for (const word of ['positions', 'profit', 'history', 'leaderboard', 'cost', 'exit', 'pause | unpause']) expect(HELP).toContain(`/council ${word}`);
  });
});

describe('Times as a trader reads them', () => {
  it('When a refusal written below the bot carries ISO instants, Then every channel shows them in New York time with the zone', async () => {
    const { withNyTimes } = await import('../../src/bot/format.ts');
    expect(withNyTimes('trading is halted (by slack:U1 at 2026-11-30T13:47:26.375Z)')).toBe('trading is halted (by slack:U1 at Mon 2026-11-30 08:47 ET)');
    expect(withNyTimes('proposal p expired at 2024-07-01T20:00:00.000Z; nothing was placed')).toBe('proposal p expired at Mon 2024-07-01 16:00 ET; nothing was placed');
    expect(withNyTimes('no instant here, 2024-03-04 is a date')).toBe('no instant here, 2024-03-04 is a date');
  });

  it('When money and percentages are written, Then they carry two decimals, thousands separators and a sign where they are a gain or a loss', async () => {
    const { money, pct, signedMoney } = await import('../../src/bot/format.ts');
    expect(money(1234567.891)).toBe('$1,234,567.89');
    expect(money(-0.001)).toBe('$0.00');
    expect(signedMoney(1234.5)).toBe('+$1,234.50');
    expect(signedMoney(-87)).toBe('-$87.00');
    expect(signedMoney(0.001)).toBe('$0.00');
    expect(pct(0.0123)).toBe('+1.23%');
    expect(pct(-0.004)).toBe('-0.40%');
    expect(pct(0.00001)).toBe('0.00%');
  });
});

describe('Checkpoint wording', () => {
  it('When a checkpoint closes a position, Then it reads EXITING whatever its rule said; a close condition judged on the open is labelled as the open', async () => {
    const { conditionCheckText, statusMark } = await import('../../src/bot/checkpoint-text.ts');
    expect(statusMark({ status: 'hold', exit: 'horizon' })).toBe('➜ EXITING');
    expect(statusMark({ status: 'watch', exit: null })).toBe('⚠ WATCH');
    const check = { condition: { symbol: 'SPY', indicator: 'close' as const, comparator: '<' as const, threshold: 480 }, value: 495.6, holds: false, near: false };
    expect(conditionCheckText(check, { kind: 'open', session: '2024-03-06' })).toBe('· SPY close < 480  (open 495.60, the 2024-03-06 close is not in yet)');
    expect(conditionCheckText(check, { kind: 'close', session: '2024-03-05' })).toBe('· SPY close < 480  (now 495.6)');
  });

  it('When an exit waits for approval, Then the console names the console command and the CLI the CLI command', async () => {
    const { renderNotice } = await import('../../src/bot/console/render.ts');
    const exit = {
      account: 'COUNCIL',
      symbol: 'SPY',
      side: 'sell' as const,
      qty: 10,
      reason: 'horizon' as const,
      detail: 'horizon 1w ended',
      proposalId: 'x-p-council-spy',
      status: 'awaiting_approval' as const,
      orders: [],
      note: null,
    };
    const notice = { type: 'exit_report' as const, week: '2024-03-04', at: '2024-03-08T20:50:00.000Z', exits: [exit], requireApproval: true };
    expect(renderNotice(notice)).toContain('AWAITING APPROVAL: /council approve x-p-council-spy');
    expect(renderNotice(notice, 'cli')).toContain('AWAITING APPROVAL: npx council approve x-p-council-spy');
    expect(renderNotice(notice, 'cli')).toContain('Exits at Fri 2024-03-08 15:50 ET');
  });
});
