/**
 * The Discord channel: discord.js over the gateway (no public URL needed). Inbound interactions go
 * through the router to the App's use cases; outbound notices go through the sink as REST calls.
 */
import { Client, Events, GatewayIntentBits } from 'discord.js';
import type { CouncilApp } from '../../app/index.ts';
import type { Config } from '../../config/config.ts';
import { loadProposal } from '../../pipeline/execution.ts';
import type { Logger } from '../../logger.ts';
import { createSeenRequests, type SeenRequests } from '../../store/seen-requests.ts';
import { createRateLimiter, createReadQueue, DEFAULT_RATE_LIMIT, type RateLimitOptions } from '../rate-limit.ts';
import type { HandlerContext } from './interactions/context.ts';
import { routeInteraction } from './interactions/router.ts';
import { createDiscordSink } from './sink.ts';
import { createDiscordThreadBook } from './threads.ts';

export type DiscordConfig = NonNullable<Config['discord']>;

/** discord.js wants the API root without the version ("https://discord.com/api"); accept either. */
export const apiRoot = (url: string | undefined): string | undefined => url?.replace(/\/+$/, '').replace(/\/v\d+$/, '');

export interface DiscordOptions {
  /** Interactions per user (default DEFAULT_RATE_LIMIT); tests give it a clock. */
  rateLimit?: RateLimitOptions;
  /** Interactions already acted on (default: the `seen_requests` table of the App's database). */
  seen?: SeenRequests;
}

export async function startDiscord(
  app: CouncilApp,
  config: DiscordConfig,
  logger: Logger,
  options: DiscordOptions = {},
): Promise<{ stop(): Promise<void> /** Whether the gateway is up now (serve's /readyz): false from a drop until discord.js resumes. */; connected(): boolean }> {
  const log = logger.child({ channel: 'discord' });
  const api = apiRoot(config.apiUrl);
  // Interactions need no gateway intents; Guilds keeps the guild and role caches for approver roles.
  const client = new Client({ intents: [GatewayIntentBits.Guilds], ...(api ? { rest: { api } } : {}) });
  client.on(Events.Error, (error) => log.error({ err: error }, 'discord: client error'));
  client.on(Events.Warn, (message) => log.warn({ message }, 'discord: client warning'));
  client.on(Events.ShardError, (error, shardId) => log.warn({ err: error, shardId }, 'discord: gateway connection error; discord.js reconnects'));
  client.on(Events.ShardResume, (shardId, replayed) => log.info({ shardId, replayed }, 'discord: gateway session resumed'));
  // Shards whose gateway connection is down (dropped, reconnecting or given up), for readiness.
  const down = new Set<number>();
  client.on(Events.ShardReconnecting, (shardId) => down.add(shardId));
  client.on(Events.ShardDisconnect, (_event, shardId) => down.add(shardId));
  client.on(Events.ShardResume, (shardId) => down.delete(shardId));
  client.on(Events.ShardReady, (shardId) => down.delete(shardId));

  const sink = createDiscordSink({
    rest: client.rest,
    threads: createDiscordThreadBook(app.ports.store, app.councilId),
    channelId: config.channelId,
    headerOf: async (week) => {
      const started = (await app.weekState(week)).started;
      return started && { week, runId: started.runId, query: started.query, seats: started.seats.length, requestedBy: started.requestedBy ?? null };
    },
    proposalOf: (id) => loadProposal(app.ports.store, id),
    logger: log,
  });

  const inFlight = new Set<Promise<unknown>>();
  const track = (work: Promise<unknown>) => {
    const settled = work.catch((error: unknown) => log.error({ err: error }, 'discord: background work failed')).finally(() => inFlight.delete(settled));
    inFlight.add(settled);
  };
  const ctx: HandlerContext = {
    app,
    config,
    sink,
    logger: log,
    track,
    seen: options.seen ?? createSeenRequests(app.ports.database),
    limiter: createRateLimiter(options.rateLimit ?? DEFAULT_RATE_LIMIT),
    reads: createReadQueue(),
  };
  let stopping = false;
  client.on(Events.InteractionCreate, (interaction) => {
    if (!stopping) track(routeInteraction(interaction, ctx));
  });

  const ready = new Promise<void>((resolve) => client.once(Events.ClientReady, () => resolve()));
  try {
    await client.login(config.token);
    await ready;
  } catch (error) {
    await client.destroy();
    // discord.js errors name the route, never the token; say what to check.
    throw new Error(`Discord login failed: ${(error as Error).message}. Check DISCORD_TOKEN and DISCORD_API_URL.`);
  }
  const detach = app.addSink(sink);
  const removeChannel = app.addChannel('discord');
  log.info({ user: client.user?.tag, channelId: config.channelId ?? null }, 'discord: connected');

  return {
    connected: () => !stopping && down.size === 0,
    async stop() {
      stopping = true;
      while (inFlight.size) await Promise.all(inFlight);
      detach();
      removeChannel();
      await sink.idle();
      await client.destroy();
    },
  };
}
