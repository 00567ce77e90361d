/**
 * The small HTTP pieces the dashboard's routes share: cookies, bounded request bodies (JSON or a form),
 * and answers (JSON, HTML, redirects) that are never cached.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** A body larger than this is refused: the dashboard's requests are a few fields. */
export const MAX_BODY_BYTES = 16 * 1024;

export class BodyError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export function cookies(req: IncomingMessage): Map<string, string> {
  const jar = new Map<string, string>();
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i <= 0) continue;
    const name = part.slice(0, i).trim();
    const value = part.slice(i + 1).trim();
    try {
      if (!jar.has(name)) jar.set(name, decodeURIComponent(value));
    } catch {
      // A cookie that is not valid URI encoding is not ours.
    }
  }
  return jar;
}

/** The request body as fields: a JSON object or an urlencoded form; anything else is refused. */
export async function readFields(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new BodyError(413, `request body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (!text.trim()) return {};
  if (type === 'application/json') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new BodyError(400, 'the body is not valid JSON');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new BodyError(400, 'the body must be a JSON object');
    return parsed as Record<string, unknown>;
  }
  if (type === 'application/x-www-form-urlencoded') {
    const form = new URLSearchParams(text);
    const fields: Record<string, unknown> = {};
    for (const key of new Set(form.keys())) {
      const all = form.getAll(key);
      fields[key] = all.length > 1 ? all : all[0];
    }
    return fields;
  }
  throw new BodyError(415, 'send application/json or an urlencoded form');
}

const NO_STORE = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' };

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string | string[]> = {}): void {
  res.writeHead(status, { ...NO_STORE, 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(`${JSON.stringify(body)}\n`);
}

/** Pages may not be framed, and run only the dashboard's own scripts. */
export const PAGE_HEADERS = {
  ...NO_STORE,
  'content-type': 'text/html; charset=utf-8',
  'x-frame-options': 'DENY',
  // same-origin, not no-referrer: with no-referrer a browser's form POST says Origin: null, which is refused.
  'referrer-policy': 'same-origin',
  'content-security-policy': "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; form-action 'self'; frame-ancestors 'none'",
};

export function sendHtml(res: ServerResponse, status: number, html: string, headers: Record<string, string | string[]> = {}): void {
  res.writeHead(status, { ...PAGE_HEADERS, ...headers });
  res.end(html);
}

export function redirect(res: ServerResponse, location: string, headers: Record<string, string | string[]> = {}): void {
  res.writeHead(303, { ...NO_STORE, location, ...headers });
  res.end();
}

/** Whether the request came over HTTPS: a proxy in front says so in X-Forwarded-Proto. */
export function viaHttps(req: IncomingMessage): boolean {
  const proto = req.headers['x-forwarded-proto'];
  const first = (Array.isArray(proto) ? proto[0] : proto)?.split(',')[0]?.trim().toLowerCase();
  return first === 'https';
}

export function queryOf(req: IncomingMessage): URLSearchParams {
  return new URL(req.url ?? '/', 'http://localhost').searchParams;
}
