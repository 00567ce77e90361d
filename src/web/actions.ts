/**
 * The dashboard's state-changing actions, shared by the JSON API and the pages' forms: approve (all
 * accounts, or some: the others are recorded as declined) and reject. Each asks the application as a chat
 * channel does (`via: "web"`), so the authoriser's refusals and their audit records are the same.
 */
import { z } from 'zod';
import type { ProposalState } from '../domain/proposal.ts';
import type { OrderLine } from '../pipeline/notices.ts';
import type { Caller } from './auth.ts';
import type { WebContext } from './context.ts';
import { WebRequestError } from './errors.ts';

const AccountList = z.union([z.array(z.string()), z.string().transform((s) => s.split(',').map((a) => a.trim()))]).transform((list) => list.filter(Boolean));

const ApproveFields = z.object({ accounts: AccountList.optional() });
const RejectFields = z.object({ reason: z.string().max(500).optional() });

export const ProposalIdSchema = z.string().regex(/^[\w-]{4,64}$/, 'a proposal id like 2024-03-04-1a2b3c');

/** The accounts an approval asks for: undefined for all; refused when one is unknown. */
function accountsAsked(ctx: WebContext, fields: Record<string, unknown>): string[] | undefined {
  const parsed = ApproveFields.safeParse(fields);
  if (!parsed.success) throw new WebRequestError('BAD_REQUEST', 'accounts must be a list of account names');
  const asked = parsed.data.accounts;
  if (!asked || asked.length === 0) return undefined;
  const unknown = asked.filter((a) => !ctx.app.accounts.includes(a));
  if (unknown.length) throw new WebRequestError('BAD_REQUEST', `unknown account(s): ${unknown.join(', ')}; the accounts are ${ctx.app.accounts.join(', ')}`);
  const all = ctx.app.accounts.every((a) => asked.includes(a));
  if (all) return undefined;
  return [...new Set(asked)];
}

export async function approveAs(ctx: WebContext, caller: Caller, proposalId: string, fields: Record<string, unknown>): Promise<{ state: ProposalState; orders: OrderLine[] }> {
  const accounts = accountsAsked(ctx, fields);
  const request = { proposalId, by: caller.principal, via: 'web', ...(accounts ? { accounts } : {}) };
  return ctx.app.approve(request);
}

export async function rejectAs(ctx: WebContext, caller: Caller, proposalId: string, fields: Record<string, unknown>): Promise<ProposalState> {
  const parsed = RejectFields.safeParse(fields);
  if (!parsed.success) throw new WebRequestError('BAD_REQUEST', 'reason must be a text of at most 500 characters');
  return ctx.app.reject({ proposalId, by: caller.principal, via: 'web', reason: parsed.data.reason?.trim() || null });
}

const ExitFields = z.object({
  account: z.string().min(1),
  symbol: z
    .string()
    .regex(/^[A-Z.]{1,8}$/)
    .optional()
    .or(z.literal('').transform(() => undefined)),
  reason: z.string().max(200).optional(),
});

/** The kill switch from the dashboard: the application authorises, and records a refusal, as for chat. */
export async function haltAs(ctx: WebContext, caller: Caller, halted: boolean): Promise<number> {
  return ctx.app.halt(caller.principal, halted);
}

/** Pause or unpause new entries: the desk's use case authorises, and records a refusal, as for chat. */
export async function pauseAs(ctx: WebContext, caller: Caller, paused: boolean): Promise<void> {
  await ctx.app.pause({ by: caller.principal, via: 'web', paused });
}

/** Exit an account's positions (or one symbol's, or every account's) through the desk's use case, recorded with who. */
export async function exitAs(ctx: WebContext, caller: Caller, fields: Record<string, unknown>): Promise<void> {
  const parsed = ExitFields.safeParse(fields);
  if (!parsed.success) throw new WebRequestError('BAD_REQUEST', 'exit needs an account (or all), optionally a symbol, and a reason of at most 200 characters');
  const { account, symbol } = parsed.data;
  const reason = parsed.data.reason?.trim() || 'from the dashboard';
  if (account !== 'all' && !ctx.app.accounts.includes(account)) throw new WebRequestError('BAD_REQUEST', `unknown account ${account}`);
  await ctx.app.exit({ by: caller.principal, via: 'web', account, ...(symbol ? { symbol } : {}), reason });
}
