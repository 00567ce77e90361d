/**
 * The one HTTP listener of `council serve` (COUNCIL_HTTP_HOST:COUNCIL_HTTP_PORT): /healthz, /readyz and
 * /metrics today; the dashboard and its JSON API will add routes to the same router. node:http and an
 * explicit route map, nothing more.
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

export type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;

export interface OpsServerOptions {
  host: string;
  port: number;
  metrics: Metrics;
  /** Every part the process needs to take work; /readyz is 200 only when all are ok. */
  readiness: () => Promise<ReadinessCheck[]>;
  /** More routes ("GET /api/status" style keys), for the dashboard later. */
  routes?: ReadonlyMap<string, Handler>;
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

export async function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  const routes = new Map([...opsRoutes(options), ...(options.routes ?? [])]);
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const method = req.method === 'HEAD' ? 'GET' : (req.method ?? 'GET');
    const handler = routes.get(`${method} ${path}`);
    if (!handler) {
      const known = [...routes.keys()].some((k) => k.endsWith(` ${path}`));
      json(res, known ? 405 : 404, { error: known ? 'method not allowed' : 'not found' });
      return;
    }
    Promise.resolve(handler(req, res)).catch((error: unknown) => {
      if (!res.headersSent) json(res, 500, { error: (error as Error).message });
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
