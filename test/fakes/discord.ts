/**
 * A fake Discord on loopback: the REST API (v10) and the gateway on one port, speaking the wire
 * protocol the real discord.js client expects. Gateway: HELLO, IDENTIFY -> READY, heartbeats (op 1 ->
 * op 11), RESUME with replay of missed dispatches -> RESUMED, INTERACTION_CREATE. Payloads are typed
 * with discord-api-types so they are complete: discord.js builds structures eagerly and throws on gaps.
 * It records every request and keeps the messages it was sent, so tests assert on what Discord saw.
 * A message with files arrives as multipart/form-data (`payload_json` plus one `files[n]` part per
 * file), parsed as Discord does: the bytes are kept on the message as its attachments.
 * Components: a select menu's choice (`selectMenu`) and a modal's submission (`submitModal`) arrive as
 * INTERACTION_CREATE; an update callback (type 7) edits the message the component is on, a modal
 * callback (type 9) is kept in `modals` until it is submitted.
 */
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type APIActionRowComponent,
  type APIApplicationCommandInteractionDataStringOption,
  type APIComponentInMessageActionRow,
  type APIMessageComponentSelectMenuInteraction,
  type APIModalInteractionResponseCallbackData,
  type APIModalSubmitInteraction,
  type ApplicationFlags,
  type ChannelFlags,
  type GuildMemberFlags,
  type MessageFlags,
  type APIChatInputApplicationCommandGuildInteraction,
  type APIEmbed,
  type APIInteractionGuildMember,
  type APIMessage,
  type APIMessageComponentButtonInteraction,
  type APIThreadChannel,
  type APIUser,
  ApplicationCommandOptionType,
  ApplicationCommandType,
  ChannelType,
  ComponentType,
  type GatewayDispatchPayload,
  GatewayOpcodes,
  type GatewayReadyDispatchData,
  type GatewaySendPayload,
  InteractionContextType,
  InteractionResponseType,
  InteractionType,
  Locale,
  MessageType,
  type RESTPatchAPIChannelMessageJSONBody,
  type RESTPostAPIChannelMessagesThreadsJSONBody,
  type RESTPutAPIApplicationCommandsJSONBody,
} from 'discord-api-types/v10';
import { type WebSocket, WebSocketServer } from 'ws';

export interface RecordedRequest {
  method: string;
  /** The path after /api/v10, URL-decoded (so `@original` reads as such). */
  path: string;
  query: string;
  /** Parsed JSON (or a multipart request's `payload_json`), the raw text of any other body, else null. */
  body: unknown;
  authorization: string | undefined;
  /** The file parts of a multipart request, in order. */
  files: UploadedFile[];
}

/**
 * What the fake keeps and checks of any message body discord.js sends (create, edit, webhook execute
 * or edit, a type-4 callback's data), typed as an edit types it (null clears a field). Components are
 * modelled as rows of buttons, the only kind the bot sends.
 */
type MessageBody = Pick<RESTPatchAPIChannelMessageJSONBody, 'content' | 'embeds' | 'attachments'> & {
  components?: APIActionRowComponent<APIComponentInMessageActionRow>[] | null;
};

/** A type-4 (or any other) interaction callback, as far as the fake reads it. */
type CallbackBody = { type?: InteractionResponseType; data?: MessageBody | APIModalInteractionResponseCallbackData } | null;

/** A modal the bot showed (a type-9 callback), waiting for its submission. */
export interface FakeModal {
  /** The token of the interaction it answered. */
  token: string;
  data: APIModalInteractionResponseCallbackData;
}

/** The route a request matched, with its body as it arrived: each route reads it as the wire type it expects. */
type RouteHandler = (m: RegExpMatchArray, body: unknown, reply: (status: number, json?: unknown) => void, files: UploadedFile[]) => void;

/** The part of a message body that names its uploads. */
type AttachmentsPayload = { attachments?: { id: number | string; filename?: string }[] } | null | undefined;

/** One `files[n]` part of a multipart message. */
export interface UploadedFile {
  /** The form field, `files[0]`, `files[1]`, ... */
  field: string;
  filename: string;
  contentType: string;
  data: Buffer;
}

/** A file a message carries: the `attachments` entry of its payload joined with the part it names. */
export interface FakeAttachment {
  id: string;
  filename: string;
  contentType: string;
  data: Buffer;
}

export interface FakeMessage {
  id: string;
  channelId: string;
  content: string;
  embeds: APIEmbed[];
  components: APIActionRowComponent<APIComponentInMessageActionRow>[];
  attachments: FakeAttachment[];
  edits: number;
}

export interface FakeUser {
  id: string;
  name: string;
  roles?: string[];
}

interface Failure {
  method: string;
  path: RegExp;
  status: number;
  times: number;
}

const TOKEN = 'fake.bot.token';
const PERMISSIONS = '2248473465835073';

export class FakeDiscord {
  private readonly heartbeatInterval: number;
  readonly token = TOKEN;
  readonly applicationId = '1100000000000000001';
  readonly guildId = '1200000000000000001';
  readonly channelId = '1300000000000000001';
  readonly botUser: APIUser = { id: '1100000000000000001', username: 'council-bot', discriminator: '0', global_name: 'Council', avatar: null, bot: true };
  readonly requests: RecordedRequest[] = [];
  readonly messages = new Map<string, FakeMessage>();
  readonly threads = new Map<string, APIThreadChannel & { parentMessageId: string }>();
  readonly commands: unknown[] = [];
  /** Modals shown, in order. */
  readonly modals: FakeModal[] = [];
  /** The message each component interaction came from, by token (an update callback edits it). */
  private readonly componentMessages = new Map<string, string>();
  /** The channel each interaction came from, by token: a private reply's components live there too. */
  private readonly interactionChannels = new Map<string, string>();
  /** Gateway counters: how the client (re)connected. */
  readonly gateway = { connections: 0, identifies: 0, resumes: 0, heartbeats: 0, lastResumeSeq: -1 };
  /** When false, heartbeats go unanswered (a zombie connection). */
  ackHeartbeats = true;

  private readonly changes = new EventEmitter();
  private readonly failures: Failure[] = [];
  private readonly sockets = new Set<WebSocket>();
  private readonly dispatched: { s: number; payload: GatewayDispatchPayload }[] = [];
  private seq = 0;
  private nextId = 1n;
  private sessionId = 'fake-session-1';
  private readonly server = createServer((req, res) => void this.onRequest(req, res));
  private readonly wss = new WebSocketServer({ noServer: true });

  constructor(heartbeatInterval: number) {
    this.heartbeatInterval = heartbeatInterval;
    this.changes.setMaxListeners(100);
    this.server.on('upgrade', (req, socket, head) => {
      if (req.url?.startsWith('/gw')) this.wss.handleUpgrade(req, socket, head, (ws) => this.onSocket(ws));
      else socket.destroy();
    });
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** What DISCORD_API_URL should be (discord.js appends /v10). */
  get apiUrl(): string {
    return `http://127.0.0.1:${this.port}/api`;
  }

  get gatewayUrl(): string {
    return `ws://127.0.0.1:${this.port}/gw`;
  }

  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this;
  }

  async close(): Promise<void> {
    for (const ws of this.sockets) ws.terminate();
    this.wss.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** The next `times` requests matching method and path are answered with `status`. */
  failNext(method: string, path: RegExp, status: number, times = 1): void {
    this.failures.push({ method, path, status, times });
  }

  /** Resolves when `check` returns a value other than undefined/false, re-checked on every request and gateway frame. */
  waitFor<T>(what: string, check: () => T | undefined | false, timeoutMs = 20_000): Promise<T> {
    return new Promise((resolve, reject) => {
      const attempt = () => {
        const value = check();
        if (value === undefined || value === false) return false;
        cleanup();
        resolve(value);
        return true;
      };
      const cleanup = () => {
        clearTimeout(timer);
        this.changes.off('change', attempt);
      };
      // A guard against a hang, not a timing assertion: the condition is what the test checks.
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`fake discord: gave up waiting for ${what}`));
      }, timeoutMs);
      this.changes.on('change', attempt);
      attempt();
    });
  }

  /** While true, a new gateway connection gets no HELLO, so the client cannot resume yet (an outage that lasts). */
  holdHello = false;
  private heldHellos: (() => void)[] = [];

  /** Sends the HELLOs held by holdHello, and holds no more. */
  releaseHello(): void {
    this.holdHello = false;
    for (const hello of this.heldHellos.splice(0)) hello();
  }

  /** Closes the gateway socket abruptly (1006), as a network drop would. */
  dropConnection(): void {
    for (const ws of this.sockets) ws.terminate();
  }

  /** Messages posted to a channel or thread, in order. */
  messagesIn(channelId: string): FakeMessage[] {
    return [...this.messages.values()].filter((m) => m.channelId === channelId);
  }

  /** Requests made for one interaction (its callback and its webhook edits/follow-ups), by token. */
  interactionRequests(token: string): RecordedRequest[] {
    return this.requests.filter((r) => r.path.includes(`/${token}`));
  }

  // ── interactions ────────────────────────────────────────────────────────────────────────────

  /** Sends `/council <sub> [options]` as INTERACTION_CREATE; returns the interaction's id and token. */
  slash(sub: string, options: Record<string, string>, user: FakeUser, channelId = this.channelId, from: { guildId?: string } = {}): { id: string; token: string } {
    const id = this.snowflake();
    const token = `itoken-${id}`;
    const subOptions: APIApplicationCommandInteractionDataStringOption[] = Object.entries(options).map(([name, value]) => ({
      type: ApplicationCommandOptionType.String,
      name,
      value,
    }));
    const interaction: APIChatInputApplicationCommandGuildInteraction = {
      ...this.interactionBase(id, token, user, channelId, this.threads.has(channelId) ? ChannelType.PublicThread : ChannelType.GuildText, from.guildId),
      type: InteractionType.ApplicationCommand,
      data: {
        id: '1400000000000000001',
        name: 'council',
        type: ApplicationCommandType.ChatInput,
        guild_id: from.guildId ?? this.guildId,
        options: [{ type: ApplicationCommandOptionType.Subcommand, name: sub, options: subOptions }],
      },
    };
    this.dispatch({ op: GatewayOpcodes.Dispatch, t: 'INTERACTION_CREATE' as never, s: 0, d: interaction } as GatewayDispatchPayload);
    return { id, token };
  }

  /** Clicks a button on a message the bot posted. */
  click(customId: string, user: FakeUser, messageId: string, from: { guildId?: string } = {}): { id: string; token: string } {
    const message = this.messages.get(messageId);
    if (!message) throw new Error(`fake discord: no message ${messageId}`);
    const id = this.snowflake();
    const token = `itoken-${id}`;
    const channelId = this.channelOf(message);
    const interaction: APIMessageComponentButtonInteraction & { guild_id: string; member: APIInteractionGuildMember } = {
      ...this.interactionBase(id, token, user, channelId, this.threads.has(channelId) ? ChannelType.PublicThread : ChannelType.GuildText, from.guildId),
      type: InteractionType.MessageComponent,
      data: { custom_id: customId, component_type: ComponentType.Button },
      message: this.apiMessage(message),
    };
    this.componentMessages.set(token, messageId);
    this.dispatch({ op: GatewayOpcodes.Dispatch, t: 'INTERACTION_CREATE' as never, s: 0, d: interaction } as GatewayDispatchPayload);
    return { id, token };
  }

  /** Chooses `values` in the string select menu `customId` on a message the bot posted (an ephemeral reply too). */
  selectMenu(customId: string, values: string[], user: FakeUser, messageId: string): { id: string; token: string } {
    const message = this.messages.get(messageId);
    if (!message) throw new Error(`fake discord: no message ${messageId}`);
    const menu = message.components.flatMap((r) => r.components).find((c) => c.type === ComponentType.StringSelect && c.custom_id === customId);
    if (!menu || menu.type !== ComponentType.StringSelect) throw new Error(`fake discord: message ${messageId} has no select menu ${customId}`);
    const unknown = values.filter((v) => !menu.options.some((o) => o.value === v));
    if (unknown.length) throw new Error(`fake discord: ${unknown.join(', ')} not among the options of ${customId}`);
    const id = this.snowflake();
    const token = `itoken-${id}`;
    const channelId = this.channelOf(message);
    const interaction: APIMessageComponentSelectMenuInteraction & { guild_id: string; member: APIInteractionGuildMember } = {
      ...this.interactionBase(id, token, user, channelId, this.threads.has(channelId) ? ChannelType.PublicThread : ChannelType.GuildText),
      type: InteractionType.MessageComponent,
      data: { custom_id: customId, component_type: ComponentType.StringSelect, values },
      message: this.apiMessage(message),
    };
    this.componentMessages.set(token, messageId);
    this.dispatch({ op: GatewayOpcodes.Dispatch, t: 'INTERACTION_CREATE' as never, s: 0, d: interaction } as GatewayDispatchPayload);
    return { id, token };
  }

  /** Submits a modal the bot showed, with a value for each text input by custom id (absent: left empty). */
  submitModal(modal: FakeModal, values: Record<string, string>, user: FakeUser): { id: string; token: string } {
    const id = this.snowflake();
    const token = `itoken-${id}`;
    const components = modal.data.components.flatMap((c) => {
      if (c.type !== ComponentType.Label || c.component.type !== ComponentType.TextInput) return [];
      return [
        {
          type: ComponentType.Label as const,
          id: c.id ?? 1,
          component: { type: ComponentType.TextInput as const, id: c.component.id ?? 2, custom_id: c.component.custom_id, value: values[c.component.custom_id] ?? '' },
        },
      ];
    });
    // A modal is submitted where the interaction that showed it was.
    const channelId = this.interactionChannels.get(modal.token) ?? this.channelId;
    const interaction: APIModalSubmitInteraction & { guild_id: string; member: APIInteractionGuildMember } = {
      ...this.interactionBase(id, token, user, channelId, this.threads.has(channelId) ? ChannelType.PublicThread : ChannelType.GuildText),
      type: InteractionType.ModalSubmit,
      data: { custom_id: modal.data.custom_id, components },
    };
    this.dispatch({ op: GatewayOpcodes.Dispatch, t: 'INTERACTION_CREATE' as never, s: 0, d: interaction } as GatewayDispatchPayload);
    return { id, token };
  }

  /** Delivers an interaction sent before once more, as a gateway resume may: the same id and token. */
  redeliver(id: string): void {
    const sent = this.dispatched.find((d) => (d.payload.d as { id?: unknown }).id === id);
    if (!sent) throw new Error(`fake discord: no interaction ${id}`);
    this.dispatch(sent.payload);
  }

  /** Where a message is: its channel, or for an interaction's private reply the channel of that interaction. */
  private channelOf(message: FakeMessage): string {
    if (!message.channelId.startsWith('interaction:')) return message.channelId;
    return this.interactionChannels.get(message.channelId.slice('interaction:'.length)) ?? this.channelId;
  }

  private interactionBase(id: string, token: string, user: FakeUser, channelId: string, channelType: ChannelType.GuildText | ChannelType.PublicThread, guildId = this.guildId) {
    this.interactionChannels.set(token, channelId);
    const member: APIInteractionGuildMember = {
      user: { id: user.id, username: user.name, discriminator: '0', global_name: user.name, avatar: null },
      roles: user.roles ?? [],
      joined_at: '2024-01-01T00:00:00.000Z',
      deaf: false,
      mute: false,
      flags: 0 as GuildMemberFlags,
      permissions: PERMISSIONS,
      avatar: null,
      banner: null,
    };
    return {
      id,
      application_id: this.applicationId,
      token,
      version: 1 as const,
      locale: Locale.EnglishUS,
      guild_locale: Locale.EnglishUS,
      app_permissions: PERMISSIONS,
      entitlements: [],
      authorizing_integration_owners: { '0': guildId },
      context: InteractionContextType.Guild,
      attachment_size_limit: 8_388_608,
      guild_id: guildId,
      guild: { id: guildId, locale: Locale.EnglishUS, features: [] },
      channel_id: channelId,
      // Discord names a thread's parent channel in the interaction's partial channel.
      channel:
        channelType === ChannelType.PublicThread
          ? { id: channelId, type: channelType, name: 'council', guild_id: guildId, parent_id: this.threads.get(channelId)?.parent_id ?? this.channelId }
          : { id: channelId, type: channelType, name: 'council', guild_id: guildId },
      member,
    };
  }

  // ── gateway ─────────────────────────────────────────────────────────────────────────────────

  private dispatch(payload: GatewayDispatchPayload): void {
    const s = ++this.seq;
    const stamped = { ...payload, s } as GatewayDispatchPayload;
    this.dispatched.push({ s, payload: stamped });
    // While no socket is open the event waits; a RESUME replays it, as Discord does.
    for (const ws of this.sockets) if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(stamped));
    this.changed();
  }

  private onSocket(ws: WebSocket): void {
    this.gateway.connections++;
    this.sockets.add(ws);
    ws.on('close', () => {
      this.sockets.delete(ws);
      this.changed();
    });
    ws.on('message', (raw) => this.onFrame(ws, raw.toString()));
    const hello = () => ws.readyState === ws.OPEN && ws.send(JSON.stringify({ op: GatewayOpcodes.Hello, d: { heartbeat_interval: this.heartbeatInterval } }));
    if (this.holdHello) this.heldHellos.push(hello);
    else hello();
    this.changed();
  }

  private onFrame(ws: WebSocket, raw: string): void {
    // What discord.js sends; `d` is still read with `?.` so a frame without one is refused, not thrown on.
    const frame = JSON.parse(raw) as GatewaySendPayload;
    switch (frame.op) {
      case GatewayOpcodes.Identify: {
        if (frame.d?.token !== TOKEN) {
          ws.close(4004, 'Authentication failed.');
          break;
        }
        this.gateway.identifies++;
        this.sessionId = `fake-session-${this.gateway.identifies}`;
        const ready: GatewayReadyDispatchData = {
          v: 10,
          user: this.botUser,
          guilds: [],
          session_id: this.sessionId,
          resume_gateway_url: this.gatewayUrl,
          shard: [0, 1],
          application: { id: this.applicationId, flags: 0 as ApplicationFlags, flags_new: '0' },
        };
        const s = ++this.seq;
        ws.send(JSON.stringify({ op: GatewayOpcodes.Dispatch, t: 'READY', s, d: ready }));
        break;
      }
      case GatewayOpcodes.Resume: {
        if (frame.d?.token !== TOKEN || frame.d?.session_id !== this.sessionId) {
          ws.send(JSON.stringify({ op: GatewayOpcodes.InvalidSession, d: false }));
          break;
        }
        this.gateway.resumes++;
        this.gateway.lastResumeSeq = frame.d.seq;
        for (const { s, payload } of this.dispatched) if (s > frame.d.seq) ws.send(JSON.stringify(payload));
        const s = ++this.seq;
        ws.send(JSON.stringify({ op: GatewayOpcodes.Dispatch, t: 'RESUMED', s, d: {} }));
        break;
      }
      case GatewayOpcodes.Heartbeat:
        this.gateway.heartbeats++;
        if (this.ackHeartbeats) ws.send(JSON.stringify({ op: GatewayOpcodes.HeartbeatAck }));
        break;
      default:
        break;
    }
    this.changed();
  }

  // ── REST ────────────────────────────────────────────────────────────────────────────────────

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const bytes = Buffer.concat(chunks);
    const raw = bytes.toString('utf8');
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = decodeURIComponent(url.pathname.replace(/^\/api\/v10/, ''));
    const method = req.method ?? 'GET';
    const contentType = req.headers['content-type'] ?? '';
    let body: unknown = null;
    let files: UploadedFile[] = [];
    if (raw && contentType.includes('application/json')) body = JSON.parse(raw);
    else if (raw && contentType.includes('multipart/form-data')) ({ body, files } = await parseMultipart(bytes, contentType));
    else if (raw) body = raw;
    const recorded: RecordedRequest = { method, path, query: url.search, body, authorization: req.headers.authorization, files };
    this.requests.push(recorded);
    const reply = (status: number, json?: unknown) => {
      if (json === undefined) res.writeHead(status).end();
      else res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
      this.changed();
    };

    const failure = this.failures.find((f) => f.method === method && f.path.test(path) && f.times > 0);
    if (failure) {
      failure.times--;
      return reply(failure.status, { message: `fake failure ${failure.status}`, code: 0 });
    }
    const needsBot = !path.startsWith('/interactions/') && !path.startsWith('/webhooks/');
    if (needsBot && req.headers.authorization !== `Bot ${TOKEN}`) return reply(401, { message: '401: Unauthorized', code: 0 });

    for (const [verb, pattern, handle] of this.routes()) {
      const m = verb === method || verb === '*' ? path.match(pattern) : null;
      if (m) return handle(m, body, reply, files);
    }
    return reply(404, { message: '404: Not Found', code: 0 });
  }

  // Bodies are read as the wire types discord.js sends, not validated, so a body of another shape
  // is answered as it was when these routes took `any`.
  private routes(): [string, RegExp, RouteHandler][] {
    return [
      [
        'GET',
        /^\/gateway\/bot$/,
        (_m, _b, reply) => reply(200, { url: this.gatewayUrl, shards: 1, session_start_limit: { total: 1000, remaining: 999, reset_after: 0, max_concurrency: 1 } }),
      ],
      // The bot's own user: what `council doctor` (and serve before it starts) asks with the token.
      ['GET', /^\/users\/@me$/, (_m, _b, reply) => reply(200, this.botUser)],
      [
        'POST',
        /^\/channels\/(\d+)\/messages$/,
        (m, raw, reply, files) => {
          const body = raw as MessageBody | null;
          if (!this.knownChannel(m[1]!)) return reply(404, { message: 'Unknown Channel', code: 10003 });
          const problem = this.checkMessage(body) ?? this.checkAttachments(body, files);
          if (problem) return reply(400, { message: 'Invalid Form Body', code: 50035, errors: problem });
          reply(200, this.apiMessage(this.store(m[1]!, body, files)));
        },
      ],
      [
        'PATCH',
        /^\/channels\/(\d+)\/messages\/(\d+)$/,
        (m, raw, reply) => {
          const body = raw as MessageBody;
          const message = this.messages.get(m[2]!);
          if (!message || message.channelId !== m[1]) return reply(404, { message: 'Unknown Message', code: 10008 });
          const problem = this.checkMessage(body);
          if (problem) return reply(400, { message: 'Invalid Form Body', code: 50035, errors: problem });
          this.edit(message, body);
          reply(200, this.apiMessage(message));
        },
      ],
      ['POST', /^\/channels\/(\d+)\/messages\/(\d+)\/threads$/, (m, body, reply) => this.openThread(m[1]!, m[2]!, body as RESTPostAPIChannelMessagesThreadsJSONBody | null, reply)],
      [
        'POST',
        /^\/interactions\/(\d+)\/([^/]+)\/callback$/,
        (m, raw, reply) => {
          const body = raw as CallbackBody;
          const problem =
            body?.type === InteractionResponseType.Modal
              ? this.checkModal(body.data as APIModalInteractionResponseCallbackData)
              : this.checkMessage((body?.data ?? null) as MessageBody | null);
          if (problem) return reply(400, { message: 'Invalid Form Body', code: 50035, errors: problem });
          // Type 4 answers at once: its data becomes the interaction's original message, as on Discord.
          if (body?.type === InteractionResponseType.ChannelMessageWithSource) this.store(`interaction:${m[2]}`, (body.data ?? {}) as MessageBody);
          // Type 7 edits the message the component is on; type 9 shows a modal.
          if (body?.type === InteractionResponseType.UpdateMessage) {
            const on = this.messages.get(this.componentMessages.get(m[2]!) ?? '');
            if (!on) return reply(400, { message: 'Unknown Message', code: 10008 });
            this.edit(on, (body.data ?? {}) as MessageBody);
          }
          if (body?.type === InteractionResponseType.Modal) this.modals.push({ token: m[2]!, data: body.data as APIModalInteractionResponseCallbackData });
          reply(204);
        },
      ],
      [
        '*',
        /^\/webhooks\/(\d+)\/([^/]+)(?:\/messages\/(@original|\d+))?$/,
        (m, raw, reply) => {
          const body = raw as MessageBody | null;
          const key = `interaction:${m[2]}`;
          const existing = [...this.messages.values()].find((x) => x.channelId === key);
          const message = existing && m[3] ? existing : this.store(key, body ?? {});
          if (existing && m[3]) this.edit(existing, body ?? {});
          reply(200, this.apiMessage(message));
        },
      ],
      [
        'PUT',
        /^\/applications\/(\d+)(?:\/guilds\/(\d+))?\/commands$/,
        (m, body, reply) => {
          const commands = (body as RESTPutAPIApplicationCommandsJSONBody).map((c) => ({ ...c, id: this.snowflake(), application_id: m[1], version: '1' }));
          this.commands.push(...commands);
          reply(200, commands);
        },
      ],
    ];
  }

  private openThread(channelId: string, messageId: string, body: RESTPostAPIChannelMessagesThreadsJSONBody | null, reply: (status: number, json?: unknown) => void) {
    if (!this.messages.has(messageId)) return reply(404, { message: 'Unknown Message', code: 10008 });
    const thread: APIThreadChannel & { parentMessageId: string } = {
      id: this.snowflake(),
      type: ChannelType.PublicThread,
      guild_id: this.guildId,
      parent_id: channelId,
      name: String(body?.name ?? ''),
      owner_id: this.botUser.id,
      last_message_id: null,
      message_count: 0,
      member_count: 1,
      rate_limit_per_user: 0,
      total_message_sent: 0,
      flags: 0 as ChannelFlags,
      thread_metadata: { archived: false, auto_archive_duration: body?.auto_archive_duration ?? 1440, archive_timestamp: '2024-03-04T12:00:00.000Z', locked: false },
      applied_tags: [],
      parentMessageId: messageId,
    };
    this.threads.set(thread.id, thread);
    const { parentMessageId: _, ...wire } = thread;
    reply(201, wire);
  }

  private knownChannel(id: string): boolean {
    return id === this.channelId || this.threads.has(id);
  }

  /** The limits Discord enforces on a message body, so a renderer that breaks them gets the same 400. */
  private checkMessage(body: MessageBody | null): string | null {
    const embeds: APIEmbed[] = body?.embeds ?? [];
    if ((body?.content ?? '').length > 2000) return 'content: longer than 2000';
    if (embeds.length > 10) return 'embeds: more than 10';
    let total = 0;
    for (const e of embeds) {
      if ((e.title?.length ?? 0) > 256) return 'embed title: longer than 256';
      if ((e.description?.length ?? 0) > 4096) return 'embed description: longer than 4096';
      if ((e.fields?.length ?? 0) > 25) return 'embed fields: more than 25';
      for (const f of e.fields ?? []) if (f.name.length > 256 || f.value.length > 1024 || !f.value) return 'embed field: too long or empty';
      total +=
        (e.title?.length ?? 0) +
        (e.description?.length ?? 0) +
        (e.footer?.text.length ?? 0) +
        (e.author?.name.length ?? 0) +
        (e.fields ?? []).reduce((n, f) => n + f.name.length + f.value.length, 0);
    }
    if (total > 6000) return 'embeds: more than 6000 characters';
    for (const row of body?.components ?? []) {
      if (row.components.length > 5) return 'action row: more than 5 components';
      for (const c of row.components) {
        const customId = 'custom_id' in c ? c.custom_id : undefined; // link and premium buttons have none
        if ((customId?.length ?? 0) > 100) return 'custom_id: longer than 100';
        if (c.type === ComponentType.StringSelect) {
          if (row.components.length > 1) return 'action row: a select menu must be alone in its row';
          if (c.options.length < 1 || c.options.length > 25) return 'select menu: 1-25 options';
          for (const o of c.options)
            if (!o.label || o.label.length > 100 || o.value.length > 100 || (o.description?.length ?? 0) > 100) return 'select option: label, value or description over 100';
          const min = c.min_values ?? 1;
          const max = c.max_values ?? 1;
          if (min > max || max > c.options.length) return 'select menu: min_values/max_values out of range';
          if (c.options.filter((o) => o.default).length > max) return 'select menu: more defaults than max_values';
        }
      }
    }
    return null;
  }

  /** A modal's limits: a title of 1-45, 1-5 components, text inputs with a label and sane lengths. */
  private checkModal(modal: APIModalInteractionResponseCallbackData | undefined): string | null {
    if (!modal?.custom_id || modal.custom_id.length > 100) return 'modal custom_id: 1-100';
    if (!modal.title || modal.title.length > 45) return 'modal title: 1-45';
    if (modal.components.length < 1 || modal.components.length > 5) return 'modal: 1-5 components';
    for (const c of modal.components) {
      if (c.type !== ComponentType.Label) continue;
      if (!c.label || c.label.length > 45) return 'label: 1-45';
      if (c.component.type === ComponentType.TextInput && (c.component.max_length ?? 0) > 4000) return 'text input: max_length over 4000';
    }
    return null;
  }

  /**
   * Discord's rule for uploads: each `attachments` entry names its part by id (`files[<id>]`), and a
   * part no entry names is still attached. A reference to a part that was not sent is a 400.
   */
  private checkAttachments(body: AttachmentsPayload, files: UploadedFile[]): string | null {
    for (const a of body?.attachments ?? []) {
      if (!files.some((f) => f.field === `files[${a.id}]`)) return `attachments: ${a.id} names no uploaded file`;
    }
    return null;
  }

  private attachmentsOf(body: AttachmentsPayload, files: UploadedFile[]): FakeAttachment[] {
    const named = body?.attachments ?? [];
    return files.map((f) => {
      const entry = named.find((a) => f.field === `files[${a.id}]`);
      return { id: this.snowflake(), filename: entry?.filename ?? f.filename, contentType: f.contentType, data: f.data };
    });
  }

  private store(channelId: string, body: MessageBody | null, files: UploadedFile[] = []): FakeMessage {
    const message: FakeMessage = {
      id: this.snowflake(),
      channelId,
      content: body?.content ?? '',
      embeds: body?.embeds ?? [],
      components: body?.components ?? [],
      attachments: this.attachmentsOf(body, files),
      edits: 0,
    };
    this.messages.set(message.id, message);
    return message;
  }

  private edit(message: FakeMessage, body: MessageBody): void {
    if ('content' in body) message.content = body.content ?? '';
    if ('embeds' in body) message.embeds = body.embeds ?? [];
    if ('components' in body) message.components = body.components ?? [];
    message.edits++;
  }

  private apiMessage(m: FakeMessage): APIMessage {
    return {
      id: m.id,
      channel_id: this.channelOf(m),
      author: this.botUser,
      content: m.content,
      timestamp: '2024-03-04T12:00:00.000Z',
      edited_timestamp: m.edits ? '2024-03-04T12:00:01.000Z' : null,
      tts: false,
      mention_everyone: false,
      mentions: [],
      mention_roles: [],
      attachments: m.attachments.map((a) => ({
        id: a.id,
        filename: a.filename,
        size: a.data.length,
        content_type: a.contentType,
        url: `https://cdn.discordapp.com/attachments/${m.channelId}/${a.id}/${a.filename}`,
        proxy_url: `https://media.discordapp.net/attachments/${m.channelId}/${a.id}/${a.filename}`,
      })),
      embeds: m.embeds,
      pinned: false,
      type: MessageType.Default,
      components: m.components,
      flags: 0 as MessageFlags,
    };
  }

  private snowflake(): string {
    return (1_500_000_000_000_000_000n + this.nextId++).toString();
  }

  private changed(): void {
    this.changes.emit('change');
  }
}

/** A multipart/form-data body as Discord reads it: the JSON of `payload_json`, and every file part. */
async function parseMultipart(bytes: Buffer, contentType: string): Promise<{ body: unknown; files: UploadedFile[] }> {
  const form = await new Response(bytes, { headers: { 'content-type': contentType } }).formData();
  let body: unknown = null;
  const files: UploadedFile[] = [];
  for (const [field, value] of form.entries()) {
    if (typeof value === 'string') {
      if (field === 'payload_json') body = JSON.parse(value);
      continue;
    }
    files.push({ field, filename: value.name, contentType: value.type, data: Buffer.from(await value.arrayBuffer()) });
  }
  return { body, files };
}

export async function startFakeDiscord(options: { heartbeatInterval?: number } = {}): Promise<FakeDiscord> {
  return new FakeDiscord(options.heartbeatInterval ?? 1_000).listen();
}

export const buttonIds = (m: FakeMessage): string[] => m.components.flatMap((row) => row.components.map((c) => ('custom_id' in c ? c.custom_id : '')));
