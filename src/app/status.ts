/**
 * The status read model: mode, kill switch, seats, accounts, pending proposals, the last run and the
 * next scheduled slots. Built once, then answered from memory until something is appended, the
 * database's head moves, or STATUS_TTL_MS pass.
 */
import type { AccountView, BrokerKind } from '../brokers/port.ts';
import { brokerSummary } from '../brokers/summary.ts';
import { isHalted, loadRefusals } from '../pipeline/execution.ts';
import { totalUsage } from '../pipeline/run.ts';
import type { Usage } from '../pipeline/seats.ts';
import { foldWeek } from '../pipeline/week.ts';
import { userErrorLine, userErrorText } from '../redact.ts';
import { DatabaseUnavailableError } from '../store/port.ts';
import { appendCount } from '../store/tracked.ts';
import type { AppContext } from './context.ts';
import { type TradingState, tradingState } from './desk.ts';

/** A scheduled slot for `status`, with the last finished run of its job (src/scheduler). */
export interface ScheduledRun {
  job: string;
  at: string;
  lastRun?: { slot: string; outcome: string | null; claimedBy: string; attempts: number; completedAt: string | null; error: string | null } | null;
}

/** How long a status view stands while nothing is appended: broker marks and the schedule move on their own. */
export const STATUS_TTL_MS = 15_000;

export interface StatusView {
  mode: {
    database: string;
    market: string;
    llm: string;
    chat: string[];
    brokers: Record<string, BrokerKind>;
    time: 'simulated' | 'live';
    /** Which accounts are on Alpaca, which simulated, and the data and clock they share; `warning` when mixed. */
    brokerSetup: { summary: string; warning: string | null };
  };
  halted: { halted: boolean; by?: string; at?: string };
  /** Running, paused (no new entries) or halted (everything stopped), with who and when. */
  trading: TradingState;
  seats: { id: string; model: string; kind: string; account: string }[];
  chairman: { models: string[]; account: string };
  accounts: (AccountView & { error?: string })[];
  /** `refusals`: attempts by people who may not act, recorded apart (refusals:<proposalId>). */
  pending: {
    proposalId: string;
    week: string;
    expiresAt: string;
    /** What each account holds once it executes, as the approver is shown (signed; 0 is flat); empty for a proposal planned before targets. */
    targets: { account: string; symbol: string; qty: number }[];
    orders: { account: string; symbol: string; side: string; qty: number }[];
    refusals: number;
  }[];
  lastRun: { week: string; runId: string; outcome: string; proposalId: string | null } | null;
  nextRuns: ScheduledRun[];
  usage: { lastRun: Usage | null };
  asOf: string;
}

/** What status shows besides the application's own state: the chat channels on and the next scheduled slots. */
export interface StatusSources {
  chatChannels(): string[];
  nextRuns(): Promise<ScheduledRun[]>;
}

/** The view and what it was built from; `building` while its build runs, shared by whoever asks meanwhile. */
type StatusCache = { key: string; builtAt: number; view?: StatusView; building?: Promise<StatusView> };

/** A URL as shown to users: scheme, host and path, never a user, password or query string. */
function withoutCredentials(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(an invalid URL)';
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

/**
 * The status read model: built once, then answered from memory (a flood of `/council status` costs
 * next to nothing) until something is appended through this process's store, the database's head
 * moves (PostgreSQL, where other processes write), or STATUS_TTL_MS pass (broker marks and the
 * schedule move without events). A caller's own change is an append, so it always shows at once.
 * Concurrent callers share one build.
 */
export function createStatusReadModel(ctx: AppContext, sources: StatusSources): () => Promise<StatusView> {
  let cache: StatusCache | undefined;

  /** What the status view was built from: appends through this store, and on PostgreSQL the log's head. */
  const statusKey = async (): Promise<string | undefined> => {
    const { store, db } = ctx.deps;
    const appends = appendCount(store);
    if (appends === undefined) return undefined;
    if (db.kind !== 'postgres') return String(appends);
    const [head] = await db.query<{ head: string }>('select coalesce(max(global_position), 0)::text as head from events');
    return `${appends}:${head?.head ?? '0'}`;
  };

  const build = async (): Promise<StatusView> => {
    const { config, broker, store, db, market, clock, council, settings, logger } = ctx.deps;
    const asOf = await clock.markTime();
    const accounts = await Promise.all(
      config.accounts.map(async (account) => {
        try {
          return await broker.account(account, asOf);
        } catch (error) {
          // Without the database no part of the status is true; say that, not six account errors.
          if (error instanceof DatabaseUnavailableError) throw error;
          // An upstream's answer may echo what it was sent (keys included): the user sees its class and an id.
          const text = userErrorText(error, { logger, redact: ctx.redactor }, `status: account ${account}`);
          return { account, broker: broker.kindOf(account), equity: 0, cash: 0, buyingPower: 0, positions: [], openOrders: [], error: userErrorLine(text) };
        }
      }),
    );
    const pending: StatusView['pending'] = [];
    for (const state of await ctx.deps.proposals.list()) {
      if (state.status === 'PENDING')
        pending.push({
          proposalId: state.proposalId,
          week: state.week,
          expiresAt: state.expiresAt,
          targets: (state.targets ?? []).map(({ account, symbol, qty }) => ({ account, symbol, qty })),
          orders: state.orders.map(({ account, symbol, side, qty }) => ({ account, symbol, side, qty })),
          refusals: (await loadRefusals(store, state.proposalId)).length,
        });
    }
    const weeks = await store.streams(`week:${settings.council}:`);
    const lastWeek = weeks
      .map((w) => w.stream)
      .sort()
      .pop();
    const last = lastWeek ? foldWeek(await store.read(lastWeek)) : undefined;
    return {
      mode: {
        database: db.kind === 'postgres' ? 'postgres' : db.kind === 'memory' ? 'memory' : `pglite (${config.dataDir})`,
        market: market.source,
        llm: config.llm ? `router ${withoutCredentials(config.llm.baseUrl)}` : 'builtin systematic seats (no LLM_API_KEY)',
        chat: sources.chatChannels(),
        brokers: Object.fromEntries(config.accounts.map((a) => [a, broker.kindOf(a)])),
        time: clock.mode === 'replay' ? 'simulated' : 'live',
        brokerSetup: (({ text, fix }) => ({ summary: text, warning: fix ?? null }))(brokerSummary(config)),
      },
      halted: await isHalted(store, settings.council),
      trading: await tradingState(ctx),
      seats: council.seats.map((s) => ({ id: s.id, model: s.model, kind: s.kind, account: settings.seatAccounts[s.id] ?? s.id })),
      chairman: { models: council.chairs.map((c) => c.model), account: settings.chairAccount },
      accounts,
      pending,
      lastRun: last?.started
        ? { week: last.started.week, runId: last.started.runId, outcome: last.completed?.outcome ?? 'in progress', proposalId: last.proposal?.proposalId ?? null }
        : null,
      nextRuns: await sources.nextRuns(),
      usage: { lastRun: last ? totalUsage(last) : null },
      asOf: asOf.toISOString(),
    };
  };

  return async () => {
    const key = await statusKey();
    const now = ctx.deps.clock.now().getTime();
    const cached = cache;
    if (key !== undefined && cached?.key === key) {
      if (cached.building) return cached.building;
      if (cached.view && now - cached.builtAt < STATUS_TTL_MS) return cached.view;
    }
    // A copy, frozen: callers share it, and it must not freeze what it was built from (the broker's own objects).
    const building = build().then((view) => deepFreeze(structuredClone(ctx.redactor.value(view))));
    if (key === undefined) return building;
    const entry: StatusCache = { key, builtAt: now, building };
    cache = entry;
    try {
      entry.view = await building;
      return entry.view;
    } catch (error) {
      if (cache === entry) cache = undefined;
      throw error;
    } finally {
      entry.building = undefined;
    }
  };
}
