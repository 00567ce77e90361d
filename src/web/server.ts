/**
 * The one HTTP listener of `council serve` (COUNCIL_HTTP_HOST:COUNCIL_HTTP_PORT): /healthz, /readyz and
 * /metrics, and the routes the dashboard and its JSON API add (src/web/dashboard.ts). node:http and an
 * explicit route map, nothing more: a key is "METHOD /path", where a segment `:name` matches any one
 * segment and reaches the handler as `params.name` (decoded).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Metrics } from './metrics.ts';

/** One part of readiness: ok, or what is wrong with it. */
export interface ReadinessCheck {
  part: string;
  ok: boolean;
  detail: string;
}

/** A route's handler; `params` holds the `:name` segments of its pattern, decoded. */
export type Handler = (req: IncomingMessage, res: ServerResponse, params: Readonly<Record<string, string>>) => Promise<void> | void;

export interface OpsServerOptions {
  host: string;
  port: number;
  metrics: Metrics;
  /** Every part the process needs to take work; /readyz is 200 only when all are ok. */
  readiness: () => Promise<ReadinessCheck[]>;
  /** More routes ("GET /api/status", "POST /api/proposals/:id/approve" style keys): the dashboard's. */
  routes?: ReadonlyMap<string, Handler>;
  /**
   * A handler's failure that it did not answer itself: logs it (redacted) and gives the text and error id
   * the client is told. Without it the client is told only that the request failed, never the message.
   */
  failure?: (error: unknown) => { error: string; errorId?: string };
}

export interface OpsServer {
  /** http://host:port, with the port the OS chose when 0 was asked. */
  url: string;
  close(): Promise<void>;
}

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(`${JSON.stringify(body)}\n`);
};

export function opsRoutes(options: Pick<OpsServerOptions, 'metrics' | 'readiness'>): Map<string, Handler> {
  return new Map<string, Handler>([
    ['GET /healthz', (_req, res) => json(res, 200, { status: 'ok' })],
    [
      'GET /readyz',
      async (_req, res) => {
        const checks = await options.readiness();
        const failing = checks.filter((c) => !c.ok);
        json(res, failing.length ? 503 : 200, { ready: failing.length === 0, failing: failing.map((c) => `${c.part}: ${c.detail}`), checks });
      },
    ],
    [
      'GET /metrics',
      async (_req, res) => {
        const text = await options.metrics.registry.metrics();
        res.writeHead(200, { 'content-type': options.metrics.registry.contentType });
        res.end(text);
      },
    ],
  ]);
}

interface Route {
  method: string;
  segments: string[];
  handler: Handler;
}

/** The params of `path` when it fits the route's segments; undefined otherwise (or when a segment is not valid URI encoding). */
function matchPath(segments: readonly string[], path: readonly string[]): Record<string, string> | undefined {
  if (segments.length !== path.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const pattern = segments[i]!;
    const actual = path[i]!;
    if (pattern.startsWith(':')) {
      if (!actual) return undefined;
      try {
        params[pattern.slice(1)] = decodeURIComponent(actual);
      } catch {
        return undefined;
      }
    } else if (pattern !== actual) return undefined;
  }
  return params;
}

/** Exact keys first (a fixed path wins over a pattern), then patterns in the order given. */
export function routeRequest(routes: ReadonlyMap<string, Handler>): (method: string, path: string) => { handler: Handler; params: Record<string, string> } | 'method' | undefined {
  const table: Route[] = [...routes].map(([key, handler]) => {
    const [method = 'GET', pattern = '/'] = key.split(' ');
    return { method, segments: pattern.split('/'), handler };
  });
  return (method, path) => {
    const exact = routes.get(`${method} ${path}`);
    if (exact) return { handler: exact, params: {} };
    const segments = path.split('/');
    let otherMethod = false;
    for (const route of table) {
      const params = matchPath(route.segments, segments);
      if (!params) continue;
      if (route.method === method) return { handler: route.handler, params };
      otherMethod = true;
    }
    return otherMethod ? 'method' : undefined;
  };
}

export async function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  const route = routeRequest(new Map([...opsRoutes(options), ...(options.routes ?? [])]));
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const method = req.method === 'HEAD' ? 'GET' : (req.method ?? 'GET');
    const found = route(method, path);
    if (found === undefined || found === 'method') {
      json(res, found ? 405 : 404, { error: found ? 'method not allowed' : 'not found' });
      return;
    }
    Promise.resolve(found.handler(req, res, found.params)).catch((error: unknown) => {
      // An upstream's message may echo what it was sent: the client gets a class and an error id only.
      if (!res.headersSent) json(res, 500, options.failure?.(error) ?? { error: 'internal error' });
      else res.destroy();
    });
  });
  // A scrape that stalls must not keep the process from stopping.
  server.keepAliveTimeout = 5_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
