import { describe, expect, it } from 'vitest';
import { decideProposal, evolveProposal, foldProposal, initialProposalState, type ProposalCommand, type ProposalEvent, ProposalError } from '../../src/domain/proposal.ts';
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
    spec
      .given([opened, approved])
      .when({ type: 'Approve', by: 'cli:bob', via: 'cli', now: at })
      .thenThrows(ProposalError, /already approved by cli:alice/));

  it('Given a rejected proposal, When someone approves, Then it is refused', () =>
    spec
      .given([opened, { type: 'ProposalRejected', data: { by: 'cli:bob', at: at.toISOString(), via: 'cli', reason: 'too risky' } }])
      .when({ type: 'Approve', by: 'cli:alice', via: 'cli', now: at })
      .thenThrows(ProposalError, /was rejected by cli:bob/));

  it('Given a pending proposal past its expiry, When someone approves, Then it is refused as expired', () =>
    spec
      .given([opened])
      .when({ type: 'Approve', by: 'cli:alice', via: 'cli', now: new Date('2024-03-04T21:00:00.000Z') })
      .thenThrows(ProposalError, /expired/));

  it('Given a pending proposal past its expiry, When the clock expires it, Then it is marked expired', () =>
    spec
      .given([opened])
      .when({ type: 'Expire', now: new Date('2024-03-05T00:00:00.000Z') })
      .then([{ type: 'ProposalExpired', data: { at: '2024-03-05T00:00:00.000Z' } }]));

  it('Given an approved proposal, When the expiry comes, Then nothing happens', () =>
    spec
      .given([opened, approved])
      .when({ type: 'Expire', now: new Date('2024-03-05T00:00:00.000Z') })
      .then([]));

  it('Given no proposal, When someone approves, Then it is not found', () =>
    spec
      .given([])
      .when({ type: 'Approve', by: 'cli:alice', via: 'cli', now: at })
      .thenThrows(ProposalError, /no such proposal/));

  it('Given a pending proposal, When it is approved with the orders computed at the click, Then those orders are the ones to place', () => {
    const computed = [{ account: 'COUNCIL', symbol: 'QQQ', side: 'buy' as const, qty: 4, reason: 'open', clamps: ['position capped'], clientOrderId: 'tc-p1-council-qqq' }];
    const events = decideProposal({ type: 'Approve', by: 'cli:alice', via: 'cli', now: at, orders: computed }, foldProposal([opened]));
    expect(events).toEqual([{ type: 'ProposalApproved', data: { by: 'cli:alice', at: at.toISOString(), via: 'cli', orders: computed } }]);
    const state = foldProposal([opened, ...events]);
    expect(state.orders).toEqual(computed);
    expect(state.planned).toEqual(opened.type === 'ProposalOpened' ? opened.data.orders : []);
  });

  it('Given a pending proposal, When it is withdrawn (superseded), Then it expires with the reason and a later approve says why', () => {
    spec
      .given([opened])
      .when({ type: 'Withdraw', now: at, reason: 'superseded by proposal p2' })
      .then([{ type: 'ProposalExpired', data: { at: at.toISOString(), reason: 'superseded by proposal p2' } }]);
    spec
      .given([opened, { type: 'ProposalExpired', data: { at: at.toISOString(), reason: 'superseded by proposal p2' } }])
      .when({ type: 'Approve', by: 'cli:alice', via: 'cli', now: at })
      .thenThrows(ProposalError, /withdrawn: superseded by proposal p2; nothing was placed/);
  });

  it('Given an approved proposal, When it is withdrawn, Then nothing happens', () =>
    spec.given([opened, approved]).when({ type: 'Withdraw', now: at, reason: 'superseded' }).then([]));

  it('Given events written before targets existed, When folded, Then they still fold: no targets for a council proposal, zeros for an exit', () => {
    expect(foldProposal([opened, approved]).targets).toBeUndefined();
    expect(foldProposal([opened, approved]).orders).toEqual(foldProposal([opened]).orders);
    const exit: ProposalEvent = {
      type: 'ProposalOpened',
      data: { ...(opened.type === 'ProposalOpened' ? opened.data : ({} as never)), proposalId: 'x-p1-council-qqq', runId: 'exit:horizon' },
    };
    expect(foldProposal([exit]).targets).toEqual([{ account: 'COUNCIL', symbol: 'QQQ', qty: 0, price: null }]);
  });

  describe('partial approval', () => {
    const two: ProposalEvent = {
      type: 'ProposalOpened',
      data: {
        ...(opened.type === 'ProposalOpened' ? opened.data : ({} as never)),
        orders: [
          { account: 'COUNCIL', symbol: 'QQQ', side: 'buy', qty: 10, reason: 'open', clamps: [], clientOrderId: 'tc-p1-council-qqq' },
          { account: 'CLAUDE', symbol: 'QQQ', side: 'buy', qty: 5, reason: 'open', clamps: [], clientOrderId: 'tc-p1-claude-qqq' },
        ],
        targets: [
          { account: 'COUNCIL', symbol: 'QQQ', qty: 10, price: 400 },
          { account: 'CLAUDE', symbol: 'QQQ', qty: 5, price: 400 },
          { account: 'GEMINI', symbol: 'QQQ', qty: 0, price: 400 },
        ],
      },
    };

    it('Given a pending proposal of three accounts, When an approver approves one (any letter case), Then the others are recorded as declined and only its orders are kept', () => {
      const orders = two.type === 'ProposalOpened' ? two.data.orders : [];
      spec
        .given([two])
        .when({ type: 'Approve', by: 'cli:alice', via: 'cli', now: at, accounts: ['claude'], orders })
        .then([
          {
            type: 'ProposalApproved',
            data: { by: 'cli:alice', at: at.toISOString(), via: 'cli', orders: [orders[1]!], accounts: ['CLAUDE'], declined: ['COUNCIL', 'GEMINI'] },
          },
        ]);
      const state = foldProposal([two, ...decideProposal({ type: 'Approve', by: 'cli:alice', via: 'cli', now: at, accounts: ['CLAUDE'] }, foldProposal([two]))]);
      expect(state.declined).toEqual(['COUNCIL', 'GEMINI']);
      expect(state.orders.map((o) => o.account)).toEqual(['CLAUDE']);
    });

    it('Given a pending proposal, When every account is chosen, Then it is a plain approval', () =>
      spec
        .given([two])
        .when({ type: 'Approve', by: 'cli:alice', via: 'cli', now: at, accounts: ['COUNCIL', 'CLAUDE', 'GEMINI'] })
        .then([approved]));

    it('Given a pending proposal, When an unknown account or none is chosen, Then it is refused naming the accounts it has', () => {
      spec
        .given([two])
        .when({ type: 'Approve', by: 'cli:alice', via: 'cli', now: at, accounts: ['CLAUDE', 'NOPE'] })
        .thenThrows(ProposalError, /no account NOPE; its accounts are COUNCIL, CLAUDE, GEMINI/);
      spec
        .given([two])
        .when({ type: 'Approve', by: 'cli:alice', via: 'cli', now: at, accounts: [] })
        .thenThrows(ProposalError, /at least one account/);
    });

    it('Given a partly approved proposal, When another approver approves the rest, Then it is refused: exactly once per account', () =>
      spec
        .given([two, { type: 'ProposalApproved', data: { by: 'cli:alice', at: at.toISOString(), via: 'cli', accounts: ['CLAUDE'], declined: ['COUNCIL', 'GEMINI'] } }])
        .when({ type: 'Approve', by: 'cli:bob', via: 'cli', now: at, accounts: ['COUNCIL'] })
        .thenThrows(ProposalError, /already approved by cli:alice/));
  });
});
