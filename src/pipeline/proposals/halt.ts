/**
 * The kill switch and the pause: `control:<council>` says whether trading is halted or paused. Halting
 * cancels every open order that adds risk (an opening or an addition) and keeps what takes it away: the
 * protective stops and take-profits at the broker and the working exits, trims and closes (the kill
 * switch's own exits follow at the next checkpoint). An approval is decided together with the switch
 * (proposals/commands.ts), so none lands after a halt it did not see. Pausing only stops new entries (an
 * approval of a weekly proposal is refused); exits, stops and checkpoints go on.
 */
import { UserFacingError } from '../../domain/errors.ts';
import { ProposalError } from '../../domain/proposal.ts';
import type { EventStore } from '../../store/port.ts';
import type { NoticeSink } from '../notices.ts';
import { type ControlEvent, type Recorded, streams } from '../streams.ts';
import type { AccountView, Broker } from '../../brokers/port.ts';
import { isExitOrder } from '../../domain/sizing.ts';
import { nyDate, nyTime } from '../../market/time.ts';

export interface HaltState {
  halted: boolean;
  by?: string;
  at?: string;
}

export const controlStream = (council: string) => streams.control(council).name;

/** Whether the switch is on, from the control stream's events (the last Halted or Resumed says). */
export function haltOf(events: readonly Recorded<ControlEvent>[]): HaltState {
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i];
    if (e?.type === 'Halted') return { halted: true, by: e.data.by, at: e.data.at };
    if (e?.type === 'Resumed') return { halted: false };
  }
  return { halted: false };
}

export async function isHalted(store: EventStore, council: string): Promise<HaltState> {
  return haltOf(await streams.control(council).read(store));
}

/** An instant as a New York wall time with its zone, as the refusals below say it: "2026-11-30 08:47 ET". */
const nyWhen = (iso: string | undefined): string => {
  const at = iso ? new Date(iso) : undefined;
  return at && !Number.isNaN(at.getTime()) ? `${nyDate(at)} ${nyTime(at)} ET` : 'an unknown time';
};

/** The refusal an approval meets while trading is halted. */
export const haltedError = (halt: HaltState) => new ProposalError('HALTED', `trading is halted (by ${halt.by} at ${nyWhen(halt.at)}); resume it first. Nothing was placed.`);

export interface PauseState {
  paused: boolean;
  by?: string;
  at?: string;
}

/** Whether new entries are paused, from the control stream's events (the last Paused or Unpaused says). */
export function pauseOf(events: readonly Recorded<ControlEvent>[]): PauseState {
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i];
    if (e?.type === 'Paused') return { paused: true, by: e.data.by, at: e.data.at };
    if (e?.type === 'Unpaused') return { paused: false };
  }
  return { paused: false };
}

export async function isPaused(store: EventStore, council: string): Promise<PauseState> {
  return pauseOf(await streams.control(council).read(store));
}

/** The refusal an approval of new entries meets while trading is paused. */
export const pausedError = (pause: PauseState) =>
  new ProposalError('PAUSED', `trading is paused by ${pause.by} at ${nyWhen(pause.at)}: no new entries until unpause; exits, stops and checkpoints go on. Nothing was placed.`);

/**
 * Pauses or unpauses new entries; nothing is appended when the switch already stands that way. Returns
 * the state after, and tells the channels (pause_changed) when it changed.
 */
export async function setPaused(deps: { store: EventStore; sink: NoticeSink; council: string }, paused: boolean, by: string, via: string, now: Date): Promise<PauseState> {
  let changed = false;
  const events = await streams.control(deps.council).decide(deps.store, (current) => {
    changed = pauseOf(current).paused !== paused;
    return changed ? [{ type: paused ? 'Paused' : 'Unpaused', data: { by, at: now.toISOString(), via } }] : [];
  });
  if (changed) await deps.sink.publish({ type: 'pause_changed', paused, by, at: now.toISOString(), via });
  return pauseOf(events);
}

/**
 * The open orders of a book that add risk: each order that moves its symbol's position (counting the
 * orders before it) further from flat. Exits and trims never do; neither does a close or a reduction.
 */
export function ordersAddingRisk(book: Pick<AccountView, 'positions' | 'openOrders'>): AccountView['openOrders'] {
  const held = new Map(book.positions.map((p) => [p.symbol, p.qty]));
  return book.openOrders.filter((o) => {
    const before = held.get(o.symbol) ?? 0;
    const after = before + (o.side === 'buy' ? 1 : -1) * (o.qty - o.filledQty);
    held.set(o.symbol, after);
    return !isExitOrder(o.clientOrderId) && Math.abs(after) > Math.abs(before);
  });
}

/** A halt that is recorded but could not cancel every order: which accounts failed, and why. */
export class HaltIncompleteError extends UserFacingError {
  readonly code = 'HALT_INCOMPLETE';
  readonly failures: { account: string; error: unknown }[];
  readonly canceled: number;
  constructor(failures: { account: string; error: unknown }[], canceled: number) {
    super(
      `trading is halted, but the open orders of ${failures.map((f) => f.account).join(', ')} could not be read or canceled (${canceled} canceled elsewhere); check them at the broker`,
      {
        cause: failures[0]?.error,
      },
    );
    this.name = 'HaltIncompleteError';
    this.failures = failures;
    this.canceled = canceled;
  }
}

/**
 * Halts (canceling every account's open orders that add risk) or resumes; returns how many orders were
 * canceled. Protective legs and exits stay, so resuming has nothing to put back. Every account is tried,
 * side by side: one the broker cannot answer for does not keep the others' orders working; the halt is
 * announced, then refused as incomplete (HaltIncompleteError) naming the accounts that failed.
 */
export async function setHalted(
  deps: { store: EventStore; broker: Broker; sink: NoticeSink; council: string; accounts: readonly string[] },
  halted: boolean,
  by: string,
  now: Date,
): Promise<number> {
  await streams.control(deps.council).appendDecision(deps.store, () => [{ type: halted ? 'Halted' : 'Resumed', data: { by, at: now.toISOString() } }]);
  const settled = halted
    ? await Promise.allSettled(
        deps.accounts.map(async (account) => {
          let canceled = 0;
          for (const order of ordersAddingRisk(await deps.broker.account(account, now))) {
            const after = await deps.broker.cancelOrder(account, order.clientOrderId, now, 'halted: the order adds risk');
            if (after?.status === 'canceled') canceled++;
          }
          return canceled;
        }),
      )
    : [];
  const canceled = settled.reduce((n, r) => n + (r.status === 'fulfilled' ? r.value : 0), 0);
  const failures = settled.flatMap((r, i) => (r.status === 'rejected' ? [{ account: deps.accounts[i] ?? '?', error: r.reason as unknown }] : []));
  await deps.sink.publish({ type: 'halt_changed', halted, by, at: now.toISOString(), canceledOrders: canceled });
  if (failures.length) throw new HaltIncompleteError(failures, canceled);
  return canceled;
}
