/**
 * Read-only queries, for the channels and the dashboard: the weeks the council has run, one week's
 * state, one proposal, and an account's book as the broker holds it. None of them appends an event.
 */
import type { AccountView } from '../brokers/port.ts';
import { ProposalError, type ProposalState } from '../domain/proposal.ts';
import type { WeekState } from '../pipeline/week.ts';
import type { AppContext } from './context.ts';
import { type WeekSummary, weekState, weekSummary } from './council.ts';

/** Every week the council has a run for, newest first. */
export async function weeks(ctx: AppContext): Promise<WeekSummary[]> {
  const prefix = `week:${ctx.deps.settings.council}:`;
  const names = (await ctx.deps.store.streams(prefix)).map((s) => s.stream.slice(prefix.length)).sort((a, b) => b.localeCompare(a));
  const summaries = await Promise.all(names.map((week) => weekSummary(ctx, week)));
  return summaries.filter((s): s is WeekSummary => s !== undefined);
}

/** One week's state, folded from its stream (an empty state for a week never run). */
export function week(ctx: AppContext, monday: string): Promise<WeekState> {
  return weekState(ctx, monday);
}

/** One proposal as its stream tells it; NOT_FOUND for an id never opened. */
export async function proposal(ctx: AppContext, proposalId: string): Promise<ProposalState> {
  const state = await ctx.deps.proposals.load(proposalId);
  if (!state.exists) throw new ProposalError('NOT_FOUND', `no proposal ${proposalId}`);
  return state;
}

/** An account's book (cash, equity, positions, open orders), marked when the clock marks accounts. */
export async function book(ctx: AppContext, account: string): Promise<AccountView> {
  if (!ctx.deps.config.accounts.includes(account)) throw new ProposalError('NOT_FOUND', `no account ${account}`);
  return ctx.deps.broker.account(account, await ctx.deps.clock.markTime());
}
