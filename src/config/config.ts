/**
 * The one reader of the environment and of config/council.yaml. Everything is validated with zod at
 * startup; a bad config names every wrong key and why (ConfigError), never a stack trace.
 */
import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { UserFacingError } from '../domain/errors.ts';

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const DEFAULT_CONFIG_FILE = resolve(projectRoot, 'config/council.yaml');
export const BUNDLED_BARS_DIR = resolve(projectRoot, 'market-data/bars');

const AccountId = z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'an upper-case account id like CHATGPT');
const Ticker = z.string().regex(/^[A-Z]{1,6}$/, 'a ticker like SPY');
const Hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time like 09:00');

export const STRATEGIES = ['momentum', 'mean-reversion', 'trend', 'regime', 'low-vol-carry'] as const;

const Seat = z.strictObject({
  id: AccountId,
  model: z.string().min(1),
  account: AccountId,
  strategy: z.enum(STRATEGIES),
});

/** How LLM seats call the router (used only when LLM_API_KEY is set). Prices are USD per million tokens. */
export const LlmSettings = z.strictObject({
  timeoutMs: z.number().int().positive().default(90_000),
  stageDeadlineMs: z.number().int().positive().default(240_000),
  retries: z.number().int().min(0).max(5).default(2),
  maxRetryAfterMs: z.number().int().min(0).default(10_000),
  budgetUsd: z.number().positive().default(2),
  /** Not sent when null: some reasoning models accept only their default. */
  temperature: z.number().min(0).max(2).nullable().default(null),
  cache: z.boolean().default(true),
  models: z
    .record(
      z.string().min(1),
      z.strictObject({
        inputPerMTok: z.number().min(0),
        outputPerMTok: z.number().min(0),
        output: z.enum(['json_schema', 'json_object']).default('json_schema'),
      }),
    )
    .default({}),
});
export type LlmSettings = z.infer<typeof LlmSettings>;

export const CouncilFile = z.strictObject({
  council: z.string().regex(/^[a-z0-9-]+$/),
  universe: z.array(Ticker).min(1).max(20),
  seats: z.array(Seat).min(3).max(8),
  chairman: z.strictObject({
    id: AccountId,
    model: z.string().min(1),
    account: AccountId,
    fallbackModels: z.array(z.string().min(1)).default([]),
  }),
  research: z
    .strictObject({
      /** A model id, or `{ model, online: true }` for a web-searching model (it must cite dated sources). */
      models: z
        .array(z.union([z.string().min(1), z.strictObject({ model: z.string().min(1), online: z.boolean() })]))
        .min(1)
        .max(3),
    })
    .transform((r) => ({
      models: r.models.map((m) => (typeof m === 'string' ? m : m.model)),
      /** The models marked `online: true`. */
      online: r.models.flatMap((m) => (typeof m !== 'string' && m.online ? [m.model] : [])),
    })),
  risk: z.strictObject({
    startingCash: z.number().positive(),
    maxPositionPct: z.number().gt(0).max(1),
    maxGrossPct: z.number().gt(0).max(2),
    allowShorts: z.boolean(),
    minConviction: z.number().min(0).max(2),
    /** `risk`: shares from the loss at the stop (riskPerTradePct); `weight`: a fraction of equity by conviction. */
    sizing: z.enum(['risk', 'weight']).default('risk'),
    /** The loss at the stop at |conviction| 2, as a fraction of equity (`risk` sizing). */
    riskPerTradePct: z.number().gt(0).max(0.1).default(0.01),
    /** The furthest a stop may be from the last close, as a fraction of it. */
    maxStopPct: z.number().gt(0).max(0.5).default(0.1),
  }),
  broker: z.strictObject({
    slippageBps: z.number().min(0).max(100),
    feePerShare: z.number().min(0),
    minFee: z.number().min(0),
    /** Idle cash earns the 3-month T-bill rate (market-data/rates) in the simulated broker; Alpaca paper pays none. */
    cashInterest: z.boolean().default(false),
  }),
  schedule: z.strictObject({
    timezone: z.string().min(1),
    weekly: z.string().min(9),
    checkpoints: z.array(Hhmm).min(1).max(8),
    postmortem: z.string().min(9),
    /** A slot claimed by a process that stops renewing it is free again after this long. */
    leaseSeconds: z.number().int().min(5).max(3600).default(120),
    /** Slots that passed unrun (downtime, a dead process): run the latest of each job, all, or none. */
    missed: z
      .strictObject({ policy: z.enum(['run-latest', 'run-all', 'skip']).default('run-latest'), graceMinutes: z.number().int().min(1).max(10_080).default(240) })
      .prefault({}),
  }),
  /** Exits (horizon, invalidation, kill switch) only reduce risk: they run without approval unless this says so. */
  exits: z.strictObject({ requireApproval: z.boolean().default(false) }).prefault({}),
  approvers: z.array(z.string().regex(/^(slack|discord|cli):\S+$/)).default([]),
  llm: LlmSettings.prefault({}),
});
export type CouncilFile = z.infer<typeof CouncilFile>;

const emptyToUndefined = (v: unknown) => (v === '' ? undefined : v);
const opt = (schema: z.ZodType<string>) => z.preprocess(emptyToUndefined, schema.optional());
const url = opt(z.url());
const bool = (dflt: boolean) =>
  z.preprocess(
    emptyToUndefined,
    z
      .enum(['true', 'false', '1', '0'])
      .optional()
      .transform((v) => (v === undefined ? dflt : v === 'true' || v === '1')),
  );

const EnvSchema = z.object({
  DATABASE_URL: url,
  COUNCIL_DATA_DIR: opt(z.string()),
  MARKET_DATA_DIR: opt(z.string()),
  LLM_API_KEY: opt(z.string()),
  REQUESTY_API_KEY: opt(z.string()),
  LLM_BASE_URL: url,
  ALPACA_PAPER: bool(true),
  ALPACA_API_URL: url,
  ALPACA_DATA_URL: url,
  ALPACA_DATA_FEED: z.preprocess(emptyToUndefined, z.enum(['iex', 'sip', 'boats', 'otc']).default('iex')),
  SLACK_BOT_TOKEN: opt(z.string().startsWith('xoxb-', 'a bot token starting with xoxb-')),
  SLACK_SIGNING_SECRET: opt(z.string()),
  SLACK_APP_TOKEN: opt(z.string().startsWith('xapp-', 'an app-level token starting with xapp-')),
  SLACK_CHANNEL_ID: opt(z.string()),
  SLACK_PORT: z.preprocess(emptyToUndefined, z.coerce.number().int().min(0).max(65535).default(3000)),
  SLACK_API_URL: url,
  DISCORD_TOKEN: opt(z.string()),
  DISCORD_APPLICATION_ID: opt(z.string()),
  DISCORD_GUILD_ID: opt(z.string()),
  DISCORD_CHANNEL_ID: opt(z.string()),
  DISCORD_API_URL: url,
  DISCORD_APPROVER_ROLE_ID: opt(z.string()),
  COUNCIL_APPROVERS: opt(
    z.string().regex(/^\s*((slack|discord|cli):[^,\s]+)(\s*,\s*(slack|discord|cli):[^,\s]+)*\s*$/, {
      message: 'a comma list like slack:U0123,discord:4567',
    }),
  ),
  COUNCIL_CONFIG: opt(z.string()),
  COUNCIL_HTTP_PORT: z.preprocess(emptyToUndefined, z.coerce.number().int().min(0).max(65535).default(8080)),
  COUNCIL_HTTP_HOST: z.preprocess(emptyToUndefined, z.string().min(1).default('127.0.0.1')),
  COUNCIL_WEB_SECRET: opt(z.string().min(32, 'at least 32 characters (e.g. openssl rand -hex 32)')),
  COUNCIL_WEB_URL: url,
  COUNCIL_CRASH_AT: opt(z.string()),
  LOG_LEVEL: z.preprocess(emptyToUndefined, z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info')),
  LOG_FORMAT: z.preprocess(emptyToUndefined, z.enum(['pretty', 'json']).optional()),
});

export interface AlpacaKeys {
  keyId: string;
  secret: string;
}

export interface Config {
  file: CouncilFile;
  configPath: string;
  databaseUrl: string | undefined;
  dataDir: string;
  marketDataDir: string;
  llm: { apiKey: string; baseUrl: string } | undefined;
  alpaca: {
    paper: boolean;
    apiUrl: string | undefined;
    dataUrl: string | undefined;
    accounts: Record<string, AlpacaKeys>;
    dataFeed: 'iex' | 'sip' | 'boats' | 'otc';
    /** Keys for Alpaca market data: the first account's, when some account trades on Alpaca and MARKET_DATA_DIR is unset. */
    dataKeys: AlpacaKeys | undefined;
  };
  slack:
    | {
        botToken: string;
        signingSecret: string | undefined;
        appToken: string | undefined;
        channelId: string | undefined;
        port: number;
        apiUrl: string | undefined;
      }
    | undefined;
  discord:
    | {
        token: string;
        applicationId: string | undefined;
        guildId: string | undefined;
        channelId: string | undefined;
        apiUrl: string | undefined;
        approverRoleId: string | undefined;
      }
    | undefined;
  approvers: string[];
  /** The operations listener of `council serve` (/healthz, /readyz, /metrics); port 0 lets the OS choose. */
  http: { host: string; port: number };
  /**
   * The dashboard: the secret that signs sign-in links (unset: one generated and kept in the data folder)
   * and the address people open (unset: http://COUNCIL_HTTP_HOST:COUNCIL_HTTP_PORT); https there marks cookies Secure.
   */
  web: { secret: string | undefined; url: string | undefined };
  logLevel: string;
  /** Forced log format; unset: pretty on a TTY, JSON otherwise (decided where the logger is made). */
  logFormat: 'pretty' | 'json' | undefined;
  /** The .env file read at start, when there was one. */
  dotenvPath: string | undefined;
  /** Test-only fault injection: the pipeline point at which the process kills itself. */
  crashAt: string | undefined;
  /** Every account that trades: the seats' plus the council's. */
  accounts: string[];
}

export class ConfigError extends UserFacingError {
  readonly problems: string[];
  readonly code = 'CONFIG';
  constructor(problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.problems = problems;
    this.name = 'ConfigError';
  }
}

const issuesOf = (prefix: string, error: z.ZodError): string[] =>
  error.issues.map((i) => {
    const path = i.path.length ? i.path.join('.') : '(root)';
    return `${prefix}${path}: ${i.message}`;
  });

export const DEFAULT_LLM_BASE_URL = 'https://router.requesty.ai/v1';

/**
 * `env` as validated: with `dotenv`, the `.env` file in `cwd` underneath it (a variable set in the
 * environment wins over the file). A bad value is named with where it came from (`env X` or `.env X`).
 */
export function loadConfig(env: Record<string, string | undefined> = process.env, overrides: { cwd?: string; dotenv?: boolean } = {}): Config {
  const cwd = overrides.cwd ?? process.cwd();
  const problems: string[] = [];
  let dotenvPath: string | undefined;
  let fromFile = new Set<string>();
  if (overrides.dotenv) {
    const dotenv = readDotEnv(resolve(cwd, '.env'));
    problems.push(...dotenv.problems);
    if (dotenv.values) {
      dotenvPath = dotenv.path;
      fromFile = new Set(Object.keys(dotenv.values).filter((key) => env[key] === undefined));
      env = { ...dotenv.values, ...env };
    }
  }
  const parsedEnv = EnvSchema.safeParse(env);
  if (!parsedEnv.success)
    for (const issue of parsedEnv.error.issues) {
      const key = String(issue.path[0] ?? '(root)');
      problems.push(`${fromFile.has(key) ? `${dotenvPath} ` : 'env '}${issue.path.join('.') || key}: ${issue.message}`);
    }

  const configPath = env.COUNCIL_CONFIG ? resolve(cwd, env.COUNCIL_CONFIG) : DEFAULT_CONFIG_FILE;
  let file: CouncilFile | undefined;
  try {
    const raw: unknown = parseYaml(readFileSync(configPath, 'utf8'));
    const parsed = CouncilFile.safeParse(raw);
    if (parsed.success) {
      file = parsed.data;
      problems.push(...crossChecks(file).map((p) => `${configPath}: ${p}`));
    } else problems.push(...issuesOf(`${configPath}: `, parsed.error));
  } catch (error) {
    problems.push(`${configPath}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
  }

  if (parsedEnv.success && file) {
    const accounts = [...new Set([...file.seats.map((s) => s.account), file.chairman.account])];
    const e = parsedEnv.data;
    const alpacaAccounts: Record<string, AlpacaKeys> = {};
    for (const account of accounts) {
      const keyId = env[`ALPACA_${account}_KEY_ID`];
      const secret = env[`ALPACA_${account}_SECRET`];
      if (keyId && secret) alpacaAccounts[account] = { keyId, secret };
      else if (keyId || secret) problems.push(`env ALPACA_${account}_${keyId ? 'SECRET' : 'KEY_ID'}: missing (the other half is set)`);
    }
    if (e.SLACK_BOT_TOKEN && !e.SLACK_SIGNING_SECRET && !e.SLACK_APP_TOKEN)
      problems.push('env SLACK_SIGNING_SECRET: required with SLACK_BOT_TOKEN unless SLACK_APP_TOKEN (Socket Mode) is set');
    if (problems.length === 0) {
      const apiKey = e.LLM_API_KEY ?? e.REQUESTY_API_KEY;
      const approvers = [
        ...file.approvers,
        ...(e.COUNCIL_APPROVERS ?? '')
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      ];
      return {
        file,
        configPath,
        databaseUrl: e.DATABASE_URL,
        dataDir: resolve(cwd, e.COUNCIL_DATA_DIR ?? 'data'),
        marketDataDir: e.MARKET_DATA_DIR ? resolve(cwd, e.MARKET_DATA_DIR) : BUNDLED_BARS_DIR,
        llm: apiKey ? { apiKey, baseUrl: e.LLM_BASE_URL ?? DEFAULT_LLM_BASE_URL } : undefined,
        alpaca: {
          paper: e.ALPACA_PAPER,
          apiUrl: e.ALPACA_API_URL,
          dataUrl: e.ALPACA_DATA_URL,
          accounts: alpacaAccounts,
          dataFeed: e.ALPACA_DATA_FEED,
          // Live paper accounts trade on live prices; a MARKET_DATA_DIR replay is an explicit choice.
          dataKeys: e.MARKET_DATA_DIR ? undefined : Object.values(alpacaAccounts)[0],
        },
        slack: e.SLACK_BOT_TOKEN
          ? {
              botToken: e.SLACK_BOT_TOKEN,
              signingSecret: e.SLACK_SIGNING_SECRET,
              appToken: e.SLACK_APP_TOKEN,
              channelId: e.SLACK_CHANNEL_ID,
              port: e.SLACK_PORT,
              apiUrl: e.SLACK_API_URL,
            }
          : undefined,
        discord: e.DISCORD_TOKEN
          ? {
              token: e.DISCORD_TOKEN,
              applicationId: e.DISCORD_APPLICATION_ID,
              guildId: e.DISCORD_GUILD_ID,
              channelId: e.DISCORD_CHANNEL_ID,
              apiUrl: e.DISCORD_API_URL,
              approverRoleId: e.DISCORD_APPROVER_ROLE_ID,
            }
          : undefined,
        approvers: [...new Set(approvers)],
        http: { host: e.COUNCIL_HTTP_HOST, port: e.COUNCIL_HTTP_PORT },
        web: { secret: e.COUNCIL_WEB_SECRET, url: e.COUNCIL_WEB_URL },
        logLevel: e.LOG_LEVEL,
        logFormat: e.LOG_FORMAT,
        dotenvPath,
        crashAt: e.COUNCIL_CRASH_AT,
        accounts,
      };
    }
  }
  throw new ConfigError(problems);
}

const DOTENV_LINE = /^\s*(export\s+)?[A-Za-z_][A-Za-z0-9_]*\s*=/;

/**
 * The `.env` file: absent is fine; Node's own parser (util.parseEnv) reads it, after a stricter check
 * than Node's, which silently glues a line without `=` onto the next one.
 */
function readDotEnv(path: string): { path: string; values?: Record<string, string>; problems: string[] } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return { path, problems: [] };
    return { path, problems: [`${path}: ${(error as Error).message}`] };
  }
  const problems: string[] = [];
  let openQuote: string | undefined;
  text.split(/\r?\n/).forEach((line, i) => {
    if (openQuote) {
      if (line.includes(openQuote)) openQuote = undefined;
      return;
    }
    if (/^\s*(#.*)?$/.test(line)) return;
    if (!DOTENV_LINE.test(line)) {
      problems.push(`${path} line ${i + 1}: not KEY=VALUE`);
      return;
    }
    const value = line.slice(line.indexOf('=') + 1).trimStart();
    const quote = value[0];
    if ((quote === '"' || quote === "'" || quote === '`') && !value.slice(1).includes(quote)) openQuote = quote;
  });
  if (openQuote) problems.push(`${path}: a quoted value is never closed`);
  return { path, values: problems.length ? undefined : (parseEnv(text) as Record<string, string>), problems };
}

function crossChecks(file: CouncilFile): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  file.seats.forEach((seat, i) => {
    if (seen.has(seat.id)) problems.push(`seats.${i}.id: duplicate seat ${seat.id}`);
    seen.add(seat.id);
  });
  const accounts = file.seats.map((s) => s.account);
  accounts.forEach((a, i) => {
    if (accounts.indexOf(a) !== i) problems.push(`seats.${i}.account: ${a} already trades for another seat`);
  });
  if (accounts.includes(file.chairman.account)) problems.push(`chairman.account: ${file.chairman.account} is also a seat's account`);
  if (new Set(file.universe).size !== file.universe.length) problems.push('universe: duplicate symbols');
  if (file.risk.maxPositionPct > file.risk.maxGrossPct) problems.push('risk.maxPositionPct: larger than risk.maxGrossPct');
  return problems;
}

/** The settings with every secret replaced, for `status` and logs. */
export function describeConfig(config: Config): Record<string, unknown> {
  return {
    configPath: config.configPath,
    database: config.databaseUrl ? 'postgres' : `pglite:${config.dataDir}`,
    marketData: config.marketDataDir,
    llm: config.llm ? { baseUrl: config.llm.baseUrl } : 'builtin systematic seats',
    slack: config.slack ? (config.slack.appToken ? 'socket mode' : `http :${config.slack.port}`) : 'off',
    discord: config.discord ? 'gateway' : 'off',
    alpaca: Object.keys(config.alpaca.accounts),
  };
}
