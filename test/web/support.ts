/** A dashboard on the loopback: an application with a pending proposal, the listener with the dashboard's routes, and signing in over HTTP. */
import type { App } from '../../src/app/index.ts';
import { createMetrics } from '../../src/web/metrics.ts';
import { dashboardRoutes } from '../../src/web/dashboard.ts';
import { type OpsServer, startOpsServer } from '../../src/web/server.ts';
import { createWebSignIn, registerWebSignIn, type WebSignIn } from '../../src/web/sign-in.ts';

export interface Dashboard {
  server: OpsServer;
  signIn: WebSignIn;
  /** Moves the web's wall clock (links and sessions expire by it). */
  advance(ms: number): void;
  close(): Promise<void>;
}

export async function startDashboard(app: App, options: { pollMs?: number; start?: Date; register?: boolean } = {}): Promise<Dashboard> {
  let now = (options.start ?? new Date('2026-11-24T15:00:00Z')).getTime();
  const signIn = createWebSignIn(app, { now: () => new Date(now) });
  // A second replica on the same application leaves chat's links to the first.
  const unregister = options.register === false ? () => {} : registerWebSignIn(app, signIn);
  const server = await startOpsServer({
    host: '127.0.0.1',
    port: 0,
    metrics: createMetrics({ defaultMetrics: false }),
    readiness: async () => [],
    routes: dashboardRoutes(app, { signIn, pollMs: options.pollMs ?? 100 }),
  });
  signIn.listeningOn(server.url);
  return {
    server,
    signIn,
    advance: (ms) => {
      now += ms;
    },
    close: async () => {
      unregister();
      await server.close();
    },
  };
}

export interface Session {
  cookie: string;
  csrf: string;
  setCookie: string;
}

/** Opens a sign-in link as a browser would: its page, then the Sign in button's POST. */
export async function redeem(url: string, headers: Record<string, string> = {}): Promise<Response> {
  const link = new URL(url);
  const token = link.searchParams.get('token') ?? '';
  return fetch(`${link.origin}/signin`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams({ token }).toString(),
  });
}

export async function signInAs(dashboard: Dashboard, principal: string): Promise<Session> {
  const res = await redeem(dashboard.signIn.link(principal));
  if (res.status !== 303) throw new Error(`sign-in refused: ${res.status}`);
  const setCookie = res.headers.get('set-cookie') ?? '';
  const cookie = setCookie.split(';')[0]!;
  const me = (await (await fetch(`${dashboard.server.url}/api/session`, { headers: { cookie } })).json()) as { csrf: string };
  return { cookie, csrf: me.csrf, setCookie };
}
