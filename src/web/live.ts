/**
 * Live updates: `GET /events` is a server-sent event stream that says `change` within about a second
 * of any event appended to the store, by whichever replica: one poller per process reads the event
 * store's global position (never process memory), and tells every open stream. A comment line every
 * 15 s keeps proxies from closing an idle stream.
 */
import type { ServerResponse } from 'node:http';
import type { CouncilApp } from '../app/index.ts';
import { callerOf } from './auth.ts';
import type { WebContext } from './context.ts';
import { sendJson } from './http.ts';
import type { Handler } from './server.ts';

export const DEFAULT_POLL_MS = 1_000;
const KEEPALIVE_MS = 15_000;

export interface Change {
  /** The store's global position after the change. */
  position: string;
  streams: string[];
}

/** The store's head: the highest global position, "0" for an empty store. */
export async function head(app: CouncilApp): Promise<string> {
  const rows = await app.ports.database.query<{ head: string | null }>('select max(global_position)::text as head from events');
  return rows[0]?.head ?? '0';
}

/** Polls the store while someone listens; stops when the last listener leaves. */
export function createChangeFeed(app: CouncilApp, pollMs = DEFAULT_POLL_MS) {
  const listeners = new Set<(change: Change) => void>();
  let timer: NodeJS.Timeout | undefined;
  let position: string | undefined;
  let polling = false;

  const poll = async () => {
    if (polling) return;
    polling = true;
    try {
      position ??= await head(app);
      const events = await app.ports.store.readAll({ after: position, limit: 500 });
      if (events.length) {
        position = events.at(-1)!.globalPosition;
        const change = { position, streams: [...new Set(events.map((e) => e.stream))] };
        for (const listener of listeners) listener(change);
      }
    } catch (error) {
      app.logger.warn({ err: error }, 'web: the live feed could not read the event store; retrying');
    } finally {
      polling = false;
    }
  };

  return {
    subscribe(listener: (change: Change) => void): () => void {
      listeners.add(listener);
      if (!timer) {
        void poll();
        timer = setInterval(() => void poll(), pollMs);
        timer.unref();
      }
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0 && timer) {
          clearInterval(timer);
          timer = undefined;
          position = undefined;
        }
      };
    },
    get listening(): number {
      return listeners.size;
    },
  };
}

function write(res: ServerResponse, text: string): void {
  if (!res.writableEnded) res.write(text);
}

export function liveRoutes(ctx: WebContext, options: { pollMs?: number } = {}): Map<string, Handler> {
  const feed = createChangeFeed(ctx.app, options.pollMs);
  return new Map<string, Handler>([
    [
      'GET /events',
      async (req, res) => {
        const caller = await callerOf(req, ctx.app, ctx.signIn);
        if (!caller) return sendJson(res, 401, { error: { code: 'NO_SESSION', message: 'sign in first' } });
        res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
        write(res, 'retry: 2000\n\n');
        const send = (change: Change) => write(res, `event: change\nid: ${change.position}\ndata: ${JSON.stringify(change)}\n\n`);
        const unsubscribe = feed.subscribe(send);
        // What the page has seen: the position it was built at (?since=), or the last change a reconnecting
        // stream heard (Last-Event-ID). Anything appended since, before this stream opened, is said at once.
        const url = new URL(req.url ?? '/', 'http://localhost');
        const seen = req.headers['last-event-id'] ?? url.searchParams.get('since');
        if (typeof seen === 'string' && /^\d{1,19}$/.test(seen)) {
          const now = await head(ctx.app).catch(() => undefined);
          if (now !== undefined && BigInt(now) > BigInt(seen)) send({ position: now, streams: [] });
        }
        const keepalive = setInterval(() => write(res, ': keepalive\n\n'), KEEPALIVE_MS);
        keepalive.unref();
        // The session may end meanwhile (sign out, revoke): the stream ends at its expiry at the latest.
        const expiry = setTimeout(() => res.end(), Math.max(0, caller.expiresAt.getTime() - ctx.signIn.now().getTime()));
        expiry.unref();
        req.on('close', () => {
          clearInterval(keepalive);
          clearTimeout(expiry);
          unsubscribe();
        });
      },
    ],
  ]);
}
