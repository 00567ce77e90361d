/**
 * The operations listener and its metrics, in process: a council week on the in-memory store through
 * the metrics' store wrapper and notice sink, scraped over HTTP; and the fatal-error handlers of serve.
 */
import { EventEmitter } from 'node:events';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app/index.ts';
import { installFatalHandlers } from '../../src/serve.ts';
import { createMetrics, type Metrics } from '../../src/web/metrics.ts';
import { observedClaims } from '../../src/web/observe.ts';
import { type OpsServer, type ReadinessCheck, startOpsServer } from '../../src/web/server.ts';
import type { SlotClaims } from '../../src/scheduler/claims.ts';
import { testApp } from '../support/app.ts';

let app: App;
let metrics: Metrics;
let server: OpsServer;
let checks: ReadinessCheck[] = [];
let tick = 0;

beforeAll(async () => {
  // Stage durations on an injected clock: each notice is one second after the previous.
  metrics = createMetrics({ defaultMetrics: true, now: () => tick++, brokerOf: () => 'simulated' });
  ({ app } = await testApp({}, { metrics }));
  app.addSink(metrics.sink);
  server = await startOpsServer({ host: '127.0.0.1', port: 0, metrics, readiness: async () => checks });
});

afterAll(async () => {
  await server?.close();
  await app?.close();
});

const scrape = async () => (await fetch(`${server.url}/metrics`)).text();
const value = (text: string, series: string) => Number(new RegExp(`^${series.replace(/[{}"=,.]/g, (c) => `\\${c}`)} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);

describe('The operations listener', () => {
  it('When a council week is run, approved and executed, Then /metrics counts the run, its stages, orders, approvals and appends', async () => {
    const state = await app.run({ week: '2024-03-04' });
    const proposalId = state.proposal!.proposalId;
    await app.approve({ proposalId, by: 'cli:ops', via: 'cli' });
    await app.approve({ proposalId: proposalId, by: 'slack:UNOBODY', via: 'slack' }).catch(() => undefined);
    const text = await scrape();
    const orders = state.proposal!.orders.length;
    expect(value(text, 'council_runs_total{outcome="proposal"}')).toBe(1);
    for (const stage of ['research', 'pitches', 'reviews', 'chairman']) expect(value(text, `council_stage_duration_seconds_count{stage="${stage}"}`), stage).toBe(1);
    expect(value(text, 'council_orders_total{status="submitted",broker="simulated"}')).toBe(orders);
    expect(value(text, 'council_orders_total{status="filled",broker="simulated"}')).toBe(orders);
    expect(value(text, 'council_approvals_total{outcome="approved"}')).toBe(1);
    expect(value(text, 'council_refusals_total{action="approve"}')).toBe(1);
    expect(value(text, 'council_event_store_append_seconds_count{result="ok"}')).toBeGreaterThan(10);
    // Builtin seats make no model calls: no LLM series yet, but the families are declared.
    expect(text).toContain('# TYPE council_llm_cost_usd_total counter');
    expect(text).toMatch(/^process_resident_memory_bytes \d+/m);
  }, 120_000);

  it('When LLM seats answer, Then calls, tokens and dollars are counted per seat from the recorded usage', () => {
    metrics.observeEvents('week:main:2024-03-11', [
      { type: 'PitchRecorded', data: { seat: 'CLAUDE', status: 'ok', usage: { calls: 2, promptTokens: 1200, completionTokens: 300, costUsd: 0.0125 } } },
      { type: 'ReviewRecorded', data: { reviewer: 'CLAUDE', status: 'abstained', usage: { calls: 1, promptTokens: 900, completionTokens: 0, costUsd: 0.002 } } },
    ]);
    return scrape().then((text) => {
      expect(value(text, 'council_llm_calls_total{seat="CLAUDE",stage="pitch"}')).toBe(2);
      expect(value(text, 'council_llm_calls_total{seat="CLAUDE",stage="review"}')).toBe(1);
      expect(value(text, 'council_llm_tokens_total{seat="CLAUDE",kind="prompt"}')).toBe(2100);
      expect(value(text, 'council_llm_cost_usd_total{seat="CLAUDE"}')).toBeCloseTo(0.0145, 6);
      expect(value(text, 'council_abstentions_total{seat="CLAUDE",stage="review"}')).toBe(1);
    });
  });

  it('When the scheduler completes slots, Then they are counted by job and outcome, only when this process still held them', async () => {
    let held = true;
    const claims: SlotClaims = {
      claim: async () => true,
      renew: async () => true,
      complete: async () => held,
      settled: async () => new Set(),
      lastRuns: async () => [],
    };
    const observed = observedClaims(claims, metrics);
    const slot = { job: 'checkpoint' as const, at: new Date('2026-11-24T14:00:00Z') };
    await observed.complete(slot, 'me', new Date(), 'done');
    held = false;
    await observed.complete(slot, 'me', new Date(), 'failed');
    const text = await scrape();
    expect(value(text, 'council_scheduler_slots_total{job="checkpoint",outcome="done"}')).toBe(1);
    expect(text).not.toContain('council_scheduler_slots_total{job="checkpoint",outcome="failed"}');
  });

  it('When a part is not ready, Then /readyz answers 503 naming it; /healthz stays 200; unknown paths 404 and other verbs 405', async () => {
    checks = [
      { part: 'database', ok: true, detail: 'pglite' },
      { part: 'slack', ok: false, detail: 'not connected' },
    ];
    const notReady = await fetch(`${server.url}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toMatchObject({ ready: false, failing: ['slack: not connected'] });
    checks = [{ part: 'database', ok: true, detail: 'pglite' }];
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${server.url}/nope`)).status).toBe(404);
    expect((await fetch(`${server.url}/healthz`, { method: 'POST' })).status).toBe(405);
  });
});

describe('serve on an uncaught error', () => {
  it('When a route fails with an upstream error that echoes a secret, Then the client gets its class and an error id, never its message', async () => {
    const echoing = new Map([['GET /boom', () => Promise.reject(Object.assign(new Error('401 for key PKSECRET123 at https://upstream'), { name: 'AuthError', status: 401 }))]]);
    const plain = await startOpsServer({ host: '127.0.0.1', port: 0, metrics, readiness: async () => [], routes: echoing });
    const told = await startOpsServer({
      host: '127.0.0.1',
      port: 0,
      metrics,
      readiness: async () => [],
      routes: echoing,
      failure: (error) => ({ error: (error as Error).name, errorId: 'e1d2c3b4' }),
    });
    try {
      const a = await fetch(`${plain.url}/boom`);
      expect(a.status).toBe(500);
      expect(await a.json()).toEqual({ error: 'internal error' });
      const b = await fetch(`${told.url}/boom`);
      expect(b.status).toBe(500);
      const body = await b.text();
      expect(JSON.parse(body)).toEqual({ error: 'AuthError', errorId: 'e1d2c3b4' });
      expect(body).not.toContain('PKSECRET123');
    } finally {
      await plain.close();
      await told.close();
    }
  });

  it('When an uncaught exception or unhandled rejection reaches the process, Then it is logged with an error id and ends the process with exit 70', () => {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    const target = new EventEmitter();
    const fatal: { code: number; errorId: string }[] = [];
    const uninstall = installFatalHandlers(target, logger, (code, errorId) => fatal.push({ code, errorId }));
    target.emit('uncaughtException', new Error('boom in a timer'));
    target.emit('unhandledRejection', new Error('a promise nobody awaited'));
    uninstall();
    target.emit('uncaughtException', new Error('after uninstall'));
    expect(fatal.map((f) => f.code)).toEqual([70, 70]);
    const logged = lines.map((l) => JSON.parse(l) as { level: number; errorId: string; msg: string; err: { message: string } });
    expect(logged.map((l) => [l.level, l.err.message])).toEqual([
      [60, 'boom in a timer'],
      [60, 'a promise nobody awaited'],
    ]);
    expect(logged.map((l) => l.errorId)).toEqual(fatal.map((f) => f.errorId));
    expect(logged[0]!.msg).toContain(`error id ${fatal[0]!.errorId}`);
  });
});
