/**
 * The proposal use cases: approve and reject (authorised, refusals recorded; a pause refuses approving
 * new entries), resuming executions after a crash, refreshing fills, reconciliation with the brokers,
 * the kill switch (halt/resume), and the
 * refusals a channel records before any use case ran.
 */
import { ProposalError, type ProposalState } from '../domain/proposal.ts';
import { approveProposal, controlRefusalStream, executeProposal, recordRefusal, rejectProposal, setHalted, syncFills } from '../pipeline/execution.ts';
import { isPaused, pausedError } from '../pipeline/proposals/halt.ts';
import type { AccountReconciliation, NoticeSink, OrderLine } from '../pipeline/notices.ts';
import { reconcileAccounts } from '../pipeline/reconcile.ts';
import type { Authoriser, Principal } from './authoriser.ts';
import { type AppContext, executionDeps } from './context.ts';

/** The chat actions that change state, refused by a channel's own checks (see refuseRequest). */
export type RefusedAction = 'run' | 'halt' | 'resume' | 'approve' | 'reject' | 'exit' | 'pause' | 'unpause';

export interface ApproveRequest {
  proposalId: string;
  by: Principal;
  via: string;
  /** A partial approval: only these accounts' orders are placed, the others are declined by this approver; absent: all. */
  accounts?: readonly string[];
  /** A channel's own rules over the application's (the Discord approver role); default the application's. */
  authoriser?: Authoriser;
  /** Called once the approval is recorded, before the orders go out (see approve). */
  onRecorded?: () => void;
}

export interface RejectRequest {
  proposalId: string;
  by: Principal;
  via: string;
  reason: string | null;
  authoriser?: Authoriser;
}

async function existing(ctx: AppContext, proposalId: string): Promise<ProposalState> {
  const proposal = await ctx.deps.proposals.load(proposalId);
  if (!proposal.exists) throw new ProposalError('NOT_FOUND', `no proposal ${proposalId}`);
  return proposal;
}

/**
 * `onRecorded` is called once the approval is recorded, before the orders go out: a chat channel
 * acknowledges the click then, so an acknowledged click is never lost to a crash.
 */
export async function approve(ctx: AppContext, req: ApproveRequest): Promise<{ state: ProposalState; orders: OrderLine[] }> {
  const { store, clock, authoriser } = ctx.deps;
  const proposal = await existing(ctx, req.proposalId);
  if (!(req.authoriser ?? authoriser).mayApprove(req.by, 'approve')) {
    await recordRefusal(store, req.proposalId, { by: req.by, via: req.via, action: 'approve', reason: 'not an approver', now: clock.now() });
    await ctx.sink.publish({ type: 'approval_refused', proposalId: req.proposalId, by: req.by, reason: 'not an approver' });
    throw new ProposalError('UNAUTHORISED', `${req.by} may not approve proposals; ask someone in COUNCIL_APPROVERS`);
  }
  // A pause stops new entries: a weekly proposal (its targets speak for the whole book) is refused; an
  // exit or a trim (only the symbols it lists, reducing) still goes through.
  if (proposal.scope === 'book') {
    const paused = await isPaused(store, ctx.deps.settings.council);
    if (paused.paused) {
      const error = pausedError(paused);
      await recordRefusal(store, req.proposalId, { by: req.by, via: req.via, action: 'approve', reason: error.message, now: clock.now() });
      await ctx.sink.publish({ type: 'approval_refused', proposalId: req.proposalId, by: req.by, reason: error.message });
      throw error;
    }
  }
  const timed = await clock.approvalTimes(proposal, clock.actionTimes(proposal));
  if ('refusal' in timed) {
    const reason = `simulated time only moves forward: ${timed.refusal}. The proposal can be read, not executed. Nothing was placed.`;
    await recordRefusal(store, req.proposalId, { by: req.by, via: req.via, action: 'approve', reason, now: clock.now() });
    await ctx.sink.publish({ type: 'approval_refused', proposalId: req.proposalId, by: req.by, reason });
    throw new ProposalError('STALE', `proposal ${req.proposalId} was not approved: ${reason}`);
  }
  const { onRecorded } = req;
  // The proposal_approved notice follows the approval's append: it is the moment the click is recorded.
  const sink: NoticeSink = onRecorded
    ? {
        publish: async (notice) => {
          if (notice.type === 'proposal_approved' && notice.proposalId === req.proposalId) onRecorded();
          await ctx.sink.publish(notice);
        },
      }
    : ctx.sink;
  return approveProposal(executionDeps(ctx, sink), {
    proposalId: req.proposalId,
    by: req.by,
    via: req.via,
    now: timed.now,
    settleAt: timed.settleAt,
    ...(req.accounts ? { accounts: req.accounts } : {}),
  });
}

export async function reject(ctx: AppContext, req: RejectRequest): Promise<ProposalState> {
  const { store, clock, authoriser } = ctx.deps;
  const proposal = await existing(ctx, req.proposalId);
  if (!(req.authoriser ?? authoriser).mayApprove(req.by, 'reject')) {
    await recordRefusal(store, req.proposalId, { by: req.by, via: req.via, action: 'reject', reason: 'not an approver', now: clock.now() });
    throw new ProposalError('UNAUTHORISED', `${req.by} may not reject proposals; ask someone in COUNCIL_APPROVERS`);
  }
  const { proposalId, by, via, reason } = req;
  return rejectProposal(executionDeps(ctx), { proposalId, by, via, reason, now: clock.actionTimes(proposal).now });
}

/** Compares the real brokers' accounts with the event store; any difference is recorded and shown. */
export async function reconcile(ctx: AppContext): Promise<AccountReconciliation[]> {
  const { store, broker, config, settings, clock } = ctx.deps;
  const now = clock.now();
  const accounts = await reconcileAccounts({ store, proposals: ctx.deps.proposals, broker, accounts: config.accounts, council: settings.council, now });
  if (accounts.length) await ctx.sink.publish({ type: 'reconciliation_report', at: now.toISOString(), accounts });
  return accounts;
}

/** Places whatever an approved proposal has not placed yet (after a crash), and records new fills. */
export async function resumeExecutions(ctx: AppContext): Promise<number> {
  await reconcile(ctx);
  let resumed = 0;
  for (const state of await ctx.deps.proposals.list()) {
    if (state.status === 'APPROVED') {
      const { now, settleAt } = ctx.deps.clock.actionTimes(state);
      await executeProposal(executionDeps(ctx), state.proposalId, now, settleAt);
      resumed++;
    }
  }
  return resumed;
}

export async function refreshFills(ctx: AppContext, proposalId: string): Promise<OrderLine[]> {
  const state = await ctx.deps.proposals.load(proposalId);
  return syncFills(executionDeps(ctx), proposalId, ctx.deps.clock.actionTimes(state).settleAt);
}

/** The kill switch: `authoriser` lets a channel vouch for a principal by its own rules (a Discord approver role). */
export async function halt(ctx: AppContext, by: Principal, halted: boolean, authoriser: Authoriser = ctx.deps.authoriser): Promise<number> {
  if (!authoriser.mayApprove(by, halted ? 'halt' : 'resume')) {
    await refuseHalt(ctx, by, halted);
    throw new ProposalError('UNAUTHORISED', `${by} may not ${halted ? 'halt' : 'resume'} trading`);
  }
  return setHalted({ ...executionDeps(ctx), accounts: ctx.deps.config.accounts }, halted, by, ctx.deps.clock.now());
}

/** Records a refused halt or resume (HaltRefused, in `refusals:control:<council>`), as a refused approval is: who tried the kill switch is audit. */
export async function refuseHalt(ctx: AppContext, by: Principal, halted: boolean): Promise<void> {
  const refusal = { by, at: ctx.deps.clock.now().toISOString(), action: halted ? 'halt' : 'resume', reason: 'not an approver' };
  // A stream of its own, appended at its head: a crowd of strangers never holds up the approvers' halt.
  await ctx.deps.store.appendAtHead(controlRefusalStream(ctx.deps.settings.council), [{ type: 'HaltRefused', data: refusal }]);
}

/**
 * Records a chat request a channel refused before any use case ran (another workspace or guild, a
 * channel other than the council's, a replayed request), where refusals of that action are kept.
 */
export async function refuseRequest(ctx: AppContext, r: { by: Principal; via: string; action: RefusedAction; proposalId?: string; reason: string }): Promise<void> {
  const { store, clock, settings } = ctx.deps;
  const now = clock.now();
  if ((r.action === 'approve' || r.action === 'reject') && r.proposalId) {
    await recordRefusal(store, r.proposalId, { by: r.by, via: r.via, action: r.action, reason: r.reason, now });
    return;
  }
  const data = { by: r.by, at: now.toISOString(), via: r.via, action: r.action, reason: r.reason };
  const type = r.action === 'halt' || r.action === 'resume' ? 'HaltRefused' : 'RequestRefused';
  await store.appendAtHead(controlRefusalStream(settings.council), [{ type, data }]);
}
