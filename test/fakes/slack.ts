/**
 * A fake Slack Web API on 127.0.0.1 that speaks the wire protocol @slack/web-api uses: form-encoded
 * POSTs to /api/<method> with a bearer token, JSON answers with `ok`. It records chat.postMessage,
 * chat.update, chat.postEphemeral, the three files.uploadV2 steps and response_url posts, keeps the
 * channel's messages (updates replace them), and refuses what real Slack would refuse: Block Kit that
 * is not valid JSON or breaks a limit (answered `invalid_blocks`, and listed in `violations`).
 * Views: views.open (a modal, from a trigger id used once), views.update and views.publish (a user's
 * Home tab) are kept, and the fake writes what Slack would send the app from them: a `view_submission`
 * with the modal's state, a `block_actions` from a button on a view, an `app_home_opened` event.
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

/** A modal opened with views.open, or a Home tab published with views.publish. */
export interface FakeView {
  id: string;
  type: 'modal' | 'home';
  /** Whose Home tab it is (a modal's user is whoever's trigger opened it). */
  user: string | undefined;
  /** The trigger id that opened a modal. */
  trigger: string | undefined;
  callbackId: string | undefined;
  privateMetadata: string;
  title: string;
  blocks: Block[];
}

/** What a user typed or ticked in a modal's input blocks, by block id; absent blocks keep their initial value. */
export type ViewInput = Record<string, string[] | string | null>;

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
  /** Every modal opened (and updated), by view id. */
  views: Map<string, FakeView>;
  /** Each user's Home tab as last published. */
  homes: Map<string, FakeView>;
  /** The trigger id Slack gives a slash command or click: views.open accepts each once. */
  issueTrigger(): string;
  /** The `view_submission` Slack sends when `user` submits modal `viewId` with `input`. */
  viewSubmission(viewId: string, user: string, input?: ViewInput): Record<string, unknown>;
  /** The `block_actions` Slack sends when `user` clicks the button `actionId` on a view (a Home tab). */
  viewAction(viewId: string, user: string, actionId: string): Record<string, unknown>;
  /** The Events API body Slack sends when `user` opens the app's Home tab. */
  appHomeOpened(user: string): Record<string, unknown>;
  /**
   * Socket Mode: sends one envelope (`slash_commands`, `interactive`) over the bot's WebSocket and
   * resolves with the bot's ack `{ envelope_id, payload }`.
   */
  sendEnvelope(type: 'slash_commands' | 'interactive', payload: unknown): Promise<{ envelope_id: string; payload?: unknown }>;
  /** Socket Mode: closes the bot's WebSocket abruptly, as a network drop would; with `holdHello`, the next socket gets no hello until released. */
  dropSocket(options?: { holdHello?: boolean }): void;
  /** Sends the hello held by dropSocket's holdHello, and holds no more. */
  releaseHello(): void;
  /** Socket Mode connections opened so far. */
  readonly socketConnections: number;
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
  const views = new Map<string, FakeView>();
  const homes = new Map<string, FakeView>();
  const triggers = new Map<string, 'fresh' | 'used'>();
  let seq = 0;
  const nextTs = () => `1709550000.${String(++seq).padStart(6, '0')}`;
  const changed = () => {
    for (const w of [...waiters]) w();
  };

  function keep(raw: Block, id: string, user: string | undefined, trigger?: string): FakeView {
    const view: FakeView = {
      id,
      type: raw.type === 'home' ? 'home' : 'modal',
      user,
      trigger,
      callbackId: typeof raw.callback_id === 'string' ? raw.callback_id : undefined,
      privateMetadata: typeof raw.private_metadata === 'string' ? raw.private_metadata : '',
      title: String((raw.title as { text?: unknown } | undefined)?.text ?? ''),
      blocks: (raw.blocks ?? []) as Block[],
    };
    views.set(id, view);
    return view;
  }

  const wire = (view: FakeView) => ({
    id: view.id,
    team_id: options.teamId ?? 'T1',
    type: view.type,
    blocks: view.blocks,
    private_metadata: view.privateMetadata,
    callback_id: view.callbackId ?? '',
    hash: `h-${view.id}-${seq}`,
    ...(view.type === 'modal' ? { title: { type: 'plain_text', text: view.title } } : {}),
    app_id: 'A1',
    bot_id: 'BBOT',
  });

  const userOf = (id: string) => ({ id, username: id.toLowerCase(), name: id.toLowerCase(), team_id: options.teamId ?? 'T1' });
  const team = () => ({ id: options.teamId ?? 'T1', domain: 'fake' });
  const issueTrigger = () => {
    const trigger = `trigger-fake-${++seq}`;
    triggers.set(trigger, 'fresh');
    return trigger;
  };

  /** The state.values Slack sends with a submission: each input block's element, as the user left it. */
  function stateOf(view: FakeView, input: ViewInput): Record<string, Record<string, unknown>> {
    const values: Record<string, Record<string, unknown>> = {};
    for (const block of view.blocks) {
      if (block.type !== 'input' || typeof block.block_id !== 'string') continue;
      const element = block.element as { type: string; action_id: string; options?: Option[]; initial_options?: Option[]; initial_value?: string };
      const given = input[block.block_id];
      if (element.type === 'checkboxes') {
        const chosen = Array.isArray(given) ? given : (element.initial_options ?? []).map((o) => o.value);
        const selected_options = (element.options ?? []).filter((o) => chosen.includes(o.value));
        values[block.block_id] = { [element.action_id]: { type: 'checkboxes', selected_options } };
      } else if (element.type === 'plain_text_input') {
        const value = typeof given === 'string' ? given : given === null ? null : (element.initial_value ?? null);
        values[block.block_id] = { [element.action_id]: { type: 'plain_text_input', value } };
      }
    }
    return values;
  }

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
    const problems = 'blocks' in args ? validateBlocks(args.blocks) : 'view' in args ? validateView(args.view) : [];
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
      case 'views.open': {
        // A trigger id from a slash command or a click, used once (Slack also lets it expire after 3 s).
        const trigger = String(args.trigger_id ?? '');
        if (!trigger || triggers.get(trigger) === 'used') return json(res, { ok: false, error: 'invalid_trigger_id' });
        triggers.set(trigger, 'used');
        const view = keep(args.view as Block, `V${++seq}`, undefined, trigger);
        return json(res, { ok: true, view: wire(view) });
      }
      case 'views.update': {
        const old = views.get(String(args.view_id ?? ''));
        if (!old) return json(res, { ok: false, error: 'not_found' });
        return json(res, { ok: true, view: wire(keep(args.view as Block, old.id, old.user, old.trigger)) });
      }
      case 'views.publish': {
        const user = String(args.user_id ?? '');
        if (!/^[UW]\w+$/.test(user)) return json(res, { ok: false, error: 'invalid_arguments' });
        const view = keep(args.view as Block, homes.get(user)?.id ?? `VH${++seq}`, user);
        homes.set(user, view);
        return json(res, { ok: true, view: wire(view) });
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
  let holdHello = false;
  const heldHellos: (() => void)[] = [];
  let socketConnections = 0;
  server.on('upgrade', (req, raw, head) => {
    sockets.handleUpgrade(req, raw, head, (ws) => {
      socket = ws;
      socketConnections++;
      ws.on('message', (data) => {
        const ack = JSON.parse(String(data)) as { envelope_id: string; payload?: unknown };
        acks.get(ack.envelope_id)?.(ack);
        acks.delete(ack.envelope_id);
        changed();
      });
      const hello = () => ws.readyState === ws.OPEN && ws.send(JSON.stringify({ type: 'hello', num_connections: 1, connection_info: { app_id: 'A1' } }));
      if (holdHello) heldHellos.push(hello);
      else hello();
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
    views,
    homes,
    issueTrigger,
    viewSubmission(viewId, user, input = {}) {
      const view = views.get(viewId);
      if (!view) throw new Error(`no view ${viewId}`);
      return {
        type: 'view_submission',
        team: team(),
        user: userOf(user),
        api_app_id: 'A1',
        token: 'legacy-verification-token',
        trigger_id: issueTrigger(),
        view: { ...wire(view), state: { values: stateOf(view, input) } },
        response_urls: [],
        is_enterprise_install: false,
      };
    },
    viewAction(viewId, user, actionId) {
      const view = views.get(viewId);
      if (!view) throw new Error(`no view ${viewId}`);
      const found = view.blocks.flatMap((b) =>
        b.type === 'actions' ? (b.elements as Record<string, unknown>[]).filter((e) => e.action_id === actionId).map((e) => ({ block: b, element: e })) : [],
      )[0];
      if (!found) throw new Error(`view ${viewId} has no button ${actionId}`);
      return {
        type: 'block_actions',
        team: team(),
        user: userOf(user),
        api_app_id: 'A1',
        token: 'legacy-verification-token',
        container: { type: 'view', view_id: viewId },
        trigger_id: issueTrigger(),
        view: { ...wire(view), state: { values: {} } },
        actions: [{ type: 'button', action_id: actionId, block_id: found.block.block_id, text: found.element.text, value: found.element.value, action_ts: '1709550000.2' }],
      };
    },
    appHomeOpened(user) {
      return {
        token: 'legacy-verification-token',
        team_id: options.teamId ?? 'T1',
        api_app_id: 'A1',
        type: 'event_callback',
        event_id: `Ev${++seq}`,
        event_time: 1709550000,
        event: { type: 'app_home_opened', user, channel: `D${user}`, tab: 'home', event_ts: '1709550000.3', ...(homes.get(user) ? { view: wire(homes.get(user)!) } : {}) },
        authorizations: [{ team_id: options.teamId ?? 'T1', user_id: 'UBOT', is_bot: true }],
      };
    },
    dropSocket(options = {}) {
      holdHello = options.holdHello === true;
      socket?.terminate();
    },
    releaseHello() {
      holdHello = false;
      for (const hello of heldHellos.splice(0)) hello();
    },
    get socketConnections() {
      return socketConnections;
    },
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
    if (key === 'blocks' || key === 'attachments' || key === 'view') {
      try {
        args[key] = JSON.parse(value);
      } catch {
        args[key] = { invalidJson: value.slice(0, 80) };
      }
    } else args[key] = value;
  }
  return args;
}

interface Option {
  text: { type: string; text: string };
  value: string;
}

/** A modal's or a Home tab's limits: its kind, title, buttons and metadata, then its blocks (up to 100). */
export function validateView(view: unknown): string[] {
  const v = view as Record<string, unknown> | undefined;
  if (!v || typeof v !== 'object') return ['view is not a JSON object'];
  const problems: string[] = [];
  const short = (t: unknown, where: string) => {
    const o = t as { type?: string; text?: unknown } | undefined;
    if (o?.type !== 'plain_text' || typeof o.text !== 'string' || !o.text.length || o.text.length > 24) problems.push(`view ${where}: a plain_text of 1-24 chars`);
  };
  if (v.type !== 'modal' && v.type !== 'home') problems.push(`view type ${String(v.type)}`);
  if (v.type === 'modal') {
    short(v.title, 'title');
    if (v.submit !== undefined) short(v.submit, 'submit');
    if (v.close !== undefined) short(v.close, 'close');
    const blocks = (v.blocks ?? []) as Block[];
    if (blocks.some((b) => b.type === 'input') && v.submit === undefined) problems.push('view: input blocks need a submit button');
  }
  if (typeof v.callback_id === 'string' && v.callback_id.length > 255) problems.push('view callback_id over 255 chars');
  if (typeof v.private_metadata === 'string' && v.private_metadata.length > 3000) problems.push('view private_metadata over 3000 chars');
  return [...problems, ...validateBlocks(v.blocks, 100)];
}

/** Slack's Block Kit limits, checked the way Slack checks them (each breach is a refusal); a message holds 50 blocks, a view 100. */
export function validateBlocks(blocks: unknown, max = 50): string[] {
  const problems: string[] = [];
  if (!Array.isArray(blocks)) return ['blocks is not a JSON array'];
  if (blocks.length > max) problems.push(`${blocks.length} blocks (max ${max})`);
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
      case 'input': {
        text(block.label, 2000, 'label', ['plain_text']);
        const element = block.element as { type?: string; action_id?: string; options?: Option[]; initial_options?: Option[]; max_length?: number } | undefined;
        if (!element?.action_id || element.action_id.length > 255) problems.push(`${at}: element action_id must be 1-255 chars`);
        if (element?.type === 'checkboxes') {
          const options = element.options ?? [];
          if (options.length === 0 || options.length > 10) problems.push(`${at}: ${options.length} checkbox options (1-10)`);
          for (const [j, o] of options.entries()) {
            text(o.text, 150, `option ${j}`);
            if (typeof o.value !== 'string' || !o.value || o.value.length > 150) problems.push(`${at} option ${j}: value must be 1-150 chars`);
          }
          for (const o of element.initial_options ?? [])
            if (!options.some((x) => x.value === o.value && x.text.text === o.text.text)) problems.push(`${at}: initial option ${o.value} is not one of the options`);
        } else if (element?.type === 'plain_text_input') {
          if (element.max_length !== undefined && (element.max_length < 1 || element.max_length > 3000)) problems.push(`${at}: max_length 1-3000`);
        } else problems.push(`${at}: unknown input element ${String(element?.type)}`);
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
