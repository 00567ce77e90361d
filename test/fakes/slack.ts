/**
 * A fake Slack Web API on 127.0.0.1 that speaks the wire protocol @slack/web-api uses: form-encoded
 * POSTs to /api/<method> with a bearer token, JSON answers with `ok`. It records chat.postMessage,
 * chat.update, chat.postEphemeral, the three files.uploadV2 steps and response_url posts, keeps the
 * channel's messages (updates replace them), and refuses what real Slack would refuse: Block Kit that
 * is not valid JSON or breaks a limit (answered `invalid_blocks`, and listed in `violations`).
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';

export interface ApiCall {
  method: string;
  args: Record<string, unknown>;
  token: string | undefined;
}

export interface ResponseUrlPost {
  id: string;
  body: Record<string, unknown>;
}

export interface FakeMessage {
  channel: string;
  ts: string;
  threadTs: string | undefined;
  broadcast: boolean;
  text: string;
  blocks: Block[];
}

type Block = Record<string, unknown> & { type: string };

export type Failure = { status: 429; retryAfter: number } | { error: string };

export interface FakeSlack {
  /** The value for SLACK_API_URL. */
  apiUrl: string;
  responseUrl(id: string): string;
  calls: ApiCall[];
  responses: ResponseUrlPost[];
  uploads: { fileId: string; bytes: number }[];
  messages: Map<string, FakeMessage>;
  violations: string[];
  /**
   * Socket Mode: sends one envelope (`slash_commands`, `interactive`) over the bot's WebSocket and
   * resolves with the bot's ack `{ envelope_id, payload }`.
   */
  sendEnvelope(type: 'slash_commands' | 'interactive', payload: unknown): Promise<{ envelope_id: string; payload?: unknown }>;
  /** Answers the next call of `method` with a failure instead of doing it. */
  failNext(method: string, failure: Failure): void;
  /** Resolves with the first recorded item (now or later) that matches; rejects after a guard time with what was seen. */
  waitFor<T>(find: () => T | undefined, what: string): Promise<T>;
  close(): Promise<void>;
}

/** `teamId` (default T1) and `enterpriseId` are the installed workspace auth.test names. */
export async function startFakeSlack(options: { token: string; appToken?: string; teamId?: string; enterpriseId?: string }): Promise<FakeSlack> {
  const calls: ApiCall[] = [];
  const responses: ResponseUrlPost[] = [];
  const uploads: { fileId: string; bytes: number }[] = [];
  const messages = new Map<string, FakeMessage>();
  const violations: string[] = [];
  const failures = new Map<string, Failure[]>();
  const waiters = new Set<() => void>();
  let seq = 0;
  const nextTs = () => `1709550000.${String(++seq).padStart(6, '0')}`;
  const changed = () => {
    for (const w of [...waiters]) w();
  };

  const server = createServer(async (req, res) => {
    try {
      const raw = await readBody(req);
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      if (path.startsWith('/response-url/')) {
        responses.push({ id: path.slice('/response-url/'.length), body: JSON.parse(raw.toString('utf8')) });
        send(res, 200, 'ok', 'text/plain');
      } else if (path.startsWith('/upload/')) {
        // The file arrives as multipart form data (field `body`), the way files.uploadV2 step 2 sends it.
        const form = await new Request('http://fake/', { method: 'POST', headers: { 'content-type': req.headers['content-type'] ?? '' }, body: raw }).formData();
        const file = form.get('body');
        if (!(file instanceof Blob)) return send(res, 400, 'no file', 'text/plain');
        uploads.push({ fileId: path.slice('/upload/'.length), bytes: file.size });
        send(res, 200, 'OK', 'text/plain');
      } else if (path.startsWith('/api/')) api(path.slice(5), raw, req, res);
      else send(res, 404, 'not found', 'text/plain');
    } catch (error) {
      send(res, 500, String(error), 'text/plain');
    } finally {
      changed();
    }
  });

  function api(method: string, raw: Buffer, req: IncomingMessage, res: ServerResponse) {
    const args = parseArgs(raw, req.headers['content-type'] ?? '');
    const token = req.headers.authorization?.replace(/^Bearer /, '');
    const failure = failures.get(method)?.shift();
    if (failure && 'status' in failure) {
      calls.push({ method, args, token });
      res.writeHead(429, { 'retry-after': String(failure.retryAfter), 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: false, error: 'ratelimited' }));
      return;
    }
    calls.push({ method, args, token });
    if (token !== (method === 'apps.connections.open' ? options.appToken : options.token)) return json(res, { ok: false, error: 'invalid_auth' });
    if (failure) return json(res, { ok: false, error: failure.error });
    const problems = 'blocks' in args ? validateBlocks(args.blocks) : [];
    if (problems.length) {
      violations.push(...problems.map((p) => `${method}: ${p}`));
      return json(res, { ok: false, error: 'invalid_blocks', errors: problems });
    }
    const blocks = (args.blocks ?? []) as Block[];
    const text = typeof args.text === 'string' ? args.text : '';
    switch (method) {
      case 'apps.connections.open':
        return json(res, { ok: true, url: `${base.replace('http', 'ws')}/socket` });
      case 'auth.test':
        return json(res, {
          ok: true,
          url: 'https://fake.slack.com/',
          team: 'Fake',
          user: 'council',
          team_id: options.teamId ?? 'T1',
          user_id: 'UBOT',
          bot_id: 'BBOT',
          ...(options.enterpriseId ? { enterprise_id: options.enterpriseId, is_enterprise_install: false } : {}),
        });
      case 'chat.postMessage': {
        const channel = String(args.channel ?? '');
        if (!channel) return json(res, { ok: false, error: 'channel_not_found' });
        if (!text && !blocks.length) return json(res, { ok: false, error: 'no_text' });
        const ts = nextTs();
        const threadTs = typeof args.thread_ts === 'string' ? args.thread_ts : undefined;
        if (threadTs && !messages.has(threadTs)) return json(res, { ok: false, error: 'thread_not_found' });
        messages.set(ts, { channel, ts, threadTs, broadcast: args.reply_broadcast === true || args.reply_broadcast === 'true', text, blocks });
        return json(res, { ok: true, channel, ts, message: { text, blocks, ts } });
      }
      case 'chat.update': {
        const ts = String(args.ts ?? '');
        const message = messages.get(ts);
        if (!message || message.channel !== args.channel) return json(res, { ok: false, error: 'message_not_found' });
        messages.set(ts, { ...message, text, blocks });
        return json(res, { ok: true, channel: message.channel, ts, text });
      }
      case 'chat.getPermalink': {
        const message = messages.get(String(args.message_ts ?? ''));
        if (!message || message.channel !== args.channel) return json(res, { ok: false, error: 'message_not_found' });
        return json(res, { ok: true, channel: message.channel, permalink: `https://fake.slack.com/archives/${message.channel}/p${message.ts.replace('.', '')}` });
      }
      case 'chat.postEphemeral':
        if (!args.user || !args.channel) return json(res, { ok: false, error: 'user_not_in_channel' });
        return json(res, { ok: true, message_ts: nextTs() });
      case 'files.getUploadURLExternal': {
        const fileId = `F${++seq}`;
        return json(res, { ok: true, upload_url: `${base}/upload/${fileId}`, file_id: fileId });
      }
      case 'files.completeUploadExternal': {
        const files = JSON.parse(String(args.files ?? '[]')) as { id: string; title?: string }[];
        const missing = files.filter((f) => !uploads.some((u) => u.fileId === f.id));
        if (missing.length) return json(res, { ok: false, error: 'file_not_uploaded' });
        return json(res, { ok: true, files: files.map((f) => ({ id: f.id, title: f.title ?? '' })) });
      }
      default:
        return json(res, { ok: false, error: 'unknown_method' });
    }
  }

  // Socket Mode: the bot's WebSocket. Slack says hello, then sends envelopes the bot acks by envelope_id.
  const sockets = new WebSocketServer({ noServer: true });
  let socket: WebSocket | undefined;
  const acks = new Map<string, (ack: { envelope_id: string; payload?: unknown }) => void>();
  server.on('upgrade', (req, raw, head) => {
    sockets.handleUpgrade(req, raw, head, (ws) => {
      socket = ws;
      ws.on('message', (data) => {
        const ack = JSON.parse(String(data)) as { envelope_id: string; payload?: unknown };
        acks.get(ack.envelope_id)?.(ack);
        acks.delete(ack.envelope_id);
        changed();
      });
      ws.send(JSON.stringify({ type: 'hello', num_connections: 1, connection_info: { app_id: 'A1' } }));
      changed();
    });
  });

  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    apiUrl: `${base}/api/`,
    responseUrl: (id) => `${base}/response-url/${id}`,
    calls,
    responses,
    uploads,
    messages,
    violations,
    sendEnvelope(type, payload) {
      if (!socket) return Promise.reject(new Error('no Socket Mode connection'));
      const envelope_id = `env-${++seq}`;
      const acked = new Promise<{ envelope_id: string; payload?: unknown }>((resolve) => acks.set(envelope_id, resolve));
      socket.send(JSON.stringify({ envelope_id, type, payload, accepts_response_payload: true, retry_attempt: 0, retry_reason: '' }));
      return acked;
    },
    failNext(method, failure) {
      failures.set(method, [...(failures.get(method) ?? []), failure]);
    },
    waitFor<T>(find: () => T | undefined, what: string): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        const check = () => {
          const found = find();
          if (found === undefined) return false;
          waiters.delete(check);
          clearTimeout(guard);
          resolve(found);
          return true;
        };
        // A guard so a broken test fails with what the fake saw instead of hanging; not a timing assertion.
        const guard = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`fake Slack never saw ${what}; calls: ${calls.map((c) => c.method).join(', ')}`));
        }, 20_000);
        waiters.add(check);
        check();
      });
    },
    async close() {
      for (const ws of sockets.clients) ws.terminate();
      sockets.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function json(res: ServerResponse, body: unknown): void {
  send(res, 200, JSON.stringify(body), 'application/json');
}

function send(res: ServerResponse, status: number, body: string, type: string): void {
  res.writeHead(status, { 'content-type': type });
  res.end(body);
}

/** @slack/web-api sends form fields, objects and arrays (blocks) as JSON strings inside them. */
function parseArgs(raw: Buffer, contentType: string): Record<string, unknown> {
  const text = raw.toString('utf8');
  if (contentType.includes('application/json')) return JSON.parse(text || '{}');
  const args: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(text)) {
    if (key === 'blocks' || key === 'attachments') {
      try {
        args[key] = JSON.parse(value);
      } catch {
        args[key] = { invalidJson: value.slice(0, 80) };
      }
    } else args[key] = value;
  }
  return args;
}

/** Slack's Block Kit limits, checked the way Slack checks them (each breach is a refusal). */
export function validateBlocks(blocks: unknown): string[] {
  const problems: string[] = [];
  if (!Array.isArray(blocks)) return ['blocks is not a JSON array'];
  if (blocks.length > 50) problems.push(`${blocks.length} blocks (max 50)`);
  const actionIds = new Set<string>();
  blocks.forEach((block: Block, i) => {
    const at = `block ${i} (${block?.type})`;
    const text = (t: unknown, max: number, where: string, kinds = ['plain_text', 'mrkdwn']): void => {
      const o = t as { type?: string; text?: unknown } | undefined;
      if (!o || !kinds.includes(String(o.type)) || typeof o.text !== 'string') {
        problems.push(`${at} ${where}: not a ${kinds.join('/')} text object`);
        return;
      }
      if (o.text.length === 0) problems.push(`${at} ${where}: empty text`);
      if (o.text.length > max) problems.push(`${at} ${where}: ${o.text.length} chars (max ${max})`);
    };
    if (typeof block?.block_id === 'string' && block.block_id.length > 255) problems.push(`${at}: block_id over 255 chars`);
    switch (block?.type) {
      case 'header':
        text(block.text, 150, 'text', ['plain_text']);
        break;
      case 'section': {
        const fields = block.fields as unknown[] | undefined;
        if (!block.text && !fields) problems.push(`${at}: neither text nor fields`);
        if (block.text) text(block.text, 3000, 'text');
        if (fields) {
          if (fields.length > 10) problems.push(`${at}: ${fields.length} fields (max 10)`);
          for (const [j, f] of fields.entries()) text(f, 2000, `field ${j}`);
        }
        break;
      }
      case 'context': {
        const elements = (block.elements as unknown[]) ?? [];
        if (elements.length === 0 || elements.length > 10) problems.push(`${at}: ${elements.length} elements (1-10)`);
        for (const [j, e] of elements.entries()) text(e, 3000, `element ${j}`);
        break;
      }
      case 'divider':
        break;
      case 'actions': {
        const elements = (block.elements as Record<string, unknown>[]) ?? [];
        if (elements.length === 0 || elements.length > 25) problems.push(`${at}: ${elements.length} elements (1-25)`);
        for (const [j, e] of elements.entries()) {
          if (e.type !== 'button') continue;
          text(e.text, 75, `button ${j} text`, ['plain_text']);
          const id = String(e.action_id ?? '');
          if (!id || id.length > 255) problems.push(`${at} button ${j}: action_id must be 1-255 chars`);
          if (actionIds.has(id)) problems.push(`${at} button ${j}: duplicate action_id ${id}`);
          actionIds.add(id);
          if (typeof e.value === 'string' && e.value.length > 255) problems.push(`${at} button ${j}: value ${e.value.length} chars (max 255)`);
          if (e.style !== undefined && e.style !== 'primary' && e.style !== 'danger') problems.push(`${at} button ${j}: bad style`);
          const confirm = e.confirm as Record<string, unknown> | undefined;
          if (confirm) {
            text(confirm.title, 100, `button ${j} confirm title`, ['plain_text']);
            text(confirm.text, 300, `button ${j} confirm text`);
            text(confirm.confirm, 30, `button ${j} confirm button`, ['plain_text']);
            text(confirm.deny, 30, `button ${j} deny button`, ['plain_text']);
          }
        }
        break;
      }
      case 'image':
        if (typeof block.alt_text !== 'string' || block.alt_text.length > 2000) problems.push(`${at}: alt_text missing or over 2000 chars`);
        break;
      default:
        problems.push(`${at}: unknown block type`);
    }
  });
  return problems;
}
