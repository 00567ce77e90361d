/**
 * The Alpaca SDK, built and read in one place below both of its users: the market-data and news
 * adapters (src/market/) and the broker adapter (src/brokers/), so neither imports the other. The
 * trading stream's client (the SDK's websocket) is built here too, pointed at the same trading host.
 *
 * Building an Alpaca SDK client and reading its answers. Every response is read from the wire (the
 * SDK's `...Raw` methods) and validated with zod, because the SDK's models are not validated and map
 * some fields and not others. Endpoints are rewritten by a middleware, the route the SDK's migration
 * guide gives, since v4 has no base-URL option.
 */
import { streaming } from '@alpacahq/alpaca-trade-api';
import { Alpaca, ApiError, FetchError } from '@alpacahq/alpaca-trade-api/rest';
import type { z } from 'zod';
import type { AlpacaKeys } from '../config/config.ts';
import { explainError } from '../explain.ts';

export interface AlpacaEndpoints {
  paper: boolean;
  /** Replaces Alpaca's trading host (paper or live), e.g. a proxy or a loopback fake. */
  apiUrl?: string | undefined;
  /** Replaces Alpaca's market-data host. */
  dataUrl?: string | undefined;
}

export interface AlpacaTuning {
  /** Per-attempt timeout; after it a submit is ambiguous and is looked up. */
  timeoutMs?: number;
  /** Retries of safe verbs (GET); the SDK never retries a POST. */
  retry?: { maxRetries: number; retryDelayMs: number } | false;
  rateLimit?: { maxRequests: number; intervalMs: number } | false;
}

const isDataHost = (host: string) => host.startsWith('data.') || host.includes('.data.');

/** One SDK client for one set of keys, with its hosts swapped when the config says so. */
export function createAlpacaClient(keys: AlpacaKeys, endpoints: AlpacaEndpoints, tuning: AlpacaTuning = {}): Alpaca {
  const rewrite = (url: string): string => {
    const u = new URL(url);
    const base = isDataHost(u.hostname) ? endpoints.dataUrl : endpoints.apiUrl;
    return base ? `${base.replace(/\/+$/, '')}${u.pathname}${u.search}` : url;
  };
  return new Alpaca({
    keyId: keys.keyId,
    secret: keys.secret,
    paper: endpoints.paper,
    timeoutMs: tuning.timeoutMs ?? 15_000,
    retry: tuning.retry ?? { maxRetries: 2, retryDelayMs: 250 },
    rateLimit: tuning.rateLimit ?? { maxRequests: 190, intervalMs: 60_000 },
    middleware: endpoints.apiUrl || endpoints.dataUrl ? [{ pre: async (ctx) => ({ url: rewrite(ctx.url), init: ctx.init }) }] : [],
  });
}

/** One SDK client per account, each with its own keys (one rate limit per key, as Alpaca counts them). */
export function createAlpacaClients(accounts: Readonly<Record<string, AlpacaKeys>>, endpoints: AlpacaEndpoints, tuning: AlpacaTuning = {}): Map<string, Alpaca> {
  return new Map(Object.entries(accounts).map(([account, keys]) => [account, createAlpacaClient(keys, endpoints, tuning)]));
}

/** Alpaca answered with something our schema does not accept; the message names the call and the fields. */
export class AlpacaResponseError extends Error {
  readonly code = 'ALPACA_RESPONSE';
  constructor(what: string, error: z.ZodError) {
    super(`Alpaca's answer to ${what} is not what we expect: ${error.issues.map((i) => `${i.path.join('.') || '(root)'} ${i.message}`).join('; ')}`);
    this.name = 'AlpacaResponseError';
  }
}

/** Reads and validates the body of a raw SDK response. */
export async function wire<S extends z.ZodType>(what: string, schema: S, call: Promise<{ raw: Response }>): Promise<z.infer<S>> {
  const { raw } = await call;
  const parsed = schema.safeParse(await raw.json());
  if (!parsed.success) throw new AlpacaResponseError(what, parsed.error);
  return parsed.data;
}

/** A one-line description of an SDK error, without headers or keys. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) return `Alpaca ${error.status}${error.code ? ` (code ${error.code})` : ''}: ${error.message || 'no message'}`;
  if (error instanceof FetchError) return `no answer from Alpaca: ${explainError(error)}`;
  return error instanceof Error ? error.message : String(error);
}

/**
 * Where the trading stream is: the configured trading host with `ws` for `http` and `/stream`, the path
 * Alpaca serves it on; Alpaca's own (paper or live) when no host is configured.
 */
export function tradingStreamUrl(endpoints: AlpacaEndpoints): string {
  if (endpoints.apiUrl) return `${endpoints.apiUrl.replace(/\/+$/, '').replace(/^http/, 'ws')}/stream`;
  return endpoints.paper ? streaming.TRADING_STREAM_PAPER : streaming.TRADING_STREAM_LIVE;
}

/**
 * The SDK's trading-stream client for one set of keys, at `tradingStreamUrl`. It does not reconnect on
 * its own: its owner does, with its own backoff and timers (src/brokers/alpaca-stream.ts).
 */
export function createTradingStream(keys: AlpacaKeys, endpoints: AlpacaEndpoints, options: { pingIntervalMs?: number } = {}): streaming.TradingStream {
  return new streaming.TradingStream({
    credentials: { keyId: keys.keyId, secret: keys.secret },
    url: tradingStreamUrl(endpoints),
    reconnect: false,
    pingIntervalMs: options.pingIntervalMs ?? 10_000,
  });
}
