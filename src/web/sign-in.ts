/**
 * Sign-in through the chat identity: `/council web` in a chat channel and `council web-login` ask for a
 * one-time link bound to the asker's principal; opening it (and pressing Sign in) redeems it for a
 * session. The links are signed with the web secret (secret.ts, links.ts); their single use and the
 * sessions live in the database (sessions.ts). One `WebSignIn` per application: `serve` registers the
 * one its listener uses, and the chat dispatch finds it with `webSignInOf(app)`.
 */
import type { CouncilApp } from '../app/index.ts';
import type { Config } from '../config/config.ts';
import { checkLink, type LinkCheck, signLink } from './links.ts';
import { webSecret } from './secret.ts';
import { createSessionStore, type Session, type SessionStore } from './sessions.ts';

/** The path a link opens: a page with a Sign in button (a link unfurler or prefetcher uses nothing). */
export const SIGN_IN_PATH = '/signin';

export interface WebSignIn {
  /** The dashboard's address as people open it. */
  baseUrl(): string;
  /** Whether session cookies are Secure regardless of the request (the dashboard's address is https). */
  httpsOnly(): boolean;
  /** The listener's address, once it listens: links carry it unless COUNCIL_WEB_URL says otherwise. */
  listeningOn(url: string): void;
  /** A one-time sign-in link for `principal`, valid 10 minutes. */
  link(principal: string): string;
  /** Redeems a link's token for a session, once; the reason when it is refused. */
  redeem(token: string): Promise<{ ok: true; id: string; session: Session } | { ok: false; reason: Exclude<LinkCheck, { ok: true }>['reason'] | 'used' }>;
  /** Ends every session of `principal`; how many were live. */
  revoke(principal: string): Promise<number>;
  readonly sessions: SessionStore;
  readonly now: () => Date;
}

export interface WebSignInOptions {
  /** Wall-clock time (links and sessions expire in real time, whatever the council's clock). */
  now?: () => Date;
  /** The listener's address once it listens (port 0 lets the OS choose); COUNCIL_WEB_URL wins. */
  listeningUrl?: string;
  sessionTtlMs?: number;
}

/** The address links are printed with: COUNCIL_WEB_URL, else the listener's. */
export function dashboardUrl(config: Pick<Config, 'web' | 'http'>, listeningUrl?: string): string {
  const url = config.web.url ?? listeningUrl ?? `http://${config.http.host.includes(':') ? `[${config.http.host}]` : config.http.host}:${config.http.port}`;
  return url.replace(/\/+$/, '');
}

/** A link for the local operator, with no database: `council web-login` works while `serve` holds it. */
export function operatorLink(config: Pick<Config, 'web' | 'http' | 'dataDir'>, principal: string, now: Date): string {
  return `${dashboardUrl(config)}${SIGN_IN_PATH}?token=${signLink(webSecret(config), principal, now)}`;
}

export function createWebSignIn(app: CouncilApp, options: WebSignInOptions = {}): WebSignIn {
  const now = options.now ?? (() => new Date());
  const secret = webSecret(app.config);
  const sessions = createSessionStore(app.ports.database, options.sessionTtlMs);
  let listening = options.listeningUrl;
  const base = () => dashboardUrl(app.config, listening);
  return {
    baseUrl: base,
    httpsOnly: () => base().startsWith('https:'),
    listeningOn: (url) => {
      listening = url;
    },
    link: (principal) => `${base()}${SIGN_IN_PATH}?token=${signLink(secret, principal, now())}`,
    async redeem(token) {
      const at = now();
      const checked = checkLink(secret, token, at);
      if (!checked.ok) return checked;
      const opened = await sessions.redeem(checked.claims, at);
      return opened ? { ok: true, ...opened } : { ok: false, reason: 'used' };
    },
    revoke: (principal) => sessions.revokeAll(principal, now()),
    sessions,
    now,
  };
}

const registered = new WeakMap<CouncilApp, WebSignIn>();

/** Makes `signIn` the one the chat channels of `app` hand links out from (serve, once its listener is up). */
export function registerWebSignIn(app: CouncilApp, signIn: WebSignIn): () => void {
  registered.set(app, signIn);
  return () => {
    if (registered.get(app) === signIn) registered.delete(app);
  };
}

/** The application's registered sign-in, else one at the configured address. */
export function webSignInOf(app: CouncilApp): WebSignIn {
  let signIn = registered.get(app);
  if (!signIn) {
    signIn = createWebSignIn(app);
    registered.set(app, signIn);
  }
  return signIn;
}
