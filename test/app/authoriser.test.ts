/** Who may approve: the house rule (the CLI and COUNCIL_APPROVERS), and a channel's extension of it. */
import { describe, expect, it } from 'vitest';
import { approveEverything, approverList, extendAuthoriser } from '../../src/app/authoriser.ts';

describe('The authoriser', () => {
  const house = approverList(['slack:U_APPROVER']);

  it('Given COUNCIL_APPROVERS, When someone at the terminal or a listed approver acts, Then they may; anyone else may not', () => {
    expect(house.mayApprove('cli:alice', 'approve')).toBe(true);
    expect(house.mayApprove('slack:U_APPROVER', 'halt')).toBe(true);
    expect(house.mayApprove('slack:U_STRANGER', 'approve')).toBe(false);
    expect(house.mayApprove('discord:42', 'reject')).toBe(false);
  });

  it("Given a channel's approver role, When a member with the role acts, Then the extension vouches for them and the house rule still holds", () => {
    const holders = new Set(['discord:42']);
    const discord = extendAuthoriser(house, { mayApprove: (principal) => holders.has(principal) });
    expect(discord.mayApprove('discord:42', 'resume')).toBe(true);
    expect(discord.mayApprove('slack:U_APPROVER', 'approve')).toBe(true);
    expect(discord.mayApprove('discord:7', 'approve')).toBe(false);
  });

  it('When the backtest approves as a person would, Then every principal may', () => {
    expect(approveEverything.mayApprove('backtest', 'approve')).toBe(true);
  });
});
