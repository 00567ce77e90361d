/**
 * `council doctor`, and the check `council serve` runs before it takes work: every configured part is
 * asked, once, whether it answers (the database, market data, the calendar, each LLM model id through
 * the router, each Alpaca account's keys, the Slack and Discord tokens). One line per part, with what to
 * fix. Errors name the endpoint and the real cause (the SDKs' wrappers unwrapped), never a secret.
 */
import { z } from 'zod';
import type { CouncilApp } from './app/index.ts';
import type { Config } from './config/config.ts';
import { addDays, nyDate } from './market/time.ts';

export { brokerSummary };
import { brokerSummary } from './brokers/summary.ts';
import { explainError, redact } from './explain.ts';
import { DatabaseInUseError } from './store/database.ts';

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

export interface DoctorCheck {
  part: string;
  status: CheckStatus;
  /** What was found (ok) or what is wrong. */
  detail: string;
  /** What to change, when something is wrong. */
  fix?: string;
}

export interface DoctorReport {
  /** false when some part failed: `serve` refuses to start, `doctor` exits non-zero. */
  ok: boolean;
  checks: DoctorCheck[];
}

export interface DoctorDeps {
  config: Config;
  /** The built app (database, market data, calendar); undefined when building it failed with `appError`. */
  app: CouncilApp | undefined;
  appError?: unknown;
  clock?: () => Date;
  /** Per check; a part that does not answer in time fails. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/** Every secret the config holds, for redaction. */
export function secretsOf(config: Config): string[] {
  return [
    config.llm?.apiKey,
    ...Object.values(config.alpaca.accounts).flatMap((k) => [k.keyId, k.secret]),
    config.slack?.botToken,
    config.slack?.signingSecret,
    config.slack?.appToken,
    config.discord?.token,
    config.databaseUrl ? passwordOf(config.databaseUrl) : undefined,
  ].filter((s): s is string => typeof s === 'string' && s.length > 0);
}

function passwordOf(url: string): string | undefined {
  try {
    return decodeURIComponent(new URL(url).password) || undefined;
  } catch {
    return undefined;
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The model ids the council sends to the router (builtin ones make no calls). */
export function llmModels(config: Config): string[] {
  const f = config.file;
  const models = [...f.seats.map((s) => s.model), f.chairman.model, ...f.chairman.fallbackModels, ...f.research.models];
  return [...new Set(models.filter((m) => !m.startsWith('builtin:')))];
}

export async function runDoctor(deps: DoctorDeps): Promise<DoctorReport> {
  const { config, app } = deps;
  const clock = deps.clock ?? (() => new Date());
  const timeoutMs = deps.timeoutMs ?? 10_000;
  const secrets = secretsOf(config);
  const why = (error: unknown) => explainError(error, secrets);
  const doFetch = deps.fetch ?? fetch;
  const checks: Promise<DoctorCheck | DoctorCheck[]>[] = [];

  // The database, market data and calendar come with the app; without it, say why once.
  if (!app) {
    const inUse = deps.appError instanceof DatabaseInUseError;
    checks.push(
      Promise.resolve({
        part: 'database',
        status: inUse ? 'warn' : 'fail',
        detail: why(deps.appError),
        fix: inUse
          ? 'run doctor while serve is stopped, or point both at PostgreSQL (DATABASE_URL)'
          : config.databaseUrl
            ? 'check DATABASE_URL (host, port, user, database) and that PostgreSQL runs'
            : `check that ${config.dataDir} is writable`,
      }),
    );
  } else {
    const { database: db, market, calendar } = app.ports;
    const where = db.kind === 'postgres' ? 'postgres (DATABASE_URL)' : `pglite in ${config.dataDir}`;
    checks.push(
      withTimeout(db.query('select 1 as ok'), timeoutMs, where).then(
        (): DoctorCheck => ({ part: 'database', status: 'ok', detail: `${where}: reachable, migrations applied` }),
        (error): DoctorCheck => ({ part: 'database', status: 'fail', detail: `${where}: ${why(error)}`, fix: 'check DATABASE_URL and that PostgreSQL accepts connections' }),
      ),
    );
    const symbol = config.file.universe[0] ?? 'SPY';
    checks.push(
      withTimeout(market.bars({ symbol, asOf: clock(), limit: 1 }), timeoutMs, market.source).then(
        ([bar]): DoctorCheck =>
          bar
            ? { part: 'market data', status: 'ok', detail: `${market.source}: ${symbol} last session ${bar.date}` }
            : {
                part: 'market data',
                status: 'fail',
                detail: `${market.source}: no bars for ${symbol}`,
                fix: 'point MARKET_DATA_DIR at a folder of SYMBOL.csv files, or check the Alpaca data feed',
              },
        (error): DoctorCheck => ({
          part: 'market data',
          status: 'fail',
          detail: `${market.source}${config.alpaca.dataKeys ? ` (${config.alpaca.dataUrl ?? 'https://data.alpaca.markets'})` : ''}: ${why(error)}`,
          fix: config.alpaca.dataKeys ? 'check ALPACA_DATA_URL and the keys of the first Alpaca account, or set MARKET_DATA_DIR' : 'check MARKET_DATA_DIR',
        }),
      ),
    );
    checks.push(
      (async (): Promise<DoctorCheck> => {
        const today = nyDate(clock());
        const until = addDays(today, 365);
        try {
          calendar.nextTradingDay(until);
          calendar.isTradingDay(today);
          return {
            part: 'calendar',
            status: 'ok',
            detail: `trading days known from ${today} to ${until} (next session ${calendar.isTradingDay(today) ? today : calendar.nextTradingDay(today)})`,
          };
        } catch (error) {
          return { part: 'calendar', status: 'fail', detail: why(error), fix: 'the calendar does not cover the coming year: update the bot' };
        }
      })(),
    );
  }

  const brokers = brokerSummary(config);
  checks.push(Promise.resolve({ part: 'brokers', status: brokers.partial ? 'warn' : 'ok', detail: brokers.text, ...(brokers.fix ? { fix: brokers.fix } : {}) }));

  if (config.llm) checks.push(checkLlm(config.llm, llmModels(config), config.configPath, timeoutMs, why));
  else checks.push(Promise.resolve({ part: 'llm', status: 'skip', detail: 'no LLM_API_KEY: builtin systematic seats' }));

  // The Alpaca SDK loads only when some account trades there: serve without Alpaca keys never needs it.
  const alpacaAccounts = Object.entries(config.alpaca.accounts);
  if (alpacaAccounts.length) {
    const { createAlpacaClient, describeError, wire } = await import('./vendors/alpaca.ts');
    for (const [account, keys] of alpacaAccounts) {
      const base = (config.alpaca.apiUrl ?? (config.alpaca.paper ? 'https://paper-api.alpaca.markets' : 'https://api.alpaca.markets')).replace(/\/+$/, '');
      const endpoint = `GET ${base}/v2/account`;
      const client = createAlpacaClient(
        keys,
        { paper: config.alpaca.paper, apiUrl: config.alpaca.apiUrl, dataUrl: config.alpaca.dataUrl },
        { timeoutMs, retry: false, rateLimit: false },
      );
      checks.push(
        wire('GET /v2/account', z.looseObject({ status: z.string(), equity: z.string().optional() }), client.trading.account.getAccountRaw()).then(
          (a): DoctorCheck => ({
            part: `alpaca ${account}`,
            status: a.status === 'ACTIVE' ? 'ok' : 'warn',
            detail: `${endpoint}: account ${a.status}${a.equity ? `, equity ${a.equity}` : ''}`,
          }),
          (error): DoctorCheck => {
            const status = (error as { status?: number }).status;
            return {
              part: `alpaca ${account}`,
              status: 'fail',
              detail: `${endpoint}: ${redact(describeError(error), secrets)}`,
              fix:
                status === 401 || status === 403
                  ? `Alpaca refused the keys: check ALPACA_${account}_KEY_ID and ALPACA_${account}_SECRET (paper keys need ALPACA_PAPER=true)`
                  : `Alpaca is not reachable there: check ALPACA_API_URL (unset for Alpaca's own host) and the network`,
            };
          },
        ),
      );
    }
  }

  if (config.slack) {
    const base = config.slack.apiUrl ?? 'https://slack.com/api/';
    const endpoint = `POST ${new URL('auth.test', base.endsWith('/') ? base : `${base}/`)}`;
    checks.push(
      withTimeout(
        doFetch(new URL('auth.test', base.endsWith('/') ? base : `${base}/`), { method: 'POST', headers: { authorization: `Bearer ${config.slack.botToken}` } }).then(
          async (r) => (await r.json()) as { ok: boolean; error?: string; team?: string; user?: string },
        ),
        timeoutMs,
        endpoint,
      ).then(
        (a): DoctorCheck =>
          a.ok
            ? { part: 'slack', status: 'ok', detail: `${endpoint}: bot ${a.user ?? '?'} in ${a.team ?? '?'}` }
            : {
                part: 'slack',
                status: 'fail',
                detail: `${endpoint}: Slack says ${a.error ?? 'not ok'}`,
                fix: 'check SLACK_BOT_TOKEN (OAuth & Permissions → Bot User OAuth Token) and that the app is installed',
              },
        (error): DoctorCheck => ({ part: 'slack', status: 'fail', detail: `${endpoint}: ${why(error)}`, fix: 'check SLACK_API_URL (unset for Slack itself) and the network' }),
      ),
    );
  }

  if (config.discord) {
    const base = (config.discord.apiUrl ?? 'https://discord.com/api').replace(/\/+$/, '').replace(/\/v\d+$/, '');
    const url = `${base}/v10/users/@me`;
    const endpoint = `GET ${url}`;
    checks.push(
      withTimeout(doFetch(url, { headers: { authorization: `Bot ${config.discord.token}` } }), timeoutMs, endpoint).then(
        async (r): Promise<DoctorCheck> => {
          if (r.ok) {
            const me = (await r.json()) as { username?: string; id?: string };
            return { part: 'discord', status: 'ok', detail: `${endpoint}: bot ${me.username ?? '?'} (${me.id ?? '?'})` };
          }
          return {
            part: 'discord',
            status: 'fail',
            detail: `${endpoint}: HTTP ${r.status}`,
            fix: r.status === 401 ? 'Discord refused DISCORD_TOKEN: reset it under Bot → Reset Token' : 'check DISCORD_API_URL (unset for Discord itself)',
          };
        },
        (error): DoctorCheck => ({ part: 'discord', status: 'fail', detail: `${endpoint}: ${why(error)}`, fix: 'check DISCORD_API_URL and the network' }),
      ),
    );
  }

  const results = (await Promise.all(checks)).flat();
  return { ok: results.every((c) => c.status !== 'fail'), checks: results };
}

/**
 * The router lists its models (GET /models): each configured id must be there. A router without that
 * list is asked for one token from each model instead.
 */
async function checkLlm(llm: { apiKey: string; baseUrl: string }, models: string[], configPath: string, timeoutMs: number, why: (e: unknown) => string): Promise<DoctorCheck[]> {
  // The SDK loads only when an LLM key is configured (this check runs only then).
  const { default: OpenAI } = await import('openai');
  const client = new OpenAI({ baseURL: llm.baseUrl, apiKey: llm.apiKey, maxRetries: 0, timeout: timeoutMs });
  const base = llm.baseUrl.replace(/\/+$/, '');
  const fixUrl = 'check LLM_BASE_URL (unset for the Requesty router) and the network';
  let offered: Set<string> | undefined;
  try {
    const ids: string[] = [];
    for await (const m of client.models.list()) ids.push(m.id);
    offered = new Set(ids);
  } catch (error) {
    const status = (error as { status?: number }).status;
    if (status === 401 || status === 403)
      return [{ part: 'llm router', status: 'fail', detail: `GET ${base}/models: HTTP ${status}: ${why(error)}`, fix: 'the router refused LLM_API_KEY: check the key' }];
    if (status !== 404 && status !== 405) return [{ part: 'llm router', status: 'fail', detail: `GET ${base}/models: ${why(error)}`, fix: fixUrl }];
  }
  if (offered) {
    const list = offered;
    return [
      { part: 'llm router', status: 'ok', detail: `GET ${base}/models: ${list.size} models offered` },
      ...models.map(
        (model): DoctorCheck =>
          list.has(model)
            ? { part: `llm ${model}`, status: 'ok', detail: 'offered by the router' }
            : {
                part: `llm ${model}`,
                status: 'fail',
                detail: `not offered by the router at ${base}`,
                fix: `fix the model id in ${configPath} (seats, chairman, research), or use builtin:<strategy>`,
              },
      ),
    ];
  }
  return Promise.all(
    models.map((model) =>
      client.chat.completions.create({ model, messages: [{ role: 'user', content: 'Reply with OK.' }], max_tokens: 1 }).then(
        (): DoctorCheck => ({ part: `llm ${model}`, status: 'ok', detail: `POST ${base}/chat/completions: answered` }),
        (error): DoctorCheck => ({
          part: `llm ${model}`,
          status: 'fail',
          detail: `POST ${base}/chat/completions: ${why(error)}`,
          fix: (error as { status?: number }).status === 404 || (error as { status?: number }).status === 400 ? 'fix the model id in the council config' : fixUrl,
        }),
      ),
    ),
  );
}

const MARK: Record<CheckStatus, string> = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL', skip: 'skip' };

export function renderDoctor(report: DoctorReport): string {
  const width = Math.max(...report.checks.map((c) => c.part.length), 8);
  const lines = report.checks.map((c) => `${MARK[c.status]}  ${c.part.padEnd(width)}  ${c.detail}${c.fix ? `\n      ${''.padEnd(width)}  fix: ${c.fix}` : ''}`);
  lines.push(report.ok ? 'every required part answers' : `${report.checks.filter((c) => c.status === 'fail').length} part(s) failed`);
  return lines.join('\n');
}

/**
 * `council doctor [--json]`: exit 0 when every configured part answers, 5 when one fails. `build` is the
 * composition root's app builder, passed in by the CLI (the doctor sits below it and must not import it).
 */
export async function doctorCommand(config: Config, json: boolean, build: (config: Config) => Promise<CouncilApp>): Promise<number> {
  let app: CouncilApp | undefined;
  let appError: unknown;
  try {
    app = await build(config);
  } catch (error) {
    appError = error;
  }
  try {
    const report = await runDoctor({ config, app, appError });
    process.stdout.write(json ? `${JSON.stringify(report, null, 2)}\n` : `${renderDoctor(report)}\n`);
    const failed = report.checks.filter((c) => c.status === 'fail').map((c) => c.part);
    if (failed.length) process.stderr.write(`council: doctor: ${failed.length} part(s) failed: ${failed.join(', ')}\n`);
    return report.ok ? 0 : 5;
  } finally {
    await app?.close();
  }
}
