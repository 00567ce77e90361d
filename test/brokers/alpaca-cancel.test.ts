/**
 * Netting on Alpaca (issue 15): one working order is canceled by its client order id through the real
 * SDK against the fake, so a live approval never sends a buy while an exit of the symbol still sells
 * at the same open. An order already done answers as it stands.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app/index.ts';
import { loadConfig } from '../../src/config/config.ts';
import { buildApp, partsOf } from '../../src/compose.ts';
import { nyDateTime } from '../../src/market/time.ts';
import { type FakeAlpaca, startFakeAlpaca } from '../fakes/alpaca.ts';
import { alpacaEnv } from './env.ts';

let fake: FakeAlpaca;
let app: App;
let dir: string;
const now = nyDateTime('2024-03-04', '07:00');

beforeAll(async () => {
  fake = await startFakeAlpaca();
  fake.clock.now = () => now;
  dir = mkdtempSync(join(tmpdir(), 'council-alpaca-cancel-'));
  app = await buildApp(loadConfig(alpacaEnv(fake, dir)), {
    memory: true,
    logger: pino({ level: 'silent' }),
    clock: () => now,
    alpaca: { timeoutMs: 1_000, retry: { maxRetries: 1, retryDelayMs: 1 }, rateLimit: false },
  });
});

afterAll(async () => {
  await app?.close();
  await fake?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('Alpaca cancelOrder', () => {
  it('When a working exit is canceled by its client order id, Then Alpaca holds it canceled; canceling again answers canceled; an unknown id answers nothing', async () => {
    const broker = partsOf(app).broker;
    await broker.submit({ account: 'CHATGPT', clientOrderId: 'tc-x-2024-03-01-abc-chatgpt-spy', symbol: 'SPY', side: 'buy', qty: 3, at: now });
    expect(await broker.cancelOrder('CHATGPT', 'tc-x-2024-03-01-abc-chatgpt-spy', now, 'netted')).toMatchObject({ status: 'canceled', filledQty: 0 });
    expect(await broker.findByClientOrderId('CHATGPT', 'tc-x-2024-03-01-abc-chatgpt-spy')).toMatchObject({ status: 'canceled' });
    expect(await broker.cancelOrder('CHATGPT', 'tc-x-2024-03-01-abc-chatgpt-spy', now, 'netted')).toMatchObject({ status: 'canceled' });
    expect(await broker.cancelOrder('CHATGPT', 'tc-x-none', now, 'netted')).toBeUndefined();
  });
});
