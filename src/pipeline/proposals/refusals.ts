/**
 * Refusals (a click or command by someone who may not act) are audit records nobody decides on: each
 * proposal keeps them in a stream of its own, appended at its head, so a crowd of them never contends
 * with the approval's expected-version append and none is lost. The proposal need not exist.
 */
import type { EventStore } from '../../store/port.ts';
import { type Refusal, streams } from '../streams.ts';

export type { Refusal };

export const refusalStream = (proposalId: string) => streams.refusals(proposalId).name;

/** The control stream's refusals (HaltRefused), apart from the kill switch itself for the same reason. */
export const controlRefusalStream = (council: string) => streams.controlRefusals(council).name;

export async function recordRefusal(
  store: EventStore,
  proposalId: string,
  refusal: { by: string; via: string; action: 'approve' | 'reject'; reason: string; now: Date },
): Promise<void> {
  const data: Refusal = { by: refusal.by, at: refusal.now.toISOString(), via: refusal.via, action: refusal.action, reason: refusal.reason };
  await streams.refusals(proposalId).appendAtHead(store, [{ type: 'ApprovalRefused', data }]);
}

/** A proposal's refusals in the order recorded (older stores also kept some in the proposal's own stream). */
export async function loadRefusals(store: EventStore, proposalId: string): Promise<Refusal[]> {
  const [own, legacy] = await Promise.all([streams.refusals(proposalId).read(store), streams.proposal(proposalId).read(store)]);
  return [...legacy, ...own].flatMap((e) => (e.type === 'ApprovalRefused' ? [e.data] : []));
}
