/**
 * Component custom ids: the decision's buttons `approve:<proposalId>` and `reject:<proposalId>`, and the
 * steps they open: the accounts select menu `accounts:<id>` and the `confirm:<id>` button of Approve's
 * confirmation, the `why:<id>` modal of Reject. They are the whole state an interaction carries, so one
 * hours later, after a restart, still finds its proposal in the store.
 */
import { z } from 'zod';
import { LIMITS } from './limits.ts';

export const PROPOSAL_ACTIONS = ['approve', 'reject'] as const;
export type ProposalAction = (typeof PROPOSAL_ACTIONS)[number];
/** The steps of approving and rejecting (approval-steps.ts). */
export type StepAction = 'accounts' | 'confirm' | 'why';

const CustomId = z
  .string()
  .max(LIMITS.customId)
  .regex(/^(approve|reject|accounts|confirm|why):[\w-]{4,64}$/)
  .transform((s) => {
    const i = s.indexOf(':');
    return { action: s.slice(0, i) as ProposalAction | StepAction, proposalId: s.slice(i + 1) };
  });

export function proposalCustomId(action: ProposalAction | StepAction, proposalId: string): string {
  const id = `${action}:${proposalId}`;
  if (!CustomId.safeParse(id).success) throw new Error(`proposal id ${JSON.stringify(proposalId)} does not fit a Discord custom id`);
  return id;
}

export function parseCustomId(customId: string): { action: ProposalAction | StepAction; proposalId: string } | undefined {
  const parsed = CustomId.safeParse(customId);
  return parsed.success ? parsed.data : undefined;
}
