/**
 * The kill switch: `control:<council>` says whether trading is halted. Halting cancels every open
 * order; an approval is decided together with the switch (proposals/commands.ts), so none lands after
 * a halt it did not see.
 */
import { ProposalError } from '../../domain/proposal.ts';
import type { EventStore } from '../../store/port.ts';
import type { NoticeSink } from '../notices.ts';
import { type ControlEvent, type Recorded, streams } from '../streams.ts';
import type { Broker } from '../../brokers/port.ts';

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

/** The refusal an approval meets while trading is halted. */
export const haltedError = (halt: HaltState) => new ProposalError('HALTED', `trading is halted (by ${halt.by} at ${halt.at}); /council resume first. Nothing was placed.`);

/** Halts (and cancels every account's open orders) or resumes; returns how many orders were canceled. */
export async function setHalted(
  deps: { store: EventStore; broker: Broker; sink: NoticeSink; council: string; accounts: readonly string[] },
  halted: boolean,
  by: string,
  now: Date,
): Promise<number> {
  let canceled = 0;
  await streams.control(deps.council).decide(deps.store, () => [{ type: halted ? 'Halted' : 'Resumed', data: { by, at: now.toISOString() } }]);
  if (halted) for (const account of deps.accounts) canceled += await deps.broker.cancelOpenOrders(account, now);
  await deps.sink.publish({ type: 'halt_changed', halted, by, at: now.toISOString(), canceledOrders: canceled });
  return canceled;
}
