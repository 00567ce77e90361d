/**
 * Alpaca's trading stream (`trade_updates`), one connection per account (each has its own keys),
 * through the SDK's websocket client pointed at the configured trading host. Each connection
 * authenticates, listens, and hands every update on as a frame (event, time, the order's identity);
 * src/brokers/alpaca.ts reads the order as it stands and answers the port's OrderUpdate.
 *
 * A dropped connection is opened again after a backoff (the first delay, doubled per failed attempt
 * up to the cap; reset once a connection listens), on injected timers so tests drive it. Every time a
 * connection starts listening, the first one included (the process was not listening before it),
 * `onGap(account)` is called: updates may have been missed, so the account is reconciled by polling.
 */
import { z } from 'zod';
import type { AlpacaKeys } from '../config/config.ts';
import { type AlpacaEndpoints, createTradingStream } from '../vendors/alpaca.ts';

/** Timers the reconnects run on (the global ones unless injected). */
export interface StreamTimers {
  setTimeout(run: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface StreamTuning {
  /** The first reconnect's delay; doubled per failed attempt. Default 1 s. */
  initialDelayMs?: number;
  /** The longest delay between attempts. Default 60 s. */
  maxDelayMs?: number;
  /** The SDK's keepalive ping (0: none). Default 10 s. */
  pingIntervalMs?: number;
  timers?: StreamTimers;
}

/** One trade update as the stream delivered it: what happened, when, and to which order. */
export interface TradeUpdateFrame {
  event: string;
  /** When Alpaca says it happened (ISO). */
  at: string;
  order: StreamOrder;
}

/** The fields of a streamed order used to find it again (Alpaca's snake_case wire keys). */
const StreamOrder = z.object({
  id: z.string().min(1),
  client_order_id: z.string(),
  symbol: z.string(),
  type: z.string().optional(),
  order_class: z.string().nullable().optional(),
});
export type StreamOrder = z.infer<typeof StreamOrder>;

const globalTimers: StreamTimers = {
  setTimeout: (run, ms) => setTimeout(run, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** The delay before reconnect attempt `attempt` (0-based). */
export const backoffMs = (attempt: number, tuning: StreamTuning = {}): number => Math.min((tuning.initialDelayMs ?? 1_000) * 2 ** attempt, tuning.maxDelayMs ?? 60_000);

/**
 * Listens to every account's trade updates until the returned function is called. Frames that do not
 * carry an order as expected are reported through `onError` and skipped.
 */
export function watchTradeUpdates(deps: {
  accounts: Readonly<Record<string, AlpacaKeys>>;
  endpoints: AlpacaEndpoints;
  tuning?: StreamTuning;
  onUpdate(account: string, frame: TradeUpdateFrame): void;
  onGap(account: string): void;
  onError?(account: string, message: string): void;
}): () => void {
  const tuning = deps.tuning ?? {};
  const timers = tuning.timers ?? globalTimers;
  const stops = Object.entries(deps.accounts).map(([account, keys]) => {
    let stopped = false;
    let attempt = 0;
    let timer: unknown;
    let current: ReturnType<typeof createTradingStream> | undefined;

    const open = () => {
      const stream = createTradingStream(keys, deps.endpoints, tuning.pingIntervalMs === undefined ? {} : { pingIntervalMs: tuning.pingIntervalMs });
      current = stream;
      let closed = false;
      stream.onTradeUpdate((update) => {
        const order = StreamOrder.safeParse(update.order);
        if (!order.success) return deps.onError?.(account, `a trade update without a readable order: ${order.error.issues.map((i) => i.path.join('.')).join(', ')}`);
        deps.onUpdate(account, { event: update.event, at: (update.timestamp ?? new Date()).toISOString(), order: order.data });
      });
      stream.on('subscription', () => {
        attempt = 0;
        deps.onGap(account);
      });
      stream.on('error', (message: string) => deps.onError?.(account, String(message)));
      stream.on('disconnected', () => {
        if (closed || stopped || current !== stream) return;
        closed = true;
        current = undefined;
        timer = timers.setTimeout(
          () => {
            timer = undefined;
            if (!stopped) open();
          },
          backoffMs(attempt++, tuning),
        );
      });
      stream.subscribeTradeUpdates();
      stream.connect();
    };
    open();
    return () => {
      stopped = true;
      if (timer !== undefined) timers.clearTimeout(timer);
      current?.disconnect();
      current = undefined;
    };
  });
  return () => {
    for (const stop of stops) stop();
  };
}
