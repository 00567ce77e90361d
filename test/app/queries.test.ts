/** The read-only queries a dashboard needs: the weeks run, one proposal, an account's book; none appends. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app/index.ts';
import { testApp } from '../support/app.ts';
import { partsOf } from '../../src/compose.ts';

const WEEK = '2024-03-04';
let app: App;
let proposalId: string;

beforeAll(async () => {
  ({ app } = await testApp());
  const state = await app.run({ week: WEEK });
  if (!state.proposal) throw new Error('the week planned no proposal');
  proposalId = state.proposal.proposalId;
});
afterAll(async () => {
  await app?.close();
});

describe('The queries', () => {
  it('Given a week run to a proposal, When the weeks, the proposal and a book are read, Then they say so and nothing is appended', async () => {
    const before = (await partsOf(app).store.readAll()).length;
    const weeks = await app.weeks();
    expect(weeks.map((w) => [w.week, w.outcome, w.proposal?.id, w.proposal?.status])).toEqual([[WEEK, 'proposal', proposalId, 'PENDING']]);
    const proposal = await app.proposal(proposalId);
    expect([proposal.week, proposal.status]).toEqual([WEEK, 'PENDING']);
    const account = app.accounts[0]!;
    const book = await app.book(account);
    expect(book.account).toBe(account);
    expect((await partsOf(app).store.readAll()).length).toBe(before);
  });

  it('When an unknown proposal or account is asked for, Then the answer is NOT_FOUND', async () => {
    await expect(app.proposal('no-such-proposal')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(app.book('NO-SUCH-ACCOUNT')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
