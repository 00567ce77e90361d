/**
 * One-time sign-in links for the dashboard: a token `v1.<payload>.<signature>` whose payload names the
 * principal it signs in (`slack:U0123`, `discord:4567`, `cli:alice`), a random nonce and its expiry, and
 * whose signature is an HMAC-SHA256 over the payload with the web secret. Pure: signing and checking
 * need no database; that a link is used only once is the session store's part (sessions.ts).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/** How long a link may wait before it is opened. */
export const LINK_TTL_MS = 10 * 60_000;

/** A chat identity or the local operator: the channel, a colon, the channel's id for the person. */
export const PrincipalSchema = z.string().regex(/^(slack|discord|console|cli):[\w.@-]{1,80}$/, 'a principal like slack:U0123, discord:4567 or cli:alice');

const LinkPayload = z.object({ v: z.literal(1), p: PrincipalSchema, n: z.string().regex(/^[\w-]{16,64}$/), e: z.number().int().positive() });

/** What a checked link says. */
export interface LinkClaims {
  principal: string;
  nonce: string;
  expiresAt: Date;
}

export type LinkCheck = { ok: true; claims: LinkClaims } | { ok: false; reason: 'malformed' | 'bad signature' | 'expired' };

const mac = (secret: string, payload: string) => createHmac('sha256', secret).update(`council-web-link:${payload}`).digest();

/** A signed token for `principal`, valid for LINK_TTL_MS from `now`. */
export function signLink(secret: string, principal: string, now: Date, nonce: string = randomBytes(18).toString('base64url')): string {
  const claims = LinkPayload.parse({ v: 1, p: principal, n: nonce, e: now.getTime() + LINK_TTL_MS });
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return `v1.${payload}.${mac(secret, payload).toString('base64url')}`;
}

/** Checks a token's form, signature (in constant time) and expiry at `now`. */
export function checkLink(secret: string, token: string, now: Date): LinkCheck {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] !== 'v1' || !/^[\w-]+$/.test(parts[1]!) || !/^[\w-]+$/.test(parts[2]!)) return { ok: false, reason: 'malformed' };
  const [, payload, signature] = parts as [string, string, string];
  const expected = mac(secret, payload);
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'bad signature' };
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  const claims = LinkPayload.safeParse(decoded);
  if (!claims.success) return { ok: false, reason: 'malformed' };
  if (claims.data.e <= now.getTime()) return { ok: false, reason: 'expired' };
  return { ok: true, claims: { principal: claims.data.p, nonce: claims.data.n, expiresAt: new Date(claims.data.e) } };
}
