/**
 * The one dispatch from a chat command to its use case (issue 14, item 5), driven against a real App
 * on in-memory PGlite with the builtin seats and replayed bars: what every channel gets back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app/index.ts';
import { CommandError, parseCouncilCommand } from '../../src/bot/commands.ts';
import { actionOf, dispatch, planRun } from '../../src/bot/dispatch.ts';
import { ProposalError } from '../../src/domain/proposal.ts';
import { testApp } from '../support/app.ts';

const WEEK = '2024-03-04';
const approver = { by: 'cli:ada', via: 'console' };
const stranger = { by: 'slack:U0STRANGER', via: 'slack' };

let app: App;
beforeAll(async () => {
  ({ app } = await testApp({ COUNCIL_APPROVERS: approver.by }));
});
afterAll(async () => app?.close());

describe('Dispatch', () => {
  it('When a week is run through dispatch and asked again, Then the first run ends with its proposal and the second only shows what was run', async () => {
    const ran = await dispatch(app, parseCouncilCommand(`/council run --week ${WEEK} rates?`), approver);
    expect(ran).toMatchObject({ kind: 'ran', week: WEEK });
    expect(ran.kind === 'ran' && ran.state.proposal?.proposalId).toBeTruthy();

    const again = await planRun(app, { week: WEEK, query: undefined }, stranger);
    expect(again).toMatchObject({ kind: 'done', week: WEEK });
    expect(again.kind === 'done' && again.lines[0]).toContain(`The week of ${WEEK} was already run`);
    expect(again.kind === 'done' && again.lines.join('\n')).toContain('Question from the desk: rates?');
  });

  it('When someone outside COUNCIL_APPROVERS rejects the proposal, Then dispatch throws the refusal a channel shows; an approver’s approval places the orders', async () => {
    const proposalId = (await app.weekSummary(WEEK))?.proposal?.id;
    expect(proposalId).toBeDefined();
    await expect(dispatch(app, { kind: 'reject', proposalId: proposalId!, reason: 'no' }, stranger)).rejects.toBeInstanceOf(ProposalError);
    const approved = await dispatch(app, { kind: 'approve', proposalId: proposalId! }, approver);
    expect(approved).toMatchObject({ kind: 'approved', proposalId });
    expect(approved.kind === 'approved' && approved.orders.length).toBeGreaterThan(0);
  });

  it('When status, help or a console-only command arrive, Then status reads the app, help is the grammar, and a missing use case is a user error', async () => {
    expect(await dispatch(app, { kind: 'status' }, stranger)).toMatchObject({ kind: 'status', view: { halted: { halted: false } } });
    expect(await dispatch(app, { kind: 'help' }, stranger)).toMatchObject({ kind: 'help', text: expect.stringContaining('/council run') });
    await expect(dispatch(app, { kind: 'checkpoint', at: undefined }, approver)).rejects.toBeInstanceOf(CommandError);
    let asked: string | undefined;
    const postmortem = async (week: string | undefined) => {
      asked = week;
    };
    expect(await dispatch(app, { kind: 'postmortem', week: WEEK }, approver, { postmortem })).toEqual({ kind: 'postmortem' });
    expect(asked).toBe(WEEK);
  });

  it('When commands are sorted for the trust checks, Then only the state-changing ones name an action', () => {
    const actions = ['run', 'status', 'halt', 'resume', 'approve p-1234', 'reject p-1234 why', 'help', 'checkpoint'].map((t) => actionOf(parseCouncilCommand(t)));
    expect(actions).toEqual(['run', undefined, 'halt', 'resume', 'approve', 'reject', undefined, undefined]);
  });
});
