/** `approve <id> --accounts A,B` typed in any channel: a partial approval through the one dispatch. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app/index.ts';
import { CommandError, parseCouncilCommand } from '../../src/bot/commands.ts';
import { dispatch } from '../../src/bot/dispatch.ts';
import { ProposalError } from '../../src/domain/proposal.ts';
import { testApp } from '../support/app.ts';

const WEEK = '2024-03-04';
const approver = { by: 'cli:ada', via: 'console' };
let app: App;

beforeAll(async () => {
  ({ app } = await testApp({ COUNCIL_APPROVERS: approver.by }));
});
afterAll(async () => {
  await app?.close();
});

describe('/council approve --accounts', () => {
  it('When --accounts follows the id, Then it is a partial approval; without names it is refused', () => {
    expect(parseCouncilCommand('/council approve 2024-03-04-1a2b3c --accounts COUNCIL,claude')).toEqual({
      kind: 'approve',
      proposalId: '2024-03-04-1a2b3c',
      accounts: ['COUNCIL', 'claude'],
    });
    expect(parseCouncilCommand('/council approve 2024-03-04-1a2b3c')).toEqual({ kind: 'approve', proposalId: '2024-03-04-1a2b3c' });
    expect(() => parseCouncilCommand('/council approve 2024-03-04-1a2b3c --accounts')).toThrow(CommandError);
  });

  it('When a non-approver approves some accounts, Then it is refused; when an approver does, Then only those accounts are placed and the rest declined', async () => {
    const state = await app.run({ week: WEEK });
    const id = state.proposal!.proposalId;
    const traded = [...new Set(state.proposal!.orders.map((o) => o.account))];
    const command = parseCouncilCommand(`/council approve ${id} --accounts ${traded[0]}`);

    await expect(dispatch(app, command, { by: 'slack:U0STRANGER', via: 'slack' })).rejects.toMatchObject({ code: 'UNAUTHORISED' });
    await expect(dispatch(app, parseCouncilCommand(`/council approve ${id} --accounts NOBODY`), approver)).rejects.toBeInstanceOf(ProposalError);

    const approved = await dispatch(app, command, approver);
    expect(approved.kind === 'approved' && new Set(approved.orders.map((o) => o.account))).toEqual(new Set([traded[0]]));
    const proposal = await app.proposal(id);
    expect(proposal.declined).toHaveLength(5);
    expect(proposal.declined).not.toContain(traded[0]);
  });
});
