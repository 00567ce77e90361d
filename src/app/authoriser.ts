/**
 * Who may act on proposals and on the kill switch. The application asks one `Authoriser`; a channel with
 * rules of its own (the Discord approver role, later a web session) extends the application's with
 * `extendAuthoriser` and passes the result with the request, instead of vouching with a boolean.
 */

/** A principal like "slack:U0123", "discord:4567" or "cli:alice". */
export type Principal = string;

/** The actions only an approver may take. */
export type ApproverAction = 'approve' | 'reject' | 'halt' | 'resume' | 'exit' | 'pause' | 'unpause';

export interface Authoriser {
  mayApprove(principal: Principal, action: ApproverAction): boolean;
}

/**
 * The house rule: someone at the terminal (`cli:`) is trusted, as is everyone listed in
 * COUNCIL_APPROVERS; nobody else.
 */
export function approverList(approvers: readonly Principal[]): Authoriser {
  return { mayApprove: (principal) => principal.startsWith('cli:') || approvers.includes(principal) };
}

/** The backtest's automatic approval: every proposal is approved as a person would, so every principal may. */
export const approveEverything: Authoriser = { mayApprove: () => true };

/** `base`, widened by a channel's own rule: either saying yes is enough. */
export function extendAuthoriser(base: Authoriser, extra: Authoriser): Authoriser {
  return { mayApprove: (principal, action) => base.mayApprove(principal, action) || extra.mayApprove(principal, action) };
}
