/**
 * The one command handler for proposals: read, decide with the pure proposal decider, append at the
 * version read, and on a concurrent write read and decide again (store/append.ts's retry policy), so
 * concurrent clicks from any channel settle to one decision. An approval is decided together with the
 * kill switch: it is written only while `control:<council>` is still as read, not halted, and (for a
 * weekly proposal, whose targets speak for the whole book) not paused.
 */
import { decideProposal, evolveProposal, type ProposalCommand, type ProposalEvent, ProposalError, type ProposalState } from '../../domain/proposal.ts';
import { appendDecidedAcross } from '../../store/append.ts';
import { ConcurrencyError, type EventStore, type StoredEvent } from '../../store/port.ts';
import { streams } from '../streams.ts';
import { haltedError, haltOf, pausedError, pauseOf } from './halt.ts';
import type { ProposalRepository } from './repository.ts';

export interface CommandOptions {
  /** Events added to the same append when the command decided something (e.g. the first execution marker). */
  withDecided?: (state: ProposalState) => ProposalEvent[];
  /** Refuse while this council's trading is halted, and write only while its control stream is as read. */
  haltCheckOf?: string;
  /** The streams as the caller just read them (the proposal's, then the control's when checked): the first attempt reads nothing. */
  read?: { proposal: readonly StoredEvent[]; control?: readonly StoredEvent[] };
}

/** Decides `cmd` on the proposal and records what it decided. Returns the state after it and the events appended. */
export async function handleProposalCommand(
  store: EventStore,
  proposals: ProposalRepository,
  proposalId: string,
  cmd: ProposalCommand,
  options: CommandOptions = {},
): Promise<{ state: ProposalState; events: ProposalEvent[] }> {
  const proposal = streams.proposal(proposalId);
  const control = options.haltCheckOf === undefined ? undefined : streams.control(options.haltCheckOf);
  const names = control ? [proposal.name, control.name] : [proposal.name];
  const first = options.read && (!control || options.read.control) ? [options.read.proposal, ...(control ? [options.read.control ?? []] : [])] : undefined;
  let outcome: { state: ProposalState; events: ProposalEvent[] } | undefined;
  try {
    await appendDecidedAcross(
      store,
      names,
      ([proposalEvents = [], controlEvents = []]) => {
        const switches = control?.parse(controlEvents);
        if (switches) {
          const halt = haltOf(switches);
          if (halt.halted) throw haltedError(halt);
        }
        const state = proposals.fold(proposalId, proposalEvents);
        if (!state.exists) throw new ProposalError('NOT_FOUND', `no proposal ${proposalId}`);
        // A pause stops new entries only: exits and trims (scope 'listed') are approved through it.
        if (switches && cmd.type === 'Approve' && state.scope === 'book') {
          const pause = pauseOf(switches);
          if (pause.paused) throw pausedError(pause);
        }
        const decided = decideProposal(cmd, state);
        const events = decided.length ? [...decided, ...(options.withDecided?.(state) ?? [])] : decided;
        outcome = { state, events };
        return control ? [events, []] : [events];
      },
      first ? { first } : {},
    );
  } catch (error) {
    if (error instanceof ConcurrencyError) throw new ProposalError('NOT_PENDING', `proposal ${proposalId} is too busy; try again`);
    throw error;
  }
  if (!outcome) throw new Error(`proposal ${proposalId}: no decision was made`); // decide runs before any return
  const { state, events } = outcome;
  // Whoever appended knows the stream up to its own events: no read to learn the state after them.
  return { state: events.reduce(evolveProposal, state), events };
}
