/**
 * Approval and execution, as the app layer calls them: each a thin wrapper over the modules that do
 * the work, under src/pipeline/proposals/ (the repository, the one command handler, approval, order
 * placement, the kill switch, refusals). New code should take a ProposalRepository built by the
 * composition root (`createProposalRepository(store)`, passed as `proposals` in the deps) instead of
 * the functions taking a store here, which use the repository kept for that store.
 */
import type { ProposalState } from '../domain/proposal.ts';
import type { EventStore } from '../store/port.ts';
import { repositoryOf } from './proposals/repository.ts';

export { memoByIdentity } from './memo.ts';
export { type ApproveDeps, type ApproveRequest, approveProposal, expireProposal, ordersAtApproval, rejectProposal } from './proposals/approval.ts';
export { handleProposalCommand } from './proposals/commands.ts';
export { controlStream, type HaltState, isHalted, setHalted } from './proposals/halt.ts';
export {
  alreadyOrdered,
  type ExecutionDeps,
  executeProposal,
  orderLines,
  proposalsOf,
  recordLegFills,
  syncFills,
  syncLegFills,
  syncLegFillsAndView,
} from './proposals/placement.ts';
export { controlRefusalStream, loadRefusals, type Refusal, recordRefusal, refusalStream } from './proposals/refusals.ts';
export { createProposalRepository, type ProposalRepository } from './proposals/repository.ts';

/** One proposal's state as its stream is now (through the repository kept for `store`). */
export function loadProposal(store: EventStore, proposalId: string): Promise<ProposalState> {
  return repositoryOf(store).load(proposalId);
}

/**
 * Every proposal's state, in stream order (through the repository kept for `store`). While no proposal
 * moved the very same array is returned, so views derived from it can be memoized on it.
 */
export function loadProposals(store: EventStore): Promise<readonly ProposalState[]> {
  return repositoryOf(store).list();
}
