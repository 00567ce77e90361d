import { describe, it } from 'vitest';
import {
  decideProposal,
  evolveProposal,
  initialProposalState,
  type ProposalCommand,
  type ProposalEvent,
  ProposalError,
} from '../../src/domain/proposal.ts';
import { decider } from '../support/decider.ts';

const spec = decider<ReturnType<typeof initialProposalState>, ProposalCommand, ProposalEvent>({
  decide: decideProposal,
  evolve: evolveProposal,
  initial: initialProposalState,
});

const opened: ProposalEvent = {
  type: 'ProposalOpened',
  data: {
    proposalId: 'p1',
    council: 'main',
    week: '2024-03-04',
    runId: 'r1',
    asOf: '2024-03-04T13:00:00.000Z',
    expiresAt: '2024-03-04T21:00:00.000Z',
    decision: { instrument: 'QQQ', direction: 'LONG', conviction: 1.5, horizon: '1w' },
    orders: [{ account: 'COUNCIL', symbol: 'QQQ', side: 'buy', qty: 10, reason: 'open', clamps: [], clientOrderId: 'tc-p1-council-qqq' }],
  },
};
const at = new Date('2024-03-04T13:01:00.000Z');
const approved: ProposalEvent = { type: 'ProposalApproved', data: { by: 'cli:alice', at: at.toISOString(), via: 'cli' } };

describe('The proposal decider', () => {
  it('Given a pending proposal, When an approver approves, Then it is approved by them', () =>
    spec.given([opened]).when({ type: 'Approve', by: 'cli:alice', via: 'cli', now: at }).then([approved]));

  it('Given an approved proposal, When someone approves again, Then it is refused and nothing is appended', () =>
    spec.given([opened, approved]).when({ type: 'Approve', by: 'cli:bob', via: 'cli', now: at }).thenThrows(ProposalError, /already approved by cli:alice/));

  it('Given a rejected proposal, When someone approves, Then it is refused', () =>
    spec
      .given([opened, { type: 'ProposalRejected', data: { by: 'cli:bob', at: at.toISOString(), via: 'cli', reason: 'too risky' } }])
      .when({ type: 'Approve', by: 'cli:alice', via: 'cli', now: at })
      .thenThrows(ProposalError, /was rejected by cli:bob/));

  it('Given a pending proposal past its expiry, When someone approves, Then it is refused as expired', () =>
    spec.given([opened]).when({ type: 'Approve', by: 'cli:alice', via: 'cli', now: new Date('2024-03-04T21:00:00.000Z') }).thenThrows(ProposalError, /expired/));

  it('Given a pending proposal past its expiry, When the clock expires it, Then it is marked expired', () =>
    spec.given([opened]).when({ type: 'Expire', now: new Date('2024-03-05T00:00:00.000Z') }).then([{ type: 'ProposalExpired', data: { at: '2024-03-05T00:00:00.000Z' } }]));

  it('Given an approved proposal, When the expiry comes, Then nothing happens', () =>
    spec.given([opened, approved]).when({ type: 'Expire', now: new Date('2024-03-05T00:00:00.000Z') }).then([]));

  it('Given no proposal, When someone approves, Then it is not found', () =>
    spec.given([]).when({ type: 'Approve', by: 'cli:alice', via: 'cli', now: at }).thenThrows(ProposalError, /no such proposal/));
});
