/**
 * The proposal decider: the rules of approval as a pure function of the proposal's events.
 * decide(command, state) -> events; evolve(state, event) -> state. A second approve is a rule here,
 * not a race in a handler; the event store's expected version settles concurrent clicks.
 */
import type { NettedOrder, PlannedOrder, TargetPosition } from './sizing.ts';
import { UserFacingError } from './errors.ts';

export interface ProposalOrder extends PlannedOrder {
  clientOrderId: string;
}

export type ProposalStatus = 'PENDING' | 'APPROVED' | 'REJECTED' | 'EXPIRED' | 'EXECUTED';

export type ProposalEvent =
  | {
      type: 'ProposalOpened';
      data: {
        proposalId: string;
        council: string;
        week: string;
        runId: string;
        asOf: string;
        expiresAt: string;
        decision: { instrument: string; direction: string; conviction: number; horizon: string };
        /** The orders as planned from the book at asOf (what the approver was shown beside the targets). */
        orders: ProposalOrder[];
        /** What each account holds afterwards. Absent on proposals opened before targets were recorded. */
        targets?: TargetPosition[];
      };
    }
  | {
      type: 'ProposalApproved';
      /** `orders`: computed at the click from the book then, toward the targets; these are the ones placed. */
      /** `netted`: working exits and trims folded into these orders (canceled at execution), one order per account and symbol. */
      /**
       * `accounts`, `declined`: a partial approval names the accounts approved and those the approver
       * declined (nothing is placed for them); both absent: every account of the proposal was approved.
       */
      data: { by: string; at: string; via: string; orders?: ProposalOrder[]; netted?: NettedOrder[]; accounts?: string[]; declined?: string[] };
    }
  | { type: 'ProposalRejected'; data: { by: string; at: string; via: string; reason: string | null } }
  | { type: 'ProposalExpired'; data: { at: string; reason?: string } }
  | { type: 'ApprovalRefused'; data: { by: string; at: string; via: string; action: 'approve' | 'reject'; reason: string } }
  | { type: 'OrderSubmitted'; data: { account: string; clientOrderId: string; brokerOrderId: string; symbol: string; side: 'buy' | 'sell'; qty: number; broker: string } }
  | { type: 'OrderRejected'; data: { account: string; clientOrderId: string; symbol: string; reason: string } }
  | {
      type: 'OrderFilled';
      /**
       * `leg`: a protective leg of an order filled (the position was stopped out or took profit); its
       * `clientOrderId` is the parent's with `-sl` (stop) or `-tp` (take-profit) appended.
       */
      data: {
        account: string;
        clientOrderId: string;
        symbol: string;
        side: 'buy' | 'sell';
        qty: number;
        price: number;
        fee: number;
        filledAt: string;
        leg?: 'stop' | 'take_profit';
      };
    }
  | { type: 'ExecutionAttempted'; data: { attempt: number; at: string } }
  | { type: 'ExecutionCompleted'; data: { at: string } };

export interface ProposalState {
  exists: boolean;
  proposalId: string;
  status: ProposalStatus;
  week: string;
  asOf: string;
  expiresAt: string;
  council: string;
  /** The orders to place: as planned until approved, then the ones computed at the approval (when recorded). */
  orders: ProposalOrder[];
  /** The orders as planned, shown with the proposal. */
  planned: ProposalOrder[];
  /** What each account holds afterwards; undefined for a proposal opened before targets were recorded. */
  targets: TargetPosition[] | undefined;
  /**
   * What the targets speak for: the whole book of each account (a council's weekly proposal), or only the
   * symbols they list (a checkpoint's exit or a limit trim, which leave the rest of the book alone).
   */
  scope: 'book' | 'listed';
  /** Why it expired before its time (superseded, or the book changed under it); undefined for plain expiry. */
  expiredReason: string | undefined;
  decision: Extract<ProposalEvent, { type: 'ProposalOpened' }>['data']['decision'] | undefined;
  approvedBy: { by: string; at: string; via: string } | undefined;
  /** The accounts the approver declined in a partial approval (nothing is placed for them); empty otherwise. */
  declined: string[];
  rejected: { by: string; at: string; reason: string | null } | undefined;
  submitted: Record<string, { brokerOrderId: string; broker: string }>;
  rejectedOrders: Record<string, string>;
  /** Working exits and trims of the same account and symbol folded into this proposal's orders at its approval. */
  netted: NettedOrder[];
  fills: Record<string, { qty: number; price: number; fee: number; filledAt: string }>;
  refusals: number;
  /** How many times execution has started placing orders (a marker appended before anything is sent). */
  attempts: number;
}

export const initialProposalState = (): ProposalState => ({
  exists: false,
  proposalId: '',
  status: 'PENDING',
  week: '',
  asOf: '',
  expiresAt: '',
  council: '',
  orders: [],
  planned: [],
  targets: undefined,
  scope: 'book',
  expiredReason: undefined,
  decision: undefined,
  approvedBy: undefined,
  declined: [],
  rejected: undefined,
  submitted: {},
  rejectedOrders: {},
  netted: [],
  fills: {},
  refusals: 0,
  attempts: 0,
});

/** An exit (a checkpoint's) closes whole positions: its targets are zeros, also on events written before targets were. */
function exitTargets(opened: Extract<ProposalEvent, { type: 'ProposalOpened' }>['data']): TargetPosition[] | undefined {
  if (!opened.runId.startsWith('exit:')) return undefined;
  return opened.orders.map((o) => ({ account: o.account, symbol: o.symbol, qty: 0, price: null }));
}

export function evolveProposal(state: ProposalState, event: ProposalEvent): ProposalState {
  switch (event.type) {
    case 'ProposalOpened':
      return {
        ...state,
        exists: true,
        proposalId: event.data.proposalId,
        week: event.data.week,
        asOf: event.data.asOf,
        expiresAt: event.data.expiresAt,
        council: event.data.council,
        orders: event.data.orders,
        planned: event.data.orders,
        targets: event.data.targets ?? exitTargets(event.data),
        scope: event.data.runId.startsWith('exit:') || event.data.runId.startsWith('trim:') ? 'listed' : 'book',
        decision: event.data.decision,
        status: 'PENDING',
      };
    case 'ProposalApproved': {
      const approved = event.data.accounts ? new Set(event.data.accounts) : undefined;
      return {
        ...state,
        status: 'APPROVED',
        approvedBy: { by: event.data.by, at: event.data.at, via: event.data.via },
        declined: event.data.declined ?? [],
        orders: (event.data.orders ?? state.orders).filter((o) => !approved || approved.has(o.account)),
        netted: event.data.netted ?? [],
      };
    }
    case 'ProposalRejected':
      return { ...state, status: 'REJECTED', rejected: event.data };
    case 'ProposalExpired':
      return { ...state, status: 'EXPIRED', expiredReason: event.data.reason };
    case 'ApprovalRefused':
      return { ...state, refusals: state.refusals + 1 };
    case 'OrderSubmitted':
      return { ...state, submitted: { ...state.submitted, [event.data.clientOrderId]: { brokerOrderId: event.data.brokerOrderId, broker: event.data.broker } } };
    case 'OrderRejected':
      return { ...state, rejectedOrders: { ...state.rejectedOrders, [event.data.clientOrderId]: event.data.reason } };
    case 'OrderFilled': {
      const prev = state.fills[event.data.clientOrderId];
      const qty = (prev?.qty ?? 0) + event.data.qty;
      const price = prev ? (prev.price * prev.qty + event.data.price * event.data.qty) / qty : event.data.price;
      return {
        ...state,
        fills: { ...state.fills, [event.data.clientOrderId]: { qty, price, fee: (prev?.fee ?? 0) + event.data.fee, filledAt: event.data.filledAt } },
      };
    }
    case 'ExecutionAttempted':
      return { ...state, attempts: state.attempts + 1 };
    case 'ExecutionCompleted':
      return { ...state, status: 'EXECUTED' };
    default: {
      const never: never = event;
      return never;
    }
  }
}

export const foldProposal = (events: readonly ProposalEvent[]): ProposalState => events.reduce(evolveProposal, initialProposalState());

/** A refusal a user should read, with a stable code. */
export class ProposalError extends UserFacingError {
  readonly code: 'NOT_FOUND' | 'NOT_PENDING' | 'EXPIRED' | 'HALTED' | 'PAUSED' | 'UNAUTHORISED' | 'STALE' | 'UNKNOWN_ACCOUNT' | 'NO_ACCOUNTS';
  constructor(code: ProposalError['code'], message: string) {
    super(message);
    this.code = code;
    this.name = 'ProposalError';
  }
}

export type ProposalCommand =
  /** `accounts`: a partial approval (the others are declined); absent: every account of the proposal. */
  | { type: 'Approve'; by: string; via: string; now: Date; orders?: ProposalOrder[]; netted?: NettedOrder[]; accounts?: readonly string[] }
  | { type: 'Reject'; by: string; via: string; now: Date; reason: string | null }
  | { type: 'Expire'; now: Date }
  /** Ends a pending proposal before its time, with the reason (superseded, or its targets went stale). */
  | { type: 'Withdraw'; now: Date; reason: string };

/** Every account a proposal trades or holds targets for, in the order it names them. */
export function proposalAccounts(state: Pick<ProposalState, 'targets' | 'planned'>): string[] {
  return [...new Set([...(state.targets ?? []).map((t) => t.account), ...state.planned.map((o) => o.account)])];
}

/**
 * Which accounts an approval covers and which it declines. `requested` names accounts in any letter case;
 * absent, every account is approved. An unknown name or an empty choice is refused with what is known.
 */
export function approvalScope(state: Pick<ProposalState, 'proposalId' | 'targets' | 'planned'>, requested?: readonly string[]): { accounts: string[]; declined: string[] } {
  const all = proposalAccounts(state);
  if (!requested) return { accounts: all, declined: [] };
  const byName = new Map(all.map((a) => [a.toUpperCase(), a]));
  const unknown = requested.filter((r) => !byName.has(r.trim().toUpperCase()));
  if (unknown.length)
    throw new ProposalError('UNKNOWN_ACCOUNT', `proposal ${state.proposalId} has no account ${unknown.join(', ')}; its accounts are ${all.join(', ')}. Nothing was approved.`);
  const chosen = new Set(requested.map((r) => byName.get(r.trim().toUpperCase())!));
  if (!chosen.size) throw new ProposalError('NO_ACCOUNTS', `choose at least one account of proposal ${state.proposalId} (${all.join(', ')}) to approve. Nothing was approved.`);
  return { accounts: all.filter((a) => chosen.has(a)), declined: all.filter((a) => !chosen.has(a)) };
}

function describeStatus(state: ProposalState): string {
  switch (state.status) {
    case 'APPROVED':
    case 'EXECUTED':
      return `was already approved by ${state.approvedBy?.by} at ${state.approvedBy?.at}`;
    case 'REJECTED':
      return `was rejected by ${state.rejected?.by} at ${state.rejected?.at}`;
    case 'EXPIRED':
      return state.expiredReason ? `was withdrawn: ${state.expiredReason}` : `expired at ${state.expiresAt}`;
    case 'PENDING':
      return 'is pending';
    default: {
      const never: never = state.status;
      return never;
    }
  }
}

export function decideProposal(command: ProposalCommand, state: ProposalState): ProposalEvent[] {
  if (!state.exists) throw new ProposalError('NOT_FOUND', 'no such proposal');
  const at = command.now.toISOString();
  switch (command.type) {
    case 'Approve':
    case 'Reject': {
      if (state.status !== 'PENDING') throw new ProposalError('NOT_PENDING', `proposal ${state.proposalId} ${describeStatus(state)}; nothing was placed`);
      if (command.now.getTime() >= Date.parse(state.expiresAt))
        throw new ProposalError('EXPIRED', `proposal ${state.proposalId} expired at ${state.expiresAt}; nothing was placed`);
      if (command.type === 'Approve') {
        const { accounts, declined } = approvalScope(state, command.accounts);
        const approved = new Set(accounts);
        // Only the approved accounts' orders are recorded, whatever the caller computed.
        const orders = command.orders?.filter((o) => approved.has(o.account));
        const netted = command.netted?.filter((n) => approved.has(n.account));
        return [
          {
            type: 'ProposalApproved',
            data: {
              by: command.by,
              at,
              via: command.via,
              ...(orders ? { orders } : {}),
              ...(netted?.length ? { netted } : {}),
              ...(declined.length ? { accounts, declined } : {}),
            },
          },
        ];
      }
      return [{ type: 'ProposalRejected', data: { by: command.by, at, via: command.via, reason: command.reason } }];
    }
    case 'Expire':
      if (state.status !== 'PENDING' || command.now.getTime() < Date.parse(state.expiresAt)) return [];
      return [{ type: 'ProposalExpired', data: { at } }];
    case 'Withdraw':
      if (state.status !== 'PENDING') return [];
      return [{ type: 'ProposalExpired', data: { at, reason: command.reason } }];
    default: {
      const never: never = command;
      return never;
    }
  }
}
