/**
 * Approve-to-all-accepted for six Alpaca accounts against the fake with a fixed latency, compared with
 * one broker round trip. The proposal is opened as the pipeline opens it: the broker is told what may be
 * sent (`anticipate`), so whether Alpaca lends the short's symbol is known before the click, as it is
 * while a real decision waits in a channel.
 *
 * The approval contract (issue 13) reads every account's book at the click and computes the orders from
 * it, so the floor is two round trips: one for the reads (all eighteen GETs, three per account, at once),
 * one for the sends (all six POSTs at once, the first attempt with no lookup), with the approval's one
 * append between them. The goal, p95 < 2.5 round trips, leaves half a round trip for that append and the
 * CPU of eighteen requests and six orders; the fake answers in this same process, so its CPU counts too.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { createAlpacaClient } from '../src/vendors/alpaca.ts';
import { loadConfig } from '../src/config/config.ts';
import { buildApp, partsOf } from '../src/compose.ts';
import { nyDateTime } from '../src/market/time.ts';
import { startFakeAlpaca } from '../test/fakes/alpaca.ts';
import { ACCOUNTS, alpacaEnv, keyOf, secretOf } from '../test/brokers/env.ts';
import { BENCH_EXPIRY, openSpyProposal } from './support.ts';

const LATENCY_MS = 40;
const ROUNDS = 40;

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
const round1 = (x: number) => Math.round(x * 10) / 10;
/** The goal in broker round trips: one to read the books at the click, one to send, half for the rest. */
export const APPROVE_GOAL_ROUND_TRIPS = 2.5;

export async function benchApprove(): Promise<{
  p50Ms: number;
  p95Ms: number;
  roundTripMs: number;
  ratio: number;
  p95Ratio: number;
  goalRoundTrips: number;
  underGoal: boolean;
  latencyMs: number;
  rounds: number;
}> {
  const fake = await startFakeAlpaca();
  const dir = mkdtempSync(join(tmpdir(), 'council-bench-'));
  const now = nyDateTime('2024-03-04', '07:00');
  const app = await buildApp(loadConfig(alpacaEnv(fake, dir)), { memory: true, logger: pino({ level: 'silent' }), clock: () => now, alpaca: { rateLimit: false } });
  try {
    fake.latencyMs = LATENCY_MS;
    const probe = createAlpacaClient({ keyId: keyOf('COUNCIL'), secret: secretOf('COUNCIL') }, { paper: true, apiUrl: fake.url }, { rateLimit: false });
    const trips: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const started = performance.now();
      await probe.trading.account.getAccountRaw();
      trips.push(performance.now() - started);
    }
    const roundTripMs = percentile(
      trips.sort((a, b) => a - b),
      50,
    );

    const samples: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const proposalId = `bench-${i}`;
      // Five buys and one short, like the council's usual week.
      const orders = await openSpyProposal(app, { proposalId, asOf: now, accounts: ACCOUNTS, qty: 10, price: 500, sideOf: (k) => (k === 1 ? 'sell' : 'buy') });
      // As the pipeline does when it posts the decision; a person's click comes later than this answer.
      await partsOf(app).broker.anticipate?.(orders, BENCH_EXPIRY);
      const mark = fake.log.length;
      const started = performance.now();
      await app.approve({ proposalId, by: 'cli:bench', via: 'cli' });
      const accepted = fake.log.slice(mark).filter((r) => r.phase === 'answered' && r.method === 'POST' && r.status === 200);
      if (accepted.length !== 6) throw new Error(`expected 6 accepted orders, got ${accepted.length}`);
      samples.push(Math.max(...accepted.map((r) => r.t)) - started);
      // The fake holds every order open, and an approval counts working orders as held: start each round flat.
      await Promise.all(ACCOUNTS.map((account) => partsOf(app).broker.cancelOpenOrders(account, now)));
    }
    samples.sort((a, b) => a - b);
    const p50Ms = percentile(samples, 50);
    const p95Ms = percentile(samples, 95);
    return {
      p50Ms: round1(p50Ms),
      p95Ms: round1(p95Ms),
      roundTripMs: round1(roundTripMs),
      ratio: round1(p50Ms / roundTripMs),
      p95Ratio: round1(p95Ms / roundTripMs),
      goalRoundTrips: APPROVE_GOAL_ROUND_TRIPS,
      underGoal: p95Ms < APPROVE_GOAL_ROUND_TRIPS * roundTripMs,
      latencyMs: LATENCY_MS,
      rounds: ROUNDS,
    };
  } finally {
    await app.close();
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await benchApprove();
  process.stdout.write(
    `approve to all six accepted (${r.rounds} samples): p50 ${r.p50Ms} ms, p95 ${r.p95Ms} ms; one broker round trip ${r.roundTripMs} ms (fake latency ${r.latencyMs} ms); p50 ${r.ratio}, p95 ${r.p95Ratio} round trips (goal p95 < ${r.goalRoundTrips}: one to read the books, one to send) ${r.underGoal ? 'pass' : 'NOT MET'}\n`,
  );
}
