/**
 * The zod schema of a proposal stream's events (`ProposalEvent`, domain/proposal.ts), as ever written:
 * fields added after the first release are optional, and keys this version does not know are kept, so
 * events in an existing database still parse. Checked when read, so no reader casts a payload.
 */
import { z } from 'zod';
import type { ProposalEvent } from '../../domain/proposal.ts';

const side = z.enum(['buy', 'sell']);

const order = z.looseObject({
  account: z.string(),
  symbol: z.string(),
  side,
  qty: z.number(),
  reason: z.string(),
  clamps: z.array(z.string()),
  clientOrderId: z.string(),
});

const target = z.looseObject({ account: z.string(), symbol: z.string(), qty: z.number(), price: z.number().nullable() });

const netted = z.looseObject({ account: z.string(), clientOrderId: z.string(), symbol: z.string(), side, qty: z.number(), into: z.string().nullable() });

/** A refusal to approve or reject: kept in `refusals:<proposalId>` (older stores: in the proposal's own stream). */
export const approvalRefused = z.object({
  type: z.literal('ApprovalRefused'),
  data: z.looseObject({ by: z.string(), at: z.string(), via: z.string(), action: z.enum(['approve', 'reject']), reason: z.string() }),
});

export const proposalEventSchema: z.ZodType<ProposalEvent> = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('ProposalOpened'),
    data: z.looseObject({
      proposalId: z.string(),
      council: z.string(),
      week: z.string(),
      runId: z.string(),
      asOf: z.string(),
      expiresAt: z.string(),
      decision: z.looseObject({ instrument: z.string(), direction: z.string(), conviction: z.number(), horizon: z.string() }),
      orders: z.array(order),
      /** Absent on proposals opened before targets were recorded. */
      targets: z.array(target).optional(),
    }),
  }),
  z.object({
    type: z.literal('ProposalApproved'),
    /** `orders` since targets were recorded, `netted` since orders were netted within a session. */
    data: z.looseObject({ by: z.string(), at: z.string(), via: z.string(), orders: z.array(order).optional(), netted: z.array(netted).optional() }),
  }),
  z.object({ type: z.literal('ProposalRejected'), data: z.looseObject({ by: z.string(), at: z.string(), via: z.string(), reason: z.string().nullable() }) }),
  /** `reason` since proposals could be withdrawn. */
  z.object({ type: z.literal('ProposalExpired'), data: z.looseObject({ at: z.string(), reason: z.string().optional() }) }),
  approvalRefused,
  z.object({
    type: z.literal('OrderSubmitted'),
    data: z.looseObject({ account: z.string(), clientOrderId: z.string(), brokerOrderId: z.string(), symbol: z.string(), side, qty: z.number(), broker: z.string() }),
  }),
  z.object({ type: z.literal('OrderRejected'), data: z.looseObject({ account: z.string(), clientOrderId: z.string(), symbol: z.string(), reason: z.string() }) }),
  z.object({
    type: z.literal('OrderFilled'),
    data: z.looseObject({
      account: z.string(),
      clientOrderId: z.string(),
      symbol: z.string(),
      side,
      qty: z.number(),
      price: z.number(),
      fee: z.number(),
      filledAt: z.string(),
    }),
  }),
  z.object({ type: z.literal('ExecutionAttempted'), data: z.looseObject({ attempt: z.number(), at: z.string() }) }),
  z.object({ type: z.literal('ExecutionCompleted'), data: z.looseObject({ at: z.string() }) }),
]);
