/**
 * The dashboard's JSON API (fixed paths, INTERFACE.md), mirroring the CLI's `--json` documents. Nothing
 * is served without a session (401); a POST needs the session's CSRF token (403) and then asks the
 * application, whose authoriser refuses a principal who may not act (403, recorded as chat's refusals are).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { approveJson, runJson } from '../views.ts';
import { approveAs, ProposalIdSchema, rejectAs } from './actions.ts';
import { type Caller, callerOf, csrfOk } from './auth.ts';
import { sendError, type WebContext } from './context.ts';
import { isLeaderboardWindow, LEADERBOARD_WINDOWS } from './desk.ts';
import { queryOf, readFields, sendJson } from './http.ts';
import type { Handler } from './server.ts';
import { proposalJson } from './views.ts';

const WEEK = /^\d{4}-\d{2}-\d{2}$/;
const STREAM = /^[\w:.@-]{1,200}$/;

type Authed = (req: IncomingMessage, res: ServerResponse, params: Readonly<Record<string, string>>, caller: Caller) => Promise<void>;

/** A read: 401 without a live session. */
export function reading(ctx: WebContext, where: string, handler: Authed): Handler {
  return async (req, res, params) => {
    try {
      const caller = await callerOf(req, ctx.app, ctx.signIn);
      if (!caller) return sendJson(res, 401, { error: { code: 'NO_SESSION', message: 'sign in first: /council web in chat, or council web-login' } });
      await handler(req, res, params, caller);
    } catch (error) {
      if (!res.headersSent) sendError(ctx, res, error, where);
    }
  };
}

/** A state change: 401 without a session, 403 without its CSRF token; the fields go to the handler. */
function changing(
  ctx: WebContext,
  where: string,
  handler: (res: ServerResponse, params: Readonly<Record<string, string>>, caller: Caller, fields: Record<string, unknown>) => Promise<void>,
): Handler {
  return reading(ctx, where, async (req, res, params, caller) => {
    const fields = await readFields(req);
    if (!csrfOk(req, fields, caller, ctx.signIn))
      return sendJson(res, 403, { error: { code: 'CSRF', message: 'missing or wrong CSRF token (x-csrf-token header or csrf field)' } });
    await handler(res, params, caller, fields);
  });
}

const badRequest = (res: ServerResponse, message: string) => sendJson(res, 400, { error: { code: 'BAD_REQUEST', message } });

export function apiRoutes(ctx: WebContext): Map<string, Handler> {
  const { app } = ctx;
  return new Map<string, Handler>([
    [
      'GET /api/session',
      reading(ctx, 'web session', async (_req, res, _params, caller) =>
        sendJson(res, 200, { principal: caller.principal, approver: caller.approver, csrf: caller.csrf, expiresAt: caller.expiresAt.toISOString() }),
      ),
    ],
    ['GET /api/status', reading(ctx, 'web status', async (_req, res) => sendJson(res, 200, await app.status()))],
    ['GET /api/weeks', reading(ctx, 'web weeks', async (_req, res) => sendJson(res, 200, { weeks: await app.weeks() }))],
    [
      'GET /api/weeks/:week',
      reading(ctx, 'web week', async (_req, res, { week = '' }) => {
        if (!WEEK.test(week)) return badRequest(res, 'a week is its Monday, like 2024-03-04');
        const state = await app.weekState(week);
        if (!state.started) return sendJson(res, 404, { error: { code: 'NOT_FOUND', message: `no run for the week of ${week}` } });
        const summary = await app.weekSummary(week, state);
        sendJson(res, 200, runJson(state, summary?.proposal?.status));
      }),
    ],
    [
      'GET /api/proposals/:id',
      reading(ctx, 'web proposal', async (_req, res, { id = '' }) => {
        if (!ProposalIdSchema.safeParse(id).success) return badRequest(res, 'a proposal id like 2024-03-04-1a2b3c');
        sendJson(res, 200, proposalJson(await app.proposal(id)));
      }),
    ],
    [
      'GET /api/leaderboard',
      reading(ctx, 'web leaderboard', async (req, res) => {
        const window = queryOf(req).get('window') ?? '4w';
        if (!isLeaderboardWindow(window)) return badRequest(res, `window is one of ${LEADERBOARD_WINDOWS.join(', ')}`);
        sendJson(res, 200, await app.leaderboard(window));
      }),
    ],
    [
      'GET /api/streams/:stream',
      reading(ctx, 'web stream', async (_req, res, { stream = '' }) => {
        if (!STREAM.test(stream)) return badRequest(res, 'a stream name like week:main:2024-03-04 or proposal:2024-03-04-1a2b3c');
        const events = await app.ports.store.read(stream);
        sendJson(res, 200, {
          stream,
          events: events.map((e) => ({ version: e.version, globalPosition: e.globalPosition, type: e.type, recordedAt: e.recordedAt.toISOString(), data: e.data, meta: e.meta })),
        });
      }),
    ],
    [
      'POST /api/proposals/:id/approve',
      changing(ctx, 'web approve', async (res, { id = '' }, caller, fields) => {
        if (!ProposalIdSchema.safeParse(id).success) return badRequest(res, 'a proposal id like 2024-03-04-1a2b3c');
        const { state, orders } = await approveAs(ctx, caller, id, fields);
        sendJson(res, 200, approveJson(state, orders));
      }),
    ],
    [
      'POST /api/proposals/:id/reject',
      changing(ctx, 'web reject', async (res, { id = '' }, caller, fields) => {
        if (!ProposalIdSchema.safeParse(id).success) return badRequest(res, 'a proposal id like 2024-03-04-1a2b3c');
        const state = await rejectAs(ctx, caller, id, fields);
        sendJson(res, 200, { proposalId: id, status: state.status, rejectedBy: caller.principal, reason: state.rejected?.reason ?? null, orders: [] });
      }),
    ],
  ]);
}
