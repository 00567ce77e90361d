/**
 * The Slack channel: a Bolt app in HTTP mode (SLACK_SIGNING_SECRET, SLACK_PORT) or Socket Mode
 * (SLACK_APP_TOKEN), with the same listeners and the same notice sink either way.
 */
import { App as BoltApp, HTTPReceiver, SocketModeReceiver, webApi } from '@slack/bolt';
import type { AddressInfo } from 'node:net';
import type { CouncilApp } from '../../app/index.ts';
import type { Config } from '../../config/config.ts';
import type { Logger } from '../../logger.ts';
import { createAppHome } from './app-home.ts';
import { boltLogger } from './bolt-logger.ts';
import { createSeenRequests, type SeenRequests } from '../../store/seen-requests.ts';
import { createRateLimiter, createReadQueue, DEFAULT_RATE_LIMIT, type RateLimitOptions } from '../rate-limit.ts';
import { guardFrontDoor, SLACK_BODY_LIMIT } from './freshness.ts';
import { registerListeners } from './listeners/index.ts';
import { REQUEST_KEY, trustMiddleware, type Workspace } from './listeners/trust.ts';
import { createSlackSink } from './sink.ts';
import { createTasks } from './tasks.ts';

export type SlackConfig = NonNullable<Config['slack']>;

export interface SlackOptions {
  /** Interface the HTTP receiver listens on (all interfaces when unset). */
  host?: string;
  /** Web API retries; a rate-limited call waits the retry-after Slack sends before each retry. */
  retryConfig?: webApi.RetryOptions;
  /** Requests per user (default DEFAULT_RATE_LIMIT); tests give it a clock. */
  rateLimit?: RateLimitOptions;
  /** Requests already acted on (default: the `seen_requests` table of the App's database). */
  seen?: SeenRequests;
}

export interface SlackHandle {
  stop(): Promise<void>;
  /** Whether Slack can reach the bot now (serve's /readyz): in Socket Mode, false from a dropped socket until Slack's hello on the next. */
  connected(): boolean;
  /** The HTTP receiver's port (HTTP mode only). */
  port?: number;
}

/** Enough retries to ride out a rate limit or a short outage, never minutes of silence. */
const DEFAULT_RETRIES: webApi.RetryOptions = { retries: 5, factor: 2, minTimeout: 500, maxTimeout: 30_000 };

export async function startSlack(app: CouncilApp, config: SlackConfig, logger: Logger, options: SlackOptions = {}): Promise<SlackHandle> {
  const log = boltLogger(logger);
  const clientOptions: webApi.WebClientOptions = {
    ...(config.apiUrl ? { slackApiUrl: withApiSuffix(config.apiUrl) } : {}),
    retryConfig: options.retryConfig ?? DEFAULT_RETRIES,
    logger: log,
  };
  const socketMode = config.appToken !== undefined;
  if (!socketMode && !config.signingSecret) throw new Error('Slack HTTP mode needs SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN for Socket Mode)');
  // auth.test, once: it checks the token now (a wrong one fails `serve`, not the first click) and names
  // the installed workspace, the only one whose requests are served. Bolt gets its answer, not a second call.
  const who = await new webApi.WebClient(config.botToken, clientOptions).auth.test();
  const workspace: Workspace = { teamId: who.team_id, enterpriseId: who.enterprise_id || undefined };
  // Socket Mode's receiver built here, as Bolt would from the same options, so its socket's state can be read.
  const socketReceiver = socketMode ? new SocketModeReceiver({ appToken: config.appToken!, logger: log, installerOptions: { clientOptions } }) : undefined;
  let socketUp = false;
  socketReceiver?.client.on('connected', () => {
    socketUp = true;
  });
  for (const down of ['close', 'disconnected', 'reconnecting'])
    socketReceiver?.client.on(down, () => {
      socketUp = false;
    });
  const bolt = new BoltApp({
    token: config.botToken,
    botId: who.bot_id,
    botUserId: who.user_id,
    tokenVerificationEnabled: false,
    logger: log,
    clientOptions,
    deferInitialization: true,
    ...(socketReceiver
      ? { receiver: socketReceiver }
      : {
          receiver: new HTTPReceiver({
            signingSecret: config.signingSecret!,
            logger: log,
            processBeforeResponse: false,
            bodyLimit: SLACK_BODY_LIMIT,
            customPropertiesExtractor: (req) => ({ [REQUEST_KEY]: req.headers['x-slack-signature'] }),
          }),
        }),
  });
  bolt.error(async (error) => {
    logger.error({ err: { code: error.code, message: error.message } }, 'slack: a listener failed');
  });
  await bolt.init();

  const tasks = createTasks(logger);
  const sink = createSlackSink({ client: bolt.client, store: app.ports.store, council: app.councilId, channelId: config.channelId, logger });
  bolt.use(
    trustMiddleware({
      app,
      seen: options.seen ?? createSeenRequests(app.ports.database),
      limiter: createRateLimiter(options.rateLimit ?? DEFAULT_RATE_LIMIT),
      workspace,
      channelId: config.channelId,
      logger,
    }),
  );
  const home = createAppHome({ app, client: bolt.client, tasks, logger });
  registerListeners(bolt, { app, sink, tasks, reads: createReadQueue(), logger, channelId: config.channelId, home });
  const detach = app.addSink(sink);
  const detachHome = app.addSink(home.sink);
  const removeChannel = app.addChannel('slack');

  let port: number | undefined;
  if (socketMode) await bolt.start();
  else {
    const server = await bolt.start({ port: config.port, ...(options.host ? { host: options.host } : {}) });
    guardFrontDoor(server, { signingSecret: config.signingSecret!, onRefused: (status, why) => logger.warn({ status, why }, 'slack: turned a request away') });
    port = (server.address() as AddressInfo).port;
  }
  logger.info({ mode: socketMode ? 'socket' : 'http', port }, 'slack: listening');
  let stopping = false;
  return {
    port,
    connected: () => !stopping && (socketReceiver === undefined || socketUp),
    async stop() {
      stopping = true;
      await bolt.stop();
      await tasks.drain();
      detach();
      detachHome();
      removeChannel();
    },
  };
}

const withApiSuffix = (url: string) => (/\/api\/$/.test(url) ? url : `${url.replace(/\/+$/, '')}/api/`);
