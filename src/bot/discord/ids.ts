/**
 * Button custom ids: `approve:<proposalId>` and `reject:<proposalId>`. They are the whole state a
 * click carries, so a click hours later, after a restart, still finds its proposal in the store.
 */
import { z } from 'zod';
import { LIMITS } from './limits.ts';

export const PROPOSAL_ACTIONS = ['approve', 'reject'] as const;
export type ProposalAction = (typeof PROPOSAL_ACTIONS)[number];

const CustomId = z
  .string()
  .max(LIMITS.customId)
  .regex(/^(approve|reject):[\w-]{4,64}$/)
  .transform((s) => {
    const i = s.indexOf(':');
    return { action: s.slice(0, i) as ProposalAction, proposalId: s.slice(i + 1) };
  });

export function proposalCustomId(action: ProposalAction, proposalId: string): string {
  const id = `${action}:${proposalId}`;
  if (!CustomId.safeParse(id).success) throw new Error(`proposal id ${JSON.stringify(proposalId)} does not fit a Discord custom id`);
  return id;
}

export function parseCustomId(customId: string): { action: ProposalAction; proposalId: string } | undefined {
  const parsed = CustomId.safeParse(customId);
  return parsed.success ? parsed.data : undefined;
}
