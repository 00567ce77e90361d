/**
 * Checkpoints on the bundled real bars through USO's crash of April 2020 (the May future went negative on
 * Monday the 20th; USO opened 15% lower on Tuesday). The builtin council's mean-reversion seat buys USO
 * that Monday with "exit below 27.68". Daily bars mean a checkpoint sees earlier closes, plus the day's
 * open once it is 09:30: so Tuesday 09:00 still holds, Tuesday 12:00 sees the 25.52 open and exits.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app/index.ts';
import { ProposalError } from '../../src/domain/proposal.ts';
import { nyDateTime } from '../../src/market/time.ts';
import { checkpointStream } from '../../src/pipeline/checkpoint.ts';
import { loadProposal } from '../../src/pipeline/execution.ts';
import type { Notice } from '../../src/pipeline/notices.ts';
import { testApp } from '../support/app.ts';
import { partsOf } from '../../src/compose.ts';

let app: App;
let notices: Notice[];
beforeAll(async () => {
  ({ app, notices } = await testApp());
});
afterAll(async () => {
  await app?.close();
});

const at = (date: string, time: string) => nyDateTime(date, time);
const check = (date: string, time: string) => app.scheduledCheckpoint(at(date, time));

describe('proposal expiry', () => {
  it('When a proposal passes its expiry unapproved, Then it is marked expired in the channel and approving it afterwards is refused with nothing placed', async () => {
    const state = await app.run({ week: '2020-04-13' });
    const id = state.proposal!.proposalId;
    expect(await app.expireDue(new Date(Date.parse(state.proposal!.expiresAt) - 60_000))).toEqual([]);
    expect(await app.expireDue(new Date(state.proposal!.expiresAt))).toEqual([id]);
    expect(notices).toContainEqual({ type: 'proposal_expired', week: '2020-04-13', proposalId: id, at: state.proposal!.expiresAt });

    const refused = await app.approve({ proposalId: id, by: 'cli:test', via: 'test' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ProposalError);
    expect((refused as Error).message).toMatch(/expired/);
    const after = await loadProposal(partsOf(app).store, id);
    expect(after.status).toBe('EXPIRED');
    expect(Object.keys(after.submitted)).toEqual([]);
  });
});

describe('checkpoints through USO in April 2020', () => {
  beforeAll(async () => {
    const state = await app.run({ week: '2020-04-20' });
    await app.approve({ proposalId: state.proposal!.proposalId, by: 'cli:test', via: 'test' });
  });

  it("When Tuesday 09:00 comes, Then the USO position holds on Monday's 30.00 close (the 25.52 open is not published yet)", async () => {
    const r = await check('2020-04-21', '09:00');
    const uso = r.positions.find((p) => p.symbol === 'USO')!;
    expect(uso).toMatchObject({
      account: 'GEMINI',
      owner: 'GEMINI',
      direction: 'LONG',
      status: 'hold',
      mark: 30,
      markSource: { kind: 'close', session: '2020-04-20' },
      exit: null,
    });
    // builtin seats give no conviction update: offline output is unchanged
    expect('update' in uso).toBe(false);
    expect(r.exits).toEqual([]);
  });

  it('When Tuesday 12:00 comes, Then the open of 25.52 breaks "USO close < 27.68", the position is invalidated with its loss, and its exit is placed once and recorded', async () => {
    const r = await check('2020-04-21', '12:00');
    const uso = r.positions.find((p) => p.symbol === 'USO')!;
    expect(uso).toMatchObject({ status: 'invalidated', mark: 25.52, markSource: { kind: 'open', session: '2020-04-21' }, exit: 'invalidation' });
    expect(uso.conditions[0]).toMatchObject({ condition: { symbol: 'USO', indicator: 'close', comparator: '<', threshold: 27.68 }, value: 25.52, holds: true });
    expect(uso.pl).toBeLessThan(0);
    expect(uso.plPct).toBeCloseTo(25.52 / uso.avgPrice - 1, 4);
    expect(r.exits).toEqual([
      expect.objectContaining({
        account: 'GEMINI',
        symbol: 'USO',
        side: 'sell',
        qty: uso.qty,
        reason: 'invalidation',
        status: 'placed',
        proposalId: `x-${uso.entry!.proposalId}-gemini-uso`,
      }),
    ]);
    const events = await partsOf(app).store.read(checkpointStream(app.councilId, '2020-04-20'));
    expect(events.filter((e) => e.type === 'ExitOrdered').map((e) => e.data)).toEqual([
      expect.objectContaining({ account: 'GEMINI', symbol: 'USO', reason: 'invalidation', detail: 'USO close 25.52 < 27.68', entryProposalId: uso.entry!.proposalId }),
    ]);
    const exit = await loadProposal(partsOf(app).store, r.exits[0]!.proposalId);
    expect(exit.status).toBe('EXECUTED');
    expect(exit.approvedBy?.by).toBe('policy:exit');
    expect(notices.filter((n) => n.type === 'exit_report')).toHaveLength(1);

    // Later checkpoints and a second evaluation of the same instant place nothing more.
    const again = await check('2020-04-21', '12:00');
    expect(again.fresh).toBe(false);
    await check('2020-04-21', '14:00');
    const broker = partsOf(app).broker;
    expect((await broker.findByClientOrderId('GEMINI', exit.orders[0]!.clientOrderId))?.status).toBe('accepted');
    expect(notices.filter((n) => n.type === 'exit_report')).toHaveLength(1);
  });

  it('When Wednesday opens, Then the exit fills at the open and the next checkpoint no longer holds USO', async () => {
    const r = await check('2020-04-22', '09:45');
    expect(r.positions.some((p) => p.symbol === 'USO')).toBe(false);
    const exit = await loadProposal(partsOf(app).store, `x-${await firstEntry()}-gemini-uso`);
    const fill = Object.values(exit.fills)[0];
    expect(fill?.price).toBeCloseTo(23.200001 * (1 - 0.0002), 3);
  });

  it('When trading is halted, Then the next checkpoint closes every remaining position by the kill switch', async () => {
    await app.halt('cli:test', true);
    const r = await check('2020-04-22', '12:00');
    expect(r.halted).toBe(true);
    expect(r.positions.length).toBeGreaterThan(0);
    expect(r.positions.every((p) => p.exit === 'kill_switch')).toBe(true);
    expect(r.exits.map((e) => [e.account, e.reason, e.status])).toEqual(r.positions.map((p) => [p.account, 'kill_switch', 'placed']));
    await app.halt('cli:test', false);
  });
});

async function firstEntry(): Promise<string> {
  const state = await app.weekState('2020-04-20');
  return state.proposal!.proposalId;
}

describe('an exit still working when the next council plans', () => {
  it("When Friday's last checkpoint exits positions at the end of their horizon, Then Monday's plan counts those exits as done and never closes the same position twice", async () => {
    const { app: fresh } = await testApp();
    try {
      const first = await fresh.run({ week: '2020-01-06' });
      await fresh.approve({ proposalId: first.proposal!.proposalId, by: 'cli:test', via: 'test' });
      const friday = await fresh.scheduledCheckpoint(at('2020-01-10', '15:50'));
      const horizonExits = friday.exits.filter((e) => e.reason === 'horizon' && e.status === 'placed');
      expect(horizonExits.length).toBeGreaterThan(0); // the 1w views end on Friday; their exits fill at Monday's open

      const next = await fresh.run({ week: '2020-01-13' });
      for (const exit of horizonExits) {
        const again = next.proposal?.orders.filter((o) => o.account === exit.account && o.symbol === exit.symbol) ?? [];
        // The plan starts from the position after the exit: it may open the symbol again, never close it.
        for (const o of again) expect(o.reason, `${exit.account} ${exit.symbol}`).not.toMatch(/^close /);
        for (const o of again) expect(o.side, `${exit.account} ${exit.symbol}`).not.toBe(exit.side);
      }
    } finally {
      await fresh.close();
    }
  });
});
