/**
 * Checkpoints on the bundled real bars through USO's crash of April 2020 (the May future went negative on
 * Monday the 20th; USO opened 15% lower on Tuesday). The builtin council's mean-reversion seat buys USO
 * that Monday with "exit below 27.68", and the same level as its stop at the broker (sized by weight, with
 * stops allowed 50% from the close, so the seat's own level stands). Daily bars mean a checkpoint sees
 * earlier closes, plus the day's open once it is 09:30: so Tuesday 09:00 still holds; Tuesday's 25.52 open
 * goes through the stop, which fills there, and the 12:00 checkpoint finds the position already out.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app/index.ts';
import { ProposalError } from '../../src/domain/proposal.ts';
import { nyDateTime } from '../../src/market/time.ts';
import { checkpointStream } from '../../src/pipeline/checkpoint.ts';
import { loadProposal } from '../../src/pipeline/execution.ts';
import type { Notice } from '../../src/pipeline/notices.ts';
import { testApp } from '../support/app.ts';
import { partsOf } from '../../src/compose.ts';

/** The council file with other risk settings (sizing, maxStopPct), as COUNCIL_CONFIG. */
function councilFileWith(risk: Record<string, string | number>): Record<string, string> {
  let text = readFileSync(new URL('../../config/council.yaml', import.meta.url), 'utf8');
  for (const [key, value] of Object.entries(risk)) text = text.replace(new RegExp(`^(  ${key}:) *[^ #\n]+`, 'm'), `$1 ${value}`);
  const file = join(mkdtempSync(join(tmpdir(), 'council-config-')), 'council.yaml');
  writeFileSync(file, text);
  return { COUNCIL_CONFIG: file };
}

let app: App;
let notices: Notice[];
beforeAll(async () => {
  ({ app, notices } = await testApp(councilFileWith({ sizing: 'weight', maxStopPct: 0.5 })));
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

  it('When Tuesday opens at 25.52, through the stop at 27.68, Then the stop fills at that open, the 12:00 checkpoint finds USO already out and places no exit', async () => {
    const entry = await loadProposal(partsOf(app).store, await firstEntry());
    const order = entry.orders.find((o) => o.account === 'GEMINI' && o.symbol === 'USO')!;
    expect(order.protect).toEqual({ stopPrice: 27.68, takeProfitPrice: expect.any(Number) });
    const r = await check('2020-04-21', '12:00');
    expect(r.positions.some((p) => p.account === 'GEMINI' && p.symbol === 'USO')).toBe(false);
    expect(r.exits.filter((e) => e.symbol === 'USO')).toEqual([]);
    const after = await loadProposal(partsOf(app).store, entry.proposalId);
    expect(after.fills[`${order.clientOrderId}-sl`]).toEqual({
      qty: order.qty,
      price: Math.round(25.52 * (1 - 0.0002) * 10_000) / 10_000,
      fee: expect.any(Number),
      filledAt: '2020-04-21T09:30',
    });
    const events = await partsOf(app).store.read(checkpointStream(app.councilId, '2020-04-20'));
    expect(events.filter((e) => e.type === 'ExitOrdered' && (e.data as { symbol: string }).symbol === 'USO')).toEqual([]);
    // Seen again by later checkpoints, the stop's fill is recorded once.
    await check('2020-04-21', '14:00');
    const events2 = await partsOf(app).store.read(`proposal:${entry.proposalId}`);
    expect(events2.filter((e) => e.type === 'OrderFilled' && (e.data as { clientOrderId: string }).clientOrderId === `${order.clientOrderId}-sl`)).toHaveLength(1);
  });

  it('When Wednesday opens, Then the next checkpoint no longer holds USO and nothing was sold twice', async () => {
    const r = await check('2020-04-22', '09:45');
    expect(r.positions.some((p) => p.symbol === 'USO')).toBe(false);
    const gemini = await partsOf(app).broker.account('GEMINI', at('2020-04-22', '09:45'));
    expect(gemini.positions.filter((p) => p.symbol === 'USO')).toEqual([]);
  });

  it('When trading is halted, Then the next checkpoint closes every remaining position by the kill switch', async () => {
    await app.halt('cli:test', true);
    const r = await check('2020-04-22', '12:00');
    expect(r.halted).toBe(true);
    expect(r.positions.length).toBeGreaterThan(0);
    expect(r.positions.every((p) => p.exit === 'kill_switch')).toBe(true);
    expect(r.exits.map((e) => [e.account, e.reason, e.status])).toEqual(r.positions.map((p) => [p.account, 'kill_switch', 'placed']));
    // Each exit canceled its position's resting stop before it went out: nothing can sell the shares twice.
    const broker = partsOf(app).broker;
    for (const p of r.positions) {
      const entry = await broker.findByClientOrderId(p.account, `tc-${p.entry!.proposalId}-${p.account}-${p.symbol}`.toLowerCase());
      expect(entry?.legs?.map((l) => l.status) ?? [], `${p.account} ${p.symbol}`).not.toContain('accepted');
    }
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
