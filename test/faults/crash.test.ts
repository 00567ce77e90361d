/**
 * kill -9 at every stage boundary of a council run, and again inside execution (after Alpaca accepted
 * an order, before the event append), with the spawned `council` command on PostgreSQL (PGlite when
 * TEST_DATABASE_URL is unset) and six paper accounts on the fake Alpaca. After the restarts, the run
 * and the execution end exactly as an uninterrupted week does: the same orders, each POSTed once, each
 * account holding what it should, and every stream holding each expected event exactly once.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../src/store/port.ts';
import { POSTGRES_URL } from './support/database.ts';
import { brokerBook, countTypes, expectedBook, orderShape, type PlannedOrder, postsByClientOrderId, type Scenario, startScenario } from './support/scenario.ts';

const WEEK = '2024-03-04';
const STAGES = ['started', 'research', 'pitches', 'reviews', 'decision', 'proposal'] as const;
const SEATS = 5;

/** A completed week: one of each stage, one pitch and one review per seat. */
const WEEK_EVENTS = { RunStarted: 1, ResearchCompleted: 1, PitchRecorded: SEATS, ReviewRecorded: SEATS, DecisionMade: 1, ProposalCreated: 1, RunCompleted: 1 };
/** ExecutionAttempted is a marker written before each attempt; its count is the number of attempts, checked apart. */
const proposalEvents = (orders: number) => ({ ProposalOpened: 1, ProposalApproved: 1, OrderSubmitted: orders, OrderFilled: orders, ExecutionCompleted: 1 });

interface RunJson {
  outcome: string;
  proposal: { id: string; orders: PlannedOrder[] } | null;
}

/** Two scenarios at a time: each spawns processes in turn, and this machine has two cores. */
function limit(concurrency: number): <T>(work: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async (work) => {
    if (active >= concurrency) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      return await work();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}
const slot = limit(2);

function parseRun(stdout: string): { proposal: NonNullable<RunJson['proposal']> } {
  const run = JSON.parse(stdout) as RunJson;
  if (!run.proposal) throw new Error(`the week ended without a proposal: ${run.outcome}`);
  return { proposal: run.proposal };
}

/** The uninterrupted week: what every crashed scenario must end up with. */
let control: { orders: string[]; week: Record<string, number>; proposal: Record<string, number> };

beforeAll(async () => {
  const s = await startScenario('control');
  try {
    const run = await s.cli(['run', '--week', WEEK, '--json']);
    expect(run.stderr).toBe('');
    const { proposal } = parseRun(run.stdout);
    const approved = await s.cli(['approve', proposal.id, '--json']);
    expect(approved.code).toBe(0);
    const streams = await s.streams(WEEK, proposal.id);
    control = { orders: proposal.orders.map(orderShape).sort(), week: countTypes(streams.week), proposal: countTypes(streams.proposal, ['ExecutionAttempted']) };
    expect(control.week).toEqual(WEEK_EVENTS);
    expect(control.proposal).toEqual(proposalEvents(proposal.orders.length));
    expect(brokerBook(s.fake)).toEqual(expectedBook(proposal.orders));
  } finally {
    await s.dispose();
  }
});

/** Runs the week killed at `stage`, restarts it, approves killed after the first accepted order, and restarts again. */
async function crashEverywhere(stage: string): Promise<{ s: Scenario; orders: PlannedOrder[]; streams: { week: StoredEvent[]; proposal: StoredEvent[] } }> {
  const s = await startScenario(`crash_${stage}`);
  const killed = await s.cli(['run', '--week', WEEK, '--json'], { COUNCIL_CRASH_AT: stage });
  expect(killed.signal).toBe('SIGKILL');
  expect(killed.stdout).toBe('');

  const resumed = await s.cli(['run', '--week', WEEK, '--json']);
  expect(resumed.stderr).toBe('');
  const { proposal } = parseRun(resumed.stdout);

  const killedInExecution = await s.cli(['approve', proposal.id, '--json'], { COUNCIL_CRASH_AT: 'after-submit' });
  expect(killedInExecution.signal).toBe('SIGKILL');
  expect(s.fake.posts().length).toBeGreaterThanOrEqual(1); // Alpaca took at least one order the store never heard of

  const restarted = await s.cli(['status', '--json']);
  expect(restarted.code).toBe(0);
  return { s, orders: proposal.orders, streams: await s.streams(WEEK, proposal.id) };
}

describe(`kill -9 during a council week (${POSTGRES_URL ? 'PostgreSQL' : 'PGlite'}, six accounts on the fake Alpaca)`, () => {
  for (const stage of STAGES) {
    it.concurrent(`When the run is killed after "${stage}" and approval is killed after Alpaca's accept, Then the restarts finish the week with every order placed once and no event lost or doubled`, async ({
      expect,
    }) => {
      await slot(async () => {
        const { s, orders, streams } = await crashEverywhere(stage);
        try {
          expect(orders.map(orderShape).sort()).toEqual(control.orders);

          const posts = postsByClientOrderId(s.fake);
          expect([...posts.keys()].sort()).toEqual(orders.map((o) => o.clientOrderId).sort());
          expect([...posts.values()].every((n) => n === 1)).toBe(true);
          expect(s.fake.log.filter((r) => r.phase === 'answered' && r.status !== undefined && r.status >= 400 && r.method === 'POST')).toEqual([]);
          expect(brokerBook(s.fake)).toEqual(expectedBook(orders));

          expect(countTypes(streams.week)).toEqual(control.week);
          expect(countTypes(streams.proposal, ['ExecutionAttempted'])).toEqual(control.proposal);
          expect(streams.proposal.filter((e) => e.type === 'ExecutionAttempted')).toHaveLength(2); // the killed one and the restart's
          const submitted = streams.proposal.filter((e) => e.type === 'OrderSubmitted').map((e) => (e.data as { clientOrderId: string }).clientOrderId);
          expect(submitted.sort()).toEqual(orders.map((o) => o.clientOrderId).sort());
        } finally {
          await s.dispose();
        }
      });
    }, 900_000); // includes the wait for a slot: the six start together; never a timing assertion
  }
});
