/**
 * The dashboard's routes on the operations listener: the JSON API (api.ts), the pages, sign-in and
 * sign-out, the live event stream (live.ts) and the static assets (assets.ts). `serve` adds them to
 * `startOpsServer({ routes })`; every page needs a session, and a form's POST its CSRF token.
 */
import type { IncomingMessage } from 'node:http';
import type { CouncilApp } from '../app/index.ts';
import type { ProposalState } from '../domain/proposal.ts';
import { approveAs, exitAs, haltAs, pauseAs, ProposalIdSchema, rejectAs } from './actions.ts';
import { WebRequestError } from './errors.ts';
import { apiRoutes } from './api.ts';
import { assetRoutes } from './assets.ts';
import { type Caller, callerOf, clearedCookie, csrfOk, foreignOrigin, sessionCookie } from './auth.ts';
import { errorAnswer, type WebContext } from './context.ts';
import { readFields, redirect, sendHtml } from './http.ts';
import { head, liveRoutes } from './live.ts';
import { type Html, html } from './pages/html.ts';
import { page } from './pages/layout.ts';
import { exitConfirmBody, overviewBody } from './pages/overview.ts';
import { refusedPage, signedOutPage, signInPage } from './pages/signin.ts';
import { pageRoutes } from './pages/routes.ts';
import type { Handler } from './server.ts';
import type { WebSignIn } from './sign-in.ts';

export interface DashboardOptions {
  signIn: WebSignIn;
  /** How often the live stream looks for new events (ms). */
  pollMs?: number;
}

type PageHandler = (
  req: IncomingMessage,
  params: Readonly<Record<string, string>>,
  caller: Caller,
) => Promise<{ title: string; current: Parameters<typeof page>[0]['current']; body: Html | Html[]; live?: boolean }>;

/** A page: the sign-in explanation without a session (401), the error's page when it fails. */
export function viewing(ctx: WebContext, where: string, handler: PageHandler): Handler {
  return async (req, res, params) => {
    let caller: Caller | undefined;
    try {
      caller = await callerOf(req, ctx.app, ctx.signIn);
      if (!caller) return sendHtml(res, 401, signedOutPage().text);
      // Read before the page is built: an event appended while it is built makes its stream say change.
      const position = await head(ctx.app);
      const view = await handler(req, params, caller);
      sendHtml(res, 200, page({ ...view, caller, position }).text);
    } catch (error) {
      if (res.headersSent) return;
      const answer = errorAnswer(ctx, error, where);
      sendHtml(
        res,
        answer.status,
        page({
          title: answer.status === 404 ? 'Not found' : 'Something went wrong',
          current: undefined,
          caller,
          body: html`<section class="card"><p>${answer.message}</p></section>`,
        }).text,
      );
    }
  };
}

/** A form's POST: session and CSRF token first, then the action; back to `next` (303) when done. */
function posting(ctx: WebContext, where: string, action: (caller: Caller, params: Readonly<Record<string, string>>, fields: Record<string, unknown>) => Promise<string>): Handler {
  return async (req, res, params) => {
    let caller: Caller | undefined;
    try {
      caller = await callerOf(req, ctx.app, ctx.signIn);
      if (!caller) return sendHtml(res, 401, signedOutPage().text);
      const fields = await readFields(req);
      if (!csrfOk(req, fields, caller, ctx.signIn))
        return sendHtml(
          res,
          403,
          page({
            title: 'Refused',
            current: undefined,
            caller,
            body: html`<section class="card"><p>This form is stale or was not sent from the dashboard (CSRF token missing or wrong). Nothing was done.</p></section>`,
          }).text,
        );
      redirect(res, await action(caller, params, fields));
    } catch (error) {
      if (res.headersSent) return;
      const answer = errorAnswer(ctx, error, where);
      sendHtml(
        res,
        answer.status,
        page({
          title: answer.status === 403 ? 'Refused' : 'Not done',
          current: undefined,
          caller,
          body: html`<section class="card"><p>${answer.message}</p><p><a href="/">Back to the overview</a></p></section>`,
        }).text,
      );
    }
  };
}

async function pendingProposals(app: CouncilApp, ids: readonly string[]): Promise<ProposalState[]> {
  const states = await Promise.all(ids.map((id) => app.proposal(id).catch(() => undefined)));
  return states.filter((s): s is ProposalState => s !== undefined);
}

function proposalIdOf(params: Readonly<Record<string, string>>): string {
  const parsed = ProposalIdSchema.safeParse(params.id);
  if (!parsed.success) throw new WebRequestError('BAD_REQUEST', 'a proposal id like 2024-03-04-1a2b3c');
  return parsed.data;
}

/** Done: back to the overview. */
const backHome = (work: Promise<unknown>): Promise<string> => work.then(() => '/');

export function dashboardRoutes(app: CouncilApp, options: DashboardOptions): Map<string, Handler> {
  const ctx: WebContext = { app, signIn: options.signIn };
  const { signIn } = options;
  return new Map<string, Handler>([
    ...assetRoutes(),
    ...apiRoutes(ctx),
    ...liveRoutes(ctx, { pollMs: options.pollMs }),
    [
      'GET /signin',
      (req, res) => {
        const token = new URL(req.url ?? '/', 'http://localhost').searchParams.get('token') ?? '';
        sendHtml(res, token ? 200 : 400, token ? signInPage(token).text : refusedPage('malformed').text);
      },
    ],
    [
      'POST /signin',
      async (req, res) => {
        // Another site may not sign a browser in to a session of its choosing (login CSRF).
        if (foreignOrigin(req, signIn)) return sendHtml(res, 403, refusedPage('foreign').text);
        const fields = await readFields(req).catch(() => ({}) as Record<string, unknown>);
        const token = typeof fields.token === 'string' ? fields.token : '';
        const redeemed = await signIn.redeem(token);
        if (!redeemed.ok) {
          app.logger.info({ reason: redeemed.reason }, 'web: a sign-in link was refused');
          return sendHtml(res, 403, refusedPage(redeemed.reason).text);
        }
        app.logger.info({ principal: redeemed.session.principal }, 'web: signed in');
        redirect(res, '/', { 'set-cookie': sessionCookie(req, signIn, redeemed.id, redeemed.session.expiresAt) });
      },
    ],
    [
      'POST /signout',
      async (req, res) => {
        const caller = await callerOf(req, app, signIn);
        const fields = await readFields(req).catch(() => ({}) as Record<string, unknown>);
        if (caller && csrfOk(req, fields, caller, signIn)) await signIn.sessions.end(caller.sessionId, signIn.now());
        redirect(res, '/', { 'set-cookie': clearedCookie(req, signIn) });
      },
    ],
    [
      'GET /',
      viewing(ctx, 'web overview', async (_req, _params, caller) => {
        const status = await app.status();
        // The page shows what can be read: a broker that does not answer leaves its positions' stops out.
        const [pending, trading, positions, cost] = await Promise.all([
          pendingProposals(
            app,
            status.pending.map((p) => p.proposalId),
          ),
          app.tradingState(),
          app.positions().catch(() => undefined),
          app.cost('4w').catch(() => undefined),
        ]);
        return {
          title: 'Overview',
          current: '/',
          live: true,
          body: overviewBody(
            {
              status,
              pending,
              tradingState: trading.state,
              pausedBy: trading.state === 'paused' && trading.by && trading.at ? { by: trading.by, at: trading.at } : undefined,
              positions,
              spend4wUsd: cost?.total.costUsd,
              startingCash: app.config.file.risk.startingCash,
            },
            caller,
            app.accounts,
          ),
        };
      }),
    ],
    [
      'POST /proposals/:id/approve',
      posting(ctx, 'web approve', async (caller, params, fields) => {
        const id = proposalIdOf(params);
        await approveAs(ctx, caller, id, fields);
        return `/proposals/${id}`;
      }),
    ],
    [
      'POST /proposals/:id/reject',
      posting(ctx, 'web reject', async (caller, params, fields) => {
        const id = proposalIdOf(params);
        await rejectAs(ctx, caller, id, fields);
        return `/proposals/${id}`;
      }),
    ],
    ['POST /halt', posting(ctx, 'web halt', (caller) => backHome(haltAs(ctx, caller, true)))],
    ['POST /resume', posting(ctx, 'web resume', (caller) => backHome(haltAs(ctx, caller, false)))],
    ['POST /desk/pause', posting(ctx, 'web pause', (caller, _params, fields) => backHome(pauseAs(ctx, caller, fields.paused !== 'false' && fields.paused !== false)))],
    [
      'GET /desk/exit',
      viewing(ctx, 'web exit', async (req, _params, caller) => {
        const query = new URL(req.url ?? '/', 'http://localhost').searchParams;
        const account = query.get('account') ?? 'all';
        const symbol = query.get('symbol') ?? undefined;
        if (account !== 'all' && !app.accounts.includes(account)) throw new WebRequestError('BAD_REQUEST', `unknown account ${account}`);
        const held = (await app.positions()).accounts
          .filter((a) => account === 'all' || a.account === account)
          .flatMap((a) => a.positions)
          .filter((p) => symbol === undefined || p.symbol === symbol);
        return { title: 'Exit', current: undefined, body: exitConfirmBody({ account, symbol, held }, caller) };
      }),
    ],
    ['POST /desk/exit', posting(ctx, 'web exit', (caller, _params, fields) => backHome(exitAs(ctx, caller, fields)))],
    ...pageRoutes(ctx, viewing),
  ]);
}
