/**
 * Who is asking the dashboard: the session its cookie names (HttpOnly, SameSite=Strict, Secure behind
 * HTTPS), whether that principal may act (the application's authoriser, as in chat), and the CSRF check
 * every state-changing request passes (the session's token, in the form field `csrf` or the header
 * `x-csrf-token`).
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { CouncilApp } from '../app/index.ts';
import { cookies, viaHttps } from './http.ts';
import type { Session } from './sessions.ts';
import type { WebSignIn } from './sign-in.ts';

export const SESSION_COOKIE = 'council_session';

export interface Caller extends Session {
  /** The cookie value, to end this session. */
  sessionId: string;
  /** May approve, reject, halt (the application's authoriser, as for chat). */
  approver: boolean;
}

export async function callerOf(req: IncomingMessage, app: CouncilApp, signIn: WebSignIn): Promise<Caller | undefined> {
  const id = cookies(req).get(SESSION_COOKIE);
  if (!id || !/^[\w-]{20,100}$/.test(id)) return undefined;
  const session = await signIn.sessions.find(id, signIn.now());
  return session ? { ...session, sessionId: id, approver: app.authoriser.mayApprove(session.principal, 'approve') } : undefined;
}

/**
 * Whether a browser sent the request from another site: its Origin names a host that is neither the one
 * asked (Host, or X-Forwarded-Host behind a proxy) nor the dashboard's address. Clients that send no
 * Origin (curl, scripts) are not browsers acting for someone else; they still need the token.
 */
export function foreignOrigin(req: IncomingMessage, signIn: WebSignIn): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return false;
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    return true;
  }
  const forwarded = req.headers['x-forwarded-host'];
  const ours = [req.headers.host, ...(Array.isArray(forwarded) ? forwarded : [forwarded]), new URL(signIn.baseUrl()).host];
  return !ours.includes(host);
}

/** Whether a state-changing request carries its session's CSRF token, from the dashboard's own origin. */
export function csrfOk(req: IncomingMessage, fields: Record<string, unknown>, caller: Caller, signIn: WebSignIn): boolean {
  if (foreignOrigin(req, signIn)) return false;
  const header = req.headers['x-csrf-token'];
  const given = typeof fields.csrf === 'string' ? fields.csrf : typeof header === 'string' ? header : undefined;
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(caller.csrf);
  return a.length === b.length && timingSafeEqual(a, b);
}

function cookieAttributes(req: IncomingMessage, signIn: WebSignIn): string {
  return `Path=/; HttpOnly; SameSite=Strict${signIn.httpsOnly() || viaHttps(req) ? '; Secure' : ''}`;
}

export function sessionCookie(req: IncomingMessage, signIn: WebSignIn, id: string, expiresAt: Date): string {
  const maxAge = Math.max(0, Math.floor((expiresAt.getTime() - signIn.now().getTime()) / 1000));
  return `${SESSION_COOKIE}=${id}; ${cookieAttributes(req, signIn)}; Max-Age=${maxAge}`;
}

export function clearedCookie(req: IncomingMessage, signIn: WebSignIn): string {
  return `${SESSION_COOKIE}=; ${cookieAttributes(req, signIn)}; Max-Age=0`;
}
