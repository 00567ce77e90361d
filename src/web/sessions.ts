/**
 * Dashboard sessions and used sign-in links, in the database (migrations/006_web_sessions.sql) so that
 * every `serve` replica honours a session or a used link another one recorded. A session is a random
 * cookie value kept only as its SHA-256, with the principal it signs in, its CSRF token, its expiry and
 * its revocation.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Database } from '../store/port.ts';
import type { LinkClaims } from './links.ts';

/** How long a session lasts after its sign-in. */
export const SESSION_TTL_MS = 12 * 60 * 60_000;

export interface Session {
  principal: string;
  /** Required with every state-changing request of this session (form field `csrf` or header `x-csrf-token`). */
  csrf: string;
  expiresAt: Date;
}

export interface SessionStore {
  /**
   * Uses a checked link once: records its nonce and opens a session, in one transaction. Undefined when
   * the link was used before (by this replica or any other).
   */
  redeem(claims: LinkClaims, now: Date): Promise<{ id: string; session: Session } | undefined>;
  /** The live session of a cookie value: neither expired nor revoked. */
  find(id: string, now: Date): Promise<Session | undefined>;
  /** Ends one session (sign out). */
  end(id: string, now: Date): Promise<void>;
  /** Ends every live session of a principal (`/council web revoke`); answers how many. */
  revokeAll(principal: string, now: Date): Promise<number>;
}

const digest = (id: string) => createHash('sha256').update(id).digest('base64url');

export function createSessionStore(db: Database, ttlMs: number = SESSION_TTL_MS): SessionStore {
  return {
    async redeem(claims, now) {
      const id = randomBytes(32).toString('base64url');
      const session: Session = { principal: claims.principal, csrf: randomBytes(24).toString('base64url'), expiresAt: new Date(now.getTime() + ttlMs) };
      const opened = await db.tx(async (q) => {
        const used = await q.query('insert into web_links_used (nonce, principal, used_at, expires_at) values ($1, $2, $3, $4) on conflict (nonce) do nothing returning nonce', [
          claims.nonce,
          claims.principal,
          now,
          claims.expiresAt,
        ]);
        if (used.length === 0) return false;
        await q.query('insert into web_sessions (id_hash, principal, csrf, created_at, expires_at) values ($1, $2, $3, $4, $5)', [
          digest(id),
          session.principal,
          session.csrf,
          now,
          session.expiresAt,
        ]);
        return true;
      });
      if (!opened) return undefined;
      // What has expired can no longer be used or replayed: its rows go as new ones arrive.
      await db.query('delete from web_links_used where expires_at < $1', [now]);
      await db.query('delete from web_sessions where expires_at < $1', [now]);
      return { id, session };
    },
    async find(id, now) {
      const rows = await db.query<{ principal: string; csrf: string; expires_at: Date }>(
        'select principal, csrf, expires_at from web_sessions where id_hash = $1 and revoked_at is null and expires_at > $2',
        [digest(id), now],
      );
      const row = rows[0];
      return row ? { principal: row.principal, csrf: row.csrf, expiresAt: new Date(row.expires_at) } : undefined;
    },
    async end(id, now) {
      await db.query('update web_sessions set revoked_at = $2 where id_hash = $1 and revoked_at is null', [digest(id), now]);
    },
    async revokeAll(principal, now) {
      return db.execute('update web_sessions set revoked_at = $2 where principal = $1 and revoked_at is null and expires_at > $2', [principal, now]);
    },
  };
}
