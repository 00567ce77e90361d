/**
 * The checkpoint engine. At a checkpoint every open position is judged against the structured rule of
 * the pitch (or council decision) that opened it, with only what was published by then: with daily
 * bars, earlier closes plus the day's open once the session has opened. Each position is posted as
 * hold / watch / invalidated with its P/L so far, and the evaluation is recorded.
 *
 * Exits (horizon expiry, invalidation, kill switch) only reduce risk, so by default they are approved by
 * policy and placed at once; each is a proposal of its own with an id derived from the position's entry,
 * so a position is exited at most once however many checkpoints, replicas or restarts see it.
 */
import type { AccountView, PositionView } from '../brokers/port.ts';
import { decideProposal, foldProposal, type ProposalEvent, type ProposalOrder, type ProposalState } from '../domain/proposal.ts';
import type { Comparator, Condition, Horizon } from '../domain/schemas.ts';
import { clientOrderId, EXIT_PREFIX } from '../domain/sizing.ts';
import type { TradingCalendar } from '../market/calendar.ts';
import { IndicatorsOnDemand, type IndicatorSet } from '../market/indicators.ts';
import { type NewsSource, prepareNews, shareBySymbol } from '../market/news.ts';
import type { MarketData } from '../market/port.ts';
import { buildSnapshot, memoIndicators, SNAPSHOT_LOOKBACK, VIX_SYMBOL } from '../market/snapshot.ts';
import { mondayOf, nyDate, nyDateTime, nyTime } from '../market/time.ts';
import { ConcurrencyError, type EventStore } from '../store/port.ts';
import { eachMoved, listingFilter } from './checkpoint-listing.ts';
import type { CheckpointEvaluation, CheckpointEvent, CheckpointNews, CheckpointResult, TrimLine } from './checkpoint-record.ts';
import {
  alreadyOrdered,
  executeProposal,
  type ExecutionDeps,
  expireProposal,
  isHalted,
  memoByIdentity,
  orderLines,
  proposalsOf,
  recordLegFills,
  syncFills,
  syncLegFillsAndView,
} from './execution.ts';
import type { ConditionCheck, ExitLine, ExitReason, PositionCheck } from './notices.ts';
import type { ConvictionInput, ConvictionUpdater, Council } from './seats.ts';
import { type Recorded, streams } from './streams.ts';
import { foldWeek, type WeekState, weekStream } from './week.ts';

export interface CheckpointDeps extends ExecutionDeps {
  market: MarketData;
  calendar: TradingCalendar;
  accounts: readonly string[];
  /** The schedule's checkpoint times (HH:MM, New York): a horizon ends at the last one of its last session. */
  checkpointTimes: readonly string[];
  requireExitApproval: boolean;
  /** The seats asked for a conviction update on the positions they own (only seats with `convictionUpdate` answer). */
  seats?: Pick<Council, 'seats' | 'chairs'>;
  /** News for the held symbols since the previous checkpoint, added to the reply (absent: no news line). */
  news?: NewsSource;
  /** The risk limits held at every mark: a position or book that drifts past them is trimmed back. */
  limits?: { maxPositionPct: number; maxGrossPct: number };
}

/** A position is trimmed once it is more than this fraction past its limit (5 %: 21 % of equity for a 20 % limit), back to the limit. */
export const TRIM_BAND = 0.05;

export type { CheckpointNews, CheckpointResult, TrimLine } from './checkpoint-record.ts';

/** At most this many news items in one checkpoint reply. */
export const CHECKPOINT_NEWS_CAP = 10;
/** How many of the newest items a checkpoint asks for (one page of Alpaca's news), to share among the held symbols. */
const CHECKPOINT_NEWS_ASKED = 50;

export const checkpointStream = (council: string, week: string) => streams.checkpoint(council, week).name;

/** The exits' approver when policy approves them (they only reduce risk). */
export const EXIT_POLICY = 'policy:exit';

const HORIZON_SESSIONS: Record<Horizon, number> = { '1d': 1, '3d': 3, '1w': 5 };

export async function runCheckpoint(deps: CheckpointDeps, at: Date): Promise<CheckpointResult> {
  const week = mondayOf(nyDate(at));
  const stream = streams.checkpoint(deps.council, week);
  const iso = at.toISOString();
  const evaluatedAt = (events: readonly Recorded<CheckpointEvent>[]) => evaluationAt(events, iso);
  const recorded = await stream.read(deps.store);
  let evaluation = evaluatedAt(recorded);
  const fresh = evaluation === undefined;
  if (!evaluation) {
    const computed = await evaluate(deps, at, week, previousCheckpoint(recorded, at, week));
    let wrote = false;
    const events = await stream.decide(deps.store, (current) => {
      wrote = evaluatedAt(current) === undefined;
      return wrote ? [{ type: 'CheckpointEvaluated', data: computed }] : [];
    });
    // Another process may have evaluated this instant first: its evaluation stands, and it posts.
    evaluation = evaluatedAt(events) ?? computed;
    if (wrote)
      await deps.sink.publish({
        type: 'checkpoint_report',
        week,
        at: evaluation.at,
        halted: evaluation.halted,
        positions: evaluation.positions,
        ...(evaluation.working ? { working: evaluation.working } : {}),
        ...(evaluation.news ? { news: evaluation.news } : {}),
      });
  }
  // Exits are derived from the recorded evaluation, so a process that died between the two still places them.
  const exits: ExitLine[] = [];
  let opened = false;
  for (const check of evaluation.positions) {
    if (!check.exit) continue;
    const exit = await exitPosition(deps, {
      account: check.account,
      symbol: check.symbol,
      qty: check.qty,
      reason: check.exit,
      detail: check.exitDetail ?? check.exit,
      entryProposalId: check.entry?.proposalId ?? null,
      week,
      at,
    });
    opened ||= exit.opened;
    exits.push(exit.line);
  }
  if (opened) await deps.sink.publish({ type: 'exit_report', week, at: evaluation.at, exits, requireApproval: deps.requireExitApproval });
  const trims: TrimLine[] = [];
  for (const trim of evaluation.trims ?? []) trims.push(await placeTrim(deps, trim, week, at));
  return { ...evaluation, exits, trims, fresh };
}

type Evaluation = CheckpointEvaluation;

/**
 * The first evaluation recorded for the instant `iso` (an ISO string), if any. A week's stream holds one
 * per checkpoint so far, and each checkpoint asks twice: a loop, with no list built to find one.
 */
function evaluationAt(events: readonly Recorded<CheckpointEvent>[], iso: string): Evaluation | undefined {
  for (const e of events) if (e.type === 'CheckpointEvaluated' && e.data.at === iso) return e.data;
  return undefined;
}

/** The previous evaluation of the week before `at`, else the week's decision time (Monday 08:00 New York). */
function previousCheckpoint(events: readonly Recorded<CheckpointEvent>[], at: Date, week: string): Date {
  let latest = Number.NEGATIVE_INFINITY;
  for (const e of events) {
    if (e.type !== 'CheckpointEvaluated') continue;
    const t = Date.parse(e.data.at);
    if (t < at.getTime() && t > latest) latest = t;
  }
  if (latest > Number.NEGATIVE_INFINITY) return new Date(latest);
  const monday = nyDateTime(week, '08:00').getTime();
  return new Date(monday < at.getTime() ? monday : at.getTime() - 86_400_000);
}

async function checkpointNews(news: NewsSource, symbols: readonly string[], since: Date, at: Date): Promise<CheckpointNews> {
  if (symbols.length === 0) return { since: since.toISOString(), items: [], error: null };
  try {
    // One page of the newest, then each held symbol its share of the reply: a busy symbol never hides a quiet one's news.
    const items = await news.news({ symbols, start: since, end: at, limit: CHECKPOINT_NEWS_ASKED });
    const fresh = prepareNews(
      items.filter((i) => Date.parse(i.publishedAt) > since.getTime()),
      at,
      Number.POSITIVE_INFINITY,
    );
    return { since: since.toISOString(), items: shareBySymbol(fresh, symbols, CHECKPOINT_NEWS_CAP), error: null };
  } catch (error) {
    return { since: since.toISOString(), items: [], error: (error as Error).message.slice(0, 300) };
  }
}

async function evaluate(deps: CheckpointDeps, at: Date, week: string, since: Date): Promise<Evaluation> {
  const expired = await expireDueProposals(deps, at);
  const proposals = await proposalsOf(deps).list();
  await syncOpenFills(deps, proposals, at);
  // A stop or take-profit that filled since the last checkpoint: the position is already out. The books
  // come with the settle (the poll below reads only the proposals and the pushing brokers' orders).
  const books = await syncLegFillsAndView(deps, deps.accounts, at);
  await pollLegFills(deps, proposals, at);
  const halt = await isHalted(deps.store, deps.council);
  const heldByBook = books.map((b) => heldAfterPending(b));
  const held = books.flatMap((b, i) => (heldByBook[i] as PositionView[]).map((p) => ({ account: b.account, position: p })));
  const entries = latestEntries(deps.store, proposals);
  // Each week's stream is read once per checkpoint, however many of its positions are held.
  const weeks = new Map<string, Promise<WeekState>>();
  const weekOf = (week: string) => {
    let state = weeks.get(week);
    if (!state) {
      state = deps.store.read(weekStream(deps.council, week)).then(foldWeek);
      weeks.set(week, state);
    }
    return state;
  };
  const rules = await Promise.all(held.map(({ account, position }) => ruleOf(weekOf, entries, account, position)));
  const symbols = symbolsAsked(held, rules);
  const market = await pointInTime(deps, symbols, at);
  const judged = held.map(({ account, position }, i) => judge(deps, account, position, rules[i], market, at, halt.halted));
  // A halted council closes everything at once: no model call stands between the kill switch and its exits.
  const positions = halt.halted ? judged : await Promise.all(judged.map((check, i) => withUpdate(deps, check, rules[i], week, at)));
  const heldSymbols = [...new Set(held.map((h) => h.position.symbol))].sort();
  const news = deps.news && !halt.halted ? await checkpointNews(deps.news, heldSymbols, since, at) : undefined;
  const trims = halt.halted || !deps.limits ? [] : books.flatMap((book, i) => trimsOf(book, heldByBook[i] as PositionView[], positions, deps.limits!, at));
  const working = books.reduce((n, b) => n + b.openOrders.filter((o) => o.qty > o.filledQty).length, 0);
  return { week, at: at.toISOString(), halted: halt.halted, positions, expired, trims, working, ...(news ? { news } : {}) };
}

/** The symbols a checkpoint needs indicators of: those held, then those the rules' conditions and monitoring name, each once. */
function symbolsAsked(held: readonly { position: PositionView }[], rules: readonly (Rule | undefined)[]): string[] {
  const symbols = new Set<string>();
  for (const h of held) symbols.add(h.position.symbol);
  for (const r of rules) {
    if (!r) continue;
    for (const c of r.conditions) symbols.add(c.symbol);
    for (const c of r.monitoring) symbols.add(c.symbol);
  }
  return [...symbols];
}

/**
 * The positions a checkpoint judges: what is held, less what orders already working will close at the
 * next open (a rebalance or an exit sent earlier). A live 09:00 checkpoint sees Monday's approved
 * rebalance still waiting for the open; exiting the same shares again would sell them twice. Pending
 * orders that add to or open a position are not counted: a position exists only once it fills.
 */
export function heldAfterPending(book: AccountView): PositionView[] {
  const held: PositionView[] = [];
  // Most books have no working order at a checkpoint: every position counts whole.
  if (book.openOrders.length === 0) {
    for (const p of book.positions) if (p.qty !== 0) held.push(p);
    return held;
  }
  const pending = new Map<string, number>();
  for (const o of book.openOrders) pending.set(o.symbol, (pending.get(o.symbol) ?? 0) + (o.side === 'buy' ? 1 : -1) * (o.qty - o.filledQty));
  for (const p of book.positions) {
    const working = pending.get(p.symbol) ?? 0;
    const qty = Math.sign(working) === -Math.sign(p.qty) ? Math.sign(p.qty) * Math.max(0, Math.abs(p.qty) - Math.abs(working)) : p.qty;
    if (qty === 0) continue;
    held.push(qty === p.qty ? p : { ...p, qty, marketValue: (p.marketValue / p.qty) * qty, unrealizedPl: (p.unrealizedPl / p.qty) * qty });
  }
  return held;
}

/**
 * Limits at every mark: a position worth more than maxPositionPct of equity (past the band) is cut back
 * to it; then, when the book's gross exposure is past maxGrossPct, every remaining position is cut in
 * proportion. Positions exiting at this checkpoint and shares an open exit will close are left out.
 */
function trimsOf(book: AccountView, positions: readonly PositionView[], checks: readonly PositionCheck[], limits: NonNullable<CheckpointDeps['limits']>, at: Date): TrimLine[] {
  if (!(book.equity > 0)) return [];
  const held: { symbol: string; qty: number; price: number }[] = [];
  for (const p of positions) {
    if (checks.some((c) => c.account === book.account && c.symbol === p.symbol && c.exit)) continue;
    const price = Math.abs(p.marketValue / p.qty);
    if (price > 0) held.push({ symbol: p.symbol, qty: p.qty, price });
  }
  const cap = limits.maxPositionPct * book.equity;
  const grossCap = limits.maxGrossPct * book.equity;
  // Most books are within both limits at most marks: answered before any cut is built.
  let within = true;
  let grossBefore = 0;
  for (const p of held) {
    const value = Math.abs(p.qty) * p.price;
    grossBefore += value;
    if (value > cap * (1 + TRIM_BAND)) within = false;
  }
  if (within && !(grossBefore > grossCap * (1 + TRIM_BAND))) return [];
  const cut = new Map<string, { qty: number; limit: TrimLine['limit']; detail: string }>();
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  for (const p of held) {
    const value = Math.abs(p.qty) * p.price;
    if (value <= cap * (1 + TRIM_BAND)) continue;
    const qty = Math.min(Math.abs(p.qty), Math.ceil((value - cap) / p.price));
    cut.set(p.symbol, { qty, limit: 'maxPositionPct', detail: `${p.symbol} is ${pct(value / book.equity)} of equity, past maxPositionPct ${pct(limits.maxPositionPct)}` });
  }
  const after = held.map((p) => ({ ...p, qty: Math.sign(p.qty) * (Math.abs(p.qty) - (cut.get(p.symbol)?.qty ?? 0)) }));
  const gross = after.reduce((s, p) => s + Math.abs(p.qty) * p.price, 0);
  if (gross > grossCap * (1 + TRIM_BAND)) {
    const share = (gross - grossCap) / gross;
    for (const p of after) {
      const qty = Math.min(Math.abs(p.qty), Math.ceil(Math.abs(p.qty) * share));
      if (qty === 0) continue;
      const before = cut.get(p.symbol);
      cut.set(p.symbol, {
        qty: (before?.qty ?? 0) + qty,
        limit: 'maxGrossPct',
        detail: `gross exposure is ${pct(gross / book.equity)} of equity, past maxGrossPct ${pct(limits.maxGrossPct)}${before ? `; ${before.detail}` : ''}`,
      });
    }
  }
  const stamp = `${nyDate(at)}-${nyTime(at).replace(':', '')}`;
  return [...cut.entries()].map(([symbol, c]) => {
    const sign = Math.sign(held.find((p) => p.symbol === symbol)?.qty ?? 1);
    return {
      account: book.account,
      symbol,
      side: sign > 0 ? 'sell' : 'buy',
      qty: c.qty,
      limit: c.limit,
      detail: c.detail,
      proposalId: `${EXIT_PREFIX}trim-${stamp}-${book.account}-${symbol}`.toLowerCase(),
      status: 'placed',
      note: null,
      target: sign * (Math.abs(held.find((p) => p.symbol === symbol)?.qty ?? 0) - c.qty),
    };
  });
}

/**
 * What a trim does to the position's legs: the entry's stop (and take-profit) for the shares left, once the
 * trim filled, so the legs never cover more than is held; all of them canceled first when none is left.
 */
async function trimLegs(deps: CheckpointDeps, trim: TrimLine): Promise<Pick<ProposalOrder, 'replaceLegs' | 'cancelLegs'>> {
  if (trim.target === 0) return { cancelLegs: true };
  const entry = latestEntries(deps.store, await proposalsOf(deps).list()).get(entryKey(trim.account, trim.symbol, trim.target > 0 ? 'buy' : 'sell'));
  const protection = entry?.p.targets?.find((t) => t.account === trim.account && t.symbol === trim.symbol);
  if (protection?.stop === null || protection?.stop === undefined) return {};
  return { replaceLegs: { stopPrice: protection.stop, takeProfitPrice: protection.takeProfit ?? null, qty: trim.target } };
}

/** A trim is placed like an exit: its own proposal (id from the instant, so once), approved by policy, recorded with the limit it restores. */
async function placeTrim(deps: CheckpointDeps, trim: TrimLine, week: string, at: Date): Promise<TrimLine> {
  let state = await proposalsOf(deps).load(trim.proposalId);
  if (!state.exists) {
    const today = nyDate(at);
    const session = deps.calendar.isTradingDay(today) && nyTime(at) < deps.calendar.sessionClose(today) ? today : deps.calendar.nextTradingDay(today);
    const opened: ProposalEvent = {
      type: 'ProposalOpened',
      data: {
        proposalId: trim.proposalId,
        council: deps.council,
        week,
        runId: `trim:${trim.limit}`,
        asOf: at.toISOString(),
        expiresAt: nyDateTime(session, deps.calendar.sessionClose(session)).toISOString(),
        decision: { instrument: trim.symbol, direction: 'FLAT', conviction: 0, horizon: '1d' },
        orders: [
          {
            account: trim.account,
            symbol: trim.symbol,
            side: trim.side,
            qty: trim.qty,
            reason: `trim (${trim.limit}): ${trim.detail}`,
            clamps: [],
            ...(await trimLegs(deps, trim)),
            clientOrderId: clientOrderId(trim.proposalId, trim.account, trim.symbol),
          },
        ],
        // What an approver (when exits need one) is shown, and what the click re-checks the book against.
        targets: [{ account: trim.account, symbol: trim.symbol, qty: trim.target, price: null }],
      },
    };
    try {
      await streams.proposal(trim.proposalId).append(deps.store, 0, [opened]);
      await streams.checkpoint(deps.council, week).decide(deps.store, (events) =>
        events.some((e) => e.type === 'TrimOrdered' && e.data.proposalId === trim.proposalId)
          ? []
          : [
              {
                type: 'TrimOrdered',
                data: {
                  proposalId: trim.proposalId,
                  at: at.toISOString(),
                  account: trim.account,
                  symbol: trim.symbol,
                  side: trim.side,
                  qty: trim.qty,
                  limit: trim.limit,
                  detail: trim.detail,
                },
              },
            ],
      );
    } catch (error) {
      if (!(error instanceof ConcurrencyError)) throw error;
    }
    state = await proposalsOf(deps).load(trim.proposalId);
  }
  if (state.status === 'PENDING' && !deps.requireExitApproval) await approveByPolicy(deps.store, trim.proposalId, at);
  state = await proposalsOf(deps).load(trim.proposalId);
  if (state.status === 'PENDING') return { ...trim, status: 'awaiting_approval', note: `approve with /council approve ${trim.proposalId}` };
  if (state.status !== 'APPROVED' && state.status !== 'EXECUTED') return { ...trim, status: 'failed', note: `trim ${state.status.toLowerCase()}` };
  try {
    await executeProposal(deps, trim.proposalId, at, at);
    return trim;
  } catch (error) {
    return { ...trim, status: 'failed', note: (error as Error).message };
  }
}

// A submitted order recorded as rejected afterwards (a netted exit, canceled) waits for no fill.
const hasOpenOrders = (p: ProposalState) =>
  p.orders.some((o) => p.submitted[o.clientOrderId] && !p.rejectedOrders[o.clientOrderId] && (p.fills[o.clientOrderId]?.qty ?? 0) < o.qty);
// Each listing's pending proposals and those with orders open, tested only where a proposal moved.
const pendingOf = listingFilter((p) => p.status === 'PENDING');
const withOpenOrdersOf = listingFilter(hasOpenOrders);

/** Pending proposals whose time is up are expired (and posted); an approval afterwards is refused by the decider. */
export async function expireDueProposals(deps: ExecutionDeps, at: Date): Promise<string[]> {
  const expired: string[] = [];
  for (const state of pendingOf(await proposalsOf(deps).list()))
    if (state.status === 'PENDING' && Date.parse(state.expiresAt) <= at.getTime() && (await expireProposal(deps, state.proposalId, at))) expired.push(state.proposalId);
  return expired;
}

/** Fills that happened since the last look (an exit placed at 15:50 fills at the next open). */
async function syncOpenFills(deps: ExecutionDeps, proposals: readonly ProposalState[], at: Date): Promise<void> {
  for (const p of withOpenOrdersOf(proposals)) await syncFills(deps, p.proposalId, at);
}

/**
 * The poll at every checkpoint for brokers that push fills (Alpaca): an update missed is caught here. The
 * latest entry of each account, symbol and side, when it carried legs and no leg fill of it is recorded, is
 * looked up and a filled leg recorded (once, however often seen). The simulated broker is settled instead.
 */
async function pollLegFills(deps: CheckpointDeps, proposals: readonly ProposalState[], at: Date): Promise<void> {
  const polled = new Set(deps.accounts.filter((a) => deps.broker.kindOf(a) !== 'simulated'));
  if (polled.size === 0) return;
  const parents = new Map<string, { account: string; clientOrderId: string }>();
  for (const [key, { p }] of latestEntries(deps.store, proposals)) {
    const [account, symbol, side] = key.split('\u0000');
    const o = p.orders.find((x) => x.account === account && x.symbol === symbol && x.side === side);
    if (!o || !polled.has(o.account) || !(o.protect || o.replaceLegs)) continue;
    if (p.fills[`${o.clientOrderId}-sl`] || p.fills[`${o.clientOrderId}-tp`]) continue;
    parents.set(o.clientOrderId, o);
  }
  const found = await Promise.all([...parents.values()].map((o) => deps.broker.findByClientOrderId(o.account, o.clientOrderId).catch(() => undefined)));
  await recordLegFills(
    deps,
    found.filter((o): o is NonNullable<typeof o> => o !== undefined),
    at,
  );
}

interface Rule {
  owner: string;
  origin: ConvictionInput['origin'];
  entry: { proposalId: string; week: string; session: string; price: number };
  direction: string;
  horizon: Horizon;
  rule: string;
  conditions: Condition[];
  monitoring: Condition[];
}

type Entry = { p: ProposalState; filledAt: string; price: number };
const entryKey = (account: string, symbol: string, side: 'buy' | 'sell') => `${account}\u0000${symbol}\u0000${side}`;

/** A proposal's filled entries, by account, symbol and side (exits are not entries). */
const entriesOf = memoByIdentity((p: ProposalState): [string, Entry][] => {
  if (p.proposalId.startsWith(EXIT_PREFIX)) return [];
  const entries: [string, Entry][] = [];
  for (const o of p.orders) {
    const fill = p.fills[o.clientOrderId];
    if (fill) entries.push([entryKey(o.account, o.symbol, o.side), { p, filledAt: fill.filledAt, price: fill.price }]);
  }
  // An exit the approval cancelled out (nothing traded): the position is held on for this proposal, under
  // its rule from the approval on, at the price its target was sized at.
  for (const n of p.netted) {
    if (n.into !== null || !p.approvedBy) continue;
    const at = new Date(p.approvedBy.at);
    const target = p.targets?.find((t) => t.account === n.account && t.symbol === n.symbol);
    if (target?.price) entries.push([entryKey(n.account, n.symbol, n.side === 'sell' ? 'buy' : 'sell'), { p, filledAt: `${nyDate(at)}T${nyTime(at)}`, price: target.price }]);
  }
  return entries;
});

const later = (a: Entry, b: Entry) => a.filledAt > b.filledAt || (a.filledAt === b.filledAt && a.p.proposalId < b.p.proposalId);
/** Per store: the proposal states folded in, the answer, and the listing it answered (loadProposals keeps an unchanged listing's array). */
const entryBooks = new WeakMap<EventStore, { counted: WeakSet<ProposalState>; latest: ReadonlyMap<string, Entry>; listing: readonly ProposalState[] }>();

/**
 * The latest entry fill of each account, symbol and side across the proposals (the earlier proposal on
 * a tie). Fills are only ever added, so only proposals whose state is new since the last answer are
 * folded in (found by walking the listing beside the last one, checkpoint-listing.ts), and the listing
 * the last answer came from (the same array while no proposal moved) is answered at once: a backtest's
 * checkpoints ask thousands of times over a thousand proposals.
 */
function latestEntries(store: EventStore, proposals: readonly ProposalState[]): ReadonlyMap<string, Entry> {
  const book = entryBooks.get(store);
  if (book?.listing === proposals) return book.latest;
  const counted = book?.counted ?? new WeakSet<ProposalState>();
  let latest = book?.latest;
  // Every state of the last listing was folded in when it was answered: only the others are looked at.
  eachMoved(book?.listing ?? [], proposals, (p) => {
    if (counted.has(p)) return;
    counted.add(p);
    for (const [key, entry] of entriesOf(p)) {
      const best = latest?.get(key);
      if (best && !later(entry, best)) continue;
      // Copied on the first change only: an answer already given stays as it was.
      if (latest === book?.latest) latest = new Map(latest);
      (latest as Map<string, Entry>).set(key, entry);
    }
  });
  const answer = latest ?? new Map<string, Entry>();
  entryBooks.set(store, { counted, latest: answer, listing: proposals });
  return answer;
}

// The rule of an entry for an account, per week state (folds are kept while the week's events are the same):
// a position is judged at every checkpoint it is held, under the same rule.
const rulesByWeek = new WeakMap<WeekState, WeakMap<Entry, Map<string, Rule | undefined>>>();

/** The rule of the position's entry: the pitch of the seat that owns the account, or the council's decision. */
async function ruleOf(weekOf: (week: string) => Promise<WeekState>, entries: ReadonlyMap<string, Entry>, account: string, position: PositionView): Promise<Rule | undefined> {
  const best = entries.get(entryKey(account, position.symbol, position.qty > 0 ? 'buy' : 'sell'));
  if (!best) return undefined;
  const state = await weekOf(best.p.week);
  let byEntry = rulesByWeek.get(state);
  if (!byEntry) {
    byEntry = new WeakMap();
    rulesByWeek.set(state, byEntry);
  }
  let byAccount = byEntry.get(best);
  if (!byAccount) {
    byAccount = new Map();
    byEntry.set(best, byAccount);
  }
  if (byAccount.has(account)) return byAccount.get(account);
  const rule = ruleIn(state, best, account);
  byAccount.set(account, rule);
  return rule;
}

function ruleIn(state: WeekState, best: Entry, account: string): Rule | undefined {
  const entry = { proposalId: best.p.proposalId, week: best.p.week, session: sessionOf(best.filledAt), price: best.price };
  if (state.started?.chair.account === account && state.decision) {
    const d = state.decision.decision;
    return {
      owner: 'council',
      origin: { kind: 'decision', decision: d },
      entry,
      direction: d.direction,
      horizon: d.horizon,
      rule: d.invalidation.rule,
      conditions: d.invalidation.conditions,
      monitoring: d.monitoring.indicators,
    };
  }
  const seat = state.started?.seats.find((s) => s.account === account);
  const pitch = seat ? state.pitches.get(seat.id)?.pitch : undefined;
  if (!seat || !pitch) return undefined;
  return {
    owner: seat.id,
    origin: { kind: 'pitch', pitch },
    entry,
    direction: pitch.direction,
    horizon: pitch.horizon,
    rule: pitch.invalidation.rule,
    conditions: pitch.invalidation.conditions,
    monitoring: [],
  };
}

/** Simulated fills carry a New York wall time without a zone; brokers send ISO instants. */
const sessionOf = (filledAt: string): string => (/(Z|[+-]\d\d:\d\d)$/.test(filledAt) ? nyDate(new Date(filledAt)) : filledAt.slice(0, 10));

interface PointInTime {
  values: Record<string, IndicatorSet | null>;
  vix: number | null;
  /** What the latest price is: the last close, or today's open once the session has opened. */
  mark: { kind: 'close' | 'open'; session: string };
  problems: Record<string, string>;
}

/**
 * Indicators as a trader could know them at `at`: buildSnapshot gives them at the last close; after the
 * day's 09:30 open, the open stands in as today's provisional close, the only intraday print daily bars hold.
 */
async function pointInTime(deps: CheckpointDeps, symbols: readonly string[], at: Date): Promise<PointInTime> {
  const today = nyDate(at);
  const intraday = deps.calendar.isTradingDay(today) && nyTime(at) >= '09:30' && nyTime(at) < deps.calendar.sessionClose(today);
  const out: PointInTime = { values: {}, vix: null, mark: { kind: intraday ? 'open' : 'close', session: today }, problems: {} };
  await Promise.all(
    symbols.map(async (symbol) => {
      try {
        // Read by name only (judge, the mark): each indicator is worked out when a rule first reads it.
        const snapshot = await buildSnapshot(deps.market, [symbol], at, deps.calendar, { onDemand: true });
        if (!intraday) out.mark.session = snapshot.lastSession;
        out.vix = snapshot.vix;
        out.values[symbol] = snapshot.symbols[symbol] ?? null;
        if (!intraday) return;
        const open = await deps.market.sessionOpen(symbol, today, at);
        if (open === undefined) throw new Error(`no ${today} open for ${symbol}`);
        const memo = memoIndicators(deps.market, `${symbol}|${snapshot.lastSession}|open ${today} ${open}`);
        if (memo.value) {
          out.values[symbol] = memo.value;
          return;
        }
        const bars = await deps.market.bars({ symbol, asOf: at, to: snapshot.lastSession, limit: SNAPSHOT_LOOKBACK - 1 });
        // concat sizes the new list at once (a spread grows it step by step: ~70 MB over ten years).
        out.values[symbol] = memo.set(new IndicatorsOnDemand(bars.concat([{ date: today, open, high: open, low: open, close: open, volume: 0 }])));
      } catch (error) {
        out.values[symbol] ??= null;
        out.problems[symbol] = (error as Error).message;
      }
    }),
  );
  if (intraday) out.vix = (await deps.market.sessionOpen(VIX_SYMBOL, today, at).catch(() => undefined)) ?? out.vix;
  return out;
}

const compare = (value: number, c: Comparator, threshold: number): boolean =>
  c === '>' ? value > threshold : c === '>=' ? value >= threshold : c === '<' ? value < threshold : value <= threshold;

/** Within 5% of the threshold (at least 0.005, for returns near zero): worth watching. */
const isNear = (value: number, threshold: number) => Math.abs(value - threshold) <= Math.max(0.05 * Math.abs(threshold), 0.005);

function check(condition: Condition, market: PointInTime): ConditionCheck {
  const value = condition.indicator === 'vix' ? market.vix : (market.values[condition.symbol]?.[condition.indicator] ?? null);
  if (value === null) return { condition, value: null, holds: false, near: false };
  return { condition, value: round(value, 4), holds: compare(value, condition.comparator, condition.threshold), near: isNear(value, condition.threshold) };
}

const round = (x: number, places: number) => Math.round(x * 10 ** places) / 10 ** places;

function judge(deps: CheckpointDeps, account: string, position: PositionView, rule: Rule | undefined, market: PointInTime, at: Date, halted: boolean): PositionCheck {
  const mark = market.values[position.symbol]?.close ?? position.marketPrice ?? position.avgPrice;
  const sign = Math.sign(position.qty);
  const conditions = (rule?.conditions ?? []).map((c) => check(c, market));
  const monitoring = (rule?.monitoring ?? []).map((c) => check(c, market));
  const horizon = rule ? horizonOf(deps, rule, at) : null;
  const notes: string[] = [];
  if (!rule) notes.push('no council rule found for this position (opened outside the council?)');
  for (const [symbol, problem] of Object.entries(market.problems)) if (symbol === position.symbol || rule?.conditions.some((c) => c.symbol === symbol)) notes.push(problem);
  for (const c of conditions) if (c.value === null) notes.push(`cannot evaluate ${c.condition.symbol} ${c.condition.indicator}: no value`);
  for (const m of monitoring)
    if (m.holds) notes.push(`monitoring: ${m.condition.symbol} ${m.condition.indicator} ${m.condition.comparator} ${m.condition.threshold} (now ${m.value})`);
  if (horizon && !horizon.due && horizon.lastSession === nyDate(at)) notes.push("horizon ends at today's last checkpoint");

  const hit = conditions.find((c) => c.holds);
  const status = hit ? 'invalidated' : conditions.some((c) => c.near || c.value === null) || notes.length > 0 ? 'watch' : 'hold';
  const exit: ExitReason | null = halted ? 'kill_switch' : hit ? 'invalidation' : horizon?.due ? 'horizon' : null;
  const exitDetail =
    exit === 'kill_switch'
      ? 'trading is halted: the kill switch closes every position'
      : exit === 'invalidation' && hit
        ? `${hit.condition.symbol} ${hit.condition.indicator} ${hit.value} ${hit.condition.comparator} ${hit.condition.threshold}`
        : exit === 'horizon' && horizon
          ? `horizon ${horizon.horizon} ended with the session of ${horizon.lastSession}`
          : null;
  return {
    account,
    owner: rule?.owner ?? null,
    symbol: position.symbol,
    qty: position.qty,
    direction: sign > 0 ? 'LONG' : 'SHORT',
    entry: rule ? rule.entry : null,
    mark: round(mark, 4),
    markSource: market.mark,
    avgPrice: position.avgPrice,
    pl: round((mark - position.avgPrice) * position.qty, 2),
    plPct: position.avgPrice > 0 ? round((mark / position.avgPrice - 1) * sign, 4) : 0,
    status,
    rule: rule?.rule ?? null,
    conditions,
    horizon,
    notes,
    exit,
    exitDetail,
  };
}

/** The seat that owns a position: the PM seat whose pitch opened it, or the first chairman that can answer for the council's. */
function ownerSeat(deps: CheckpointDeps, owner: string): (ConvictionUpdater & { model: string }) | undefined {
  if (!deps.seats) return undefined;
  if (owner === 'council') return deps.seats.chairs.find((c) => c.convictionUpdate);
  return deps.seats.seats.find((s) => s.id === owner);
}

/**
 * Adds the owning seat's conviction update. It is commentary for the humans reading the thread: the
 * model's conviction never triggers or blocks a trade (exits above are rule-based and already decided),
 * and a failed update is shown as unavailable with its reason.
 */
async function withUpdate(deps: CheckpointDeps, check: PositionCheck, rule: Rule | undefined, week: string, at: Date): Promise<PositionCheck> {
  const seat = rule ? ownerSeat(deps, rule.owner) : undefined;
  if (!rule || !seat?.convictionUpdate) return check;
  try {
    const r = await seat.convictionUpdate({ week, at, origin: rule.origin, position: check });
    return { ...check, update: r.ok ? { model: r.model, conviction: r.value.conviction, note: r.value.note } : { model: r.model, error: r.error } };
  } catch (error) {
    return { ...check, update: { model: seat.model, error: (error as Error).message } };
  }
}

// Per schedule, the last checkpoint time before each session close: every position at every checkpoint asks, for a few closes.
const lastCheckpoints = new WeakMap<readonly string[], Map<string, string>>();

/** The schedule's last checkpoint time before `close` (New York HH:MM), else the close itself. */
function lastCheckpointBefore(times: readonly string[], close: string): string {
  let byClose = lastCheckpoints.get(times);
  if (!byClose) {
    byClose = new Map();
    lastCheckpoints.set(times, byClose);
  }
  let last = byClose.get(close);
  if (last === undefined) {
    last =
      [...times]
        .filter((t) => t < close)
        .sort()
        .pop() ?? close;
    byClose.set(close, last);
  }
  return last;
}

// A rule's last session and the last checkpoint time of it, per calendar (and its revision) and schedule (rules are kept, above).
const horizonEnds = new WeakMap<Rule, { calendar: TradingCalendar; revision: number | undefined; times: readonly string[]; last: string; lastCheckpoint: string }>();

function horizonOf(deps: CheckpointDeps, rule: Rule, at: Date): NonNullable<PositionCheck['horizon']> {
  let end = horizonEnds.get(rule);
  if (end?.calendar !== deps.calendar || end.revision !== deps.calendar.revision || end.times !== deps.checkpointTimes) {
    let last = rule.entry.session;
    for (let i = 1; i < HORIZON_SESSIONS[rule.horizon]; i++) last = deps.calendar.nextTradingDay(last);
    const lastCheckpoint = lastCheckpointBefore(deps.checkpointTimes, deps.calendar.sessionClose(last));
    end = { calendar: deps.calendar, revision: deps.calendar.revision, times: deps.checkpointTimes, last, lastCheckpoint };
    horizonEnds.set(rule, end);
  }
  const { last, lastCheckpoint } = end;
  const today = nyDate(at);
  return { horizon: rule.horizon, lastSession: last, due: today > last || (today === last && nyTime(at) >= lastCheckpoint) };
}

export interface ExitRequest {
  account: string;
  symbol: string;
  qty: number;
  reason: ExitReason;
  detail: string;
  entryProposalId: string | null;
  week: string;
  at: Date;
  /** Who approves it when a person asked for it (the desk's `exit`); absent, policy approves (or an approver must). */
  approvedBy?: { by: string; via: string };
}

/** How many proposal ids an exit of one position may take (the first, then -2 to -9). */
const EXIT_ATTEMPTS = 9;

/** The exit's proposal ids in the order tried: from the entry, so each position is exited once; a kill switch may retry a refused exit. */
function* exitIds(req: ExitRequest): Generator<string> {
  const base = `${EXIT_PREFIX}${req.entryProposalId ?? nyDate(req.at)}-${req.account}-${req.symbol}`.toLowerCase();
  yield base;
  // Made only when asked for: almost every exit is placed, or found placed, under its first id.
  for (let n = 2; n <= EXIT_ATTEMPTS; n++) yield `${base}-${n}`;
}

/** Exits one position through its own proposal, once (the checkpoints' exits and the desk's `exit` both come here). */
export async function exitPosition(deps: CheckpointDeps, req: ExitRequest): Promise<{ line: ExitLine; opened: boolean }> {
  let opened = false;
  const side = req.qty > 0 ? 'sell' : 'buy';
  const qty = Math.abs(req.qty);
  const line = (exitId: string, status: ExitLine['status'], orders: ExitLine['orders'] = [], note: string | null = null) => ({
    opened,
    line: {
      account: req.account,
      symbol: req.symbol,
      side,
      qty,
      reason: req.reason,
      detail: req.detail,
      proposalId: exitId,
      status,
      orders,
      note,
    } satisfies ExitLine,
  });
  for (const exitId of exitIds(req)) {
    let state = await proposalsOf(deps).load(exitId);
    if (state.status === 'EXPIRED' || (state.status === 'REJECTED' && req.reason === 'kill_switch')) continue;
    if (state.status === 'REJECTED')
      return line(exitId, 'rejected', [], `exit rejected by ${state.rejected?.by}${state.rejected?.reason ? `: ${state.rejected.reason}` : ''}; holding`);
    if (!state.exists) {
      opened = true;
      await openExit(deps, exitId, req, side, qty);
      await streams.checkpoint(deps.council, req.week).decide(deps.store, (events) =>
        events.some((e) => e.type === 'ExitOrdered' && e.data.proposalId === exitId)
          ? []
          : [
              {
                type: 'ExitOrdered',
                data: {
                  proposalId: exitId,
                  at: req.at.toISOString(),
                  account: req.account,
                  symbol: req.symbol,
                  side,
                  qty,
                  reason: req.reason,
                  detail: req.detail,
                  entryProposalId: req.entryProposalId,
                },
              },
            ],
      );
      state = await proposalsOf(deps).load(exitId);
    }
    if (state.status === 'PENDING' && req.approvedBy) await approveByPolicy(deps.store, exitId, req.at, req.approvedBy);
    else if (state.status === 'PENDING' && (!deps.requireExitApproval || req.reason === 'kill_switch')) await approveByPolicy(deps.store, exitId, req.at);
    state = await proposalsOf(deps).load(exitId);
    if (state.status === 'PENDING') return line(exitId, 'awaiting_approval', [], `approve with /council approve ${exitId}`);
    // An exit already ordered (working at the broker, netted into a later proposal's order, or filled) is
    // not executed again: nothing is sent, settled or reported; the line says what its stream records.
    if (await alreadyOrdered(deps, state)) return line(exitId, 'placed', orderLines(state));
    try {
      const { orders } = await executeProposal(deps, exitId, req.at, req.at);
      return line(exitId, 'placed', orders);
    } catch (error) {
      return line(exitId, 'failed', [], (error as Error).message);
    }
  }
  return line([...exitIds(req)].pop()!, 'failed', [], 'every exit attempt for this position expired or was refused');
}

async function openExit(deps: CheckpointDeps, exitId: string, req: ExitRequest, side: 'buy' | 'sell', qty: number): Promise<void> {
  const today = nyDate(req.at);
  const session = deps.calendar.isTradingDay(today) && nyTime(req.at) < deps.calendar.sessionClose(today) ? today : deps.calendar.nextTradingDay(today);
  const opened: ProposalEvent = {
    type: 'ProposalOpened',
    data: {
      proposalId: exitId,
      council: deps.council,
      week: req.week,
      runId: `exit:${req.reason}`,
      asOf: req.at.toISOString(),
      expiresAt: nyDateTime(session, deps.calendar.sessionClose(session)).toISOString(),
      decision: { instrument: req.symbol, direction: 'FLAT', conviction: 0, horizon: '1d' },
      orders: [
        {
          account: req.account,
          symbol: req.symbol,
          side,
          qty,
          reason: `exit (${req.reason.replace('_', ' ')}): ${req.detail}`,
          clamps: [],
          // The position's stop and take-profit are canceled before the exit goes out (placement.ts).
          cancelLegs: true,
          clientOrderId: clientOrderId(exitId, req.account, req.symbol),
        },
      ],
    },
  };
  try {
    await streams.proposal(exitId).append(deps.store, 0, [opened]);
  } catch (error) {
    if (!(error instanceof ConcurrencyError)) throw error; // another replica opened it first
  }
}

async function approveByPolicy(store: EventStore, exitId: string, at: Date, approver = { by: EXIT_POLICY, via: 'scheduler' }): Promise<void> {
  await streams.proposal(exitId).decide(store, (events) => {
    const state = foldProposal(events);
    return state.status === 'PENDING' ? decideProposal({ type: 'Approve', by: approver.by, via: approver.via, now: at }, state) : [];
  });
}
