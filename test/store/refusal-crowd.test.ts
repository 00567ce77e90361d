/**
 * The audit trail survives a crowd (issue 13, item 7): 300 people who may not approve click Approve at
 * the same moment as the approver. Refusals go to a stream of their own, appended at its head, so every
 * one is recorded and the approver's click never meets "too busy". On PGlite, and on PostgreSQL when
 * TEST_DATABASE_URL is set.
 */
import { describe, expect, it } from 'vitest';
import type { App } from '../../src/app/index.ts';
import { ProposalError } from '../../src/domain/proposal.ts';
import { loadRefusals, refusalStream } from '../../src/pipeline/execution.ts';
import { proposalStream } from '../../src/pipeline/run.ts';
import { testApp } from '../support/app.ts';
import { POSTGRES_URL, scenarioDatabase } from '../faults/support/database.ts';
import { partsOf } from '../../src/compose.ts';

const CROWD = 300;

async function crowdAgainstApprover(app: App): Promise<void> {
  const state = await app.run({ week: '2024-03-04' });
  const proposalId = state.proposal?.proposalId;
  if (!proposalId) throw new Error('the week planned no proposal');

  const strangers = Array.from({ length: CROWD }, (_, i) =>
    app.approve({ proposalId, by: `slack:U${String(i).padStart(4, '0')}`, via: 'slack' }).then(
      () => 'approved',
      (error: unknown) => (error instanceof ProposalError ? error.code : String(error)),
    ),
  );
  const approver = app.approve({ proposalId, by: 'cli:desk', via: 'cli' });
  const [outcomes, approved] = await Promise.all([Promise.all(strangers), approver]);

  expect(new Set(outcomes)).toEqual(new Set(['UNAUTHORISED']));
  expect(approved.state.approvedBy?.by).toBe('cli:desk');
  expect(approved.state.status).toBe('EXECUTED');
  const refusals = await loadRefusals(partsOf(app).store, proposalId);
  expect(refusals).toHaveLength(CROWD);
  expect(new Set(refusals.map((r) => r.by)).size).toBe(CROWD);
  expect(refusals.every((r) => r.action === 'approve' && r.reason === 'not an approver' && r.via === 'slack')).toBe(true);
  expect((await partsOf(app).store.read(refusalStream(proposalId))).map((e) => e.version)).toEqual(Array.from({ length: CROWD }, (_, i) => i + 1));
  // The proposal's own stream holds the decision and the orders, and no refusal.
  const own = await partsOf(app).store.read(proposalStream(proposalId));
  expect(own.filter((e) => e.type === 'ProposalApproved')).toHaveLength(1);
  expect(own.filter((e) => e.type === 'ApprovalRefused')).toEqual([]);
}

describe('A crowd of refused clicks and one approval', () => {
  it(`When ${CROWD} non-approvers click Approve while the approver does, on PGlite, Then all ${CROWD} refusals are recorded and the approval executes`, async () => {
    const { app } = await testApp();
    try {
      await crowdAgainstApprover(app);
    } finally {
      await app.close();
    }
  }, 60_000);

  it.runIf(POSTGRES_URL)(
    `When ${CROWD} non-approvers click Approve while the approver does, on PostgreSQL, Then all ${CROWD} refusals are recorded and the approval executes`,
    async () => {
      const scenario = await scenarioDatabase('refusal-crowd');
      const { app } = await testApp({}, { db: await scenario.open() });
      try {
        await crowdAgainstApprover(app);
      } finally {
        await app.close();
        await scenario.dispose();
      }
    },
    60_000,
  );
});
