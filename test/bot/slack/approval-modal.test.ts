/**
 * Slack's approval modals and Home tab end to end: the real Bolt app over HTTP with signed requests,
 * the real App on in-memory PGlite with the simulated broker, and the fake Slack keeping the views it
 * was asked to open and publish and writing the submissions Slack would send from them.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../../src/app/index.ts';
import { targetText } from '../../../src/bot/format.ts';
import { esc } from '../../../src/bot/slack/blocks.ts';
import { type SlackHandle, startSlack } from '../../../src/bot/slack/index.ts';
import { buildApp, partsOf } from '../../../src/compose.ts';
import { loadConfig } from '../../../src/config/config.ts';
import { type FakeSlack, type FakeView, startFakeSlack } from '../../fakes/slack.ts';
import { BOT_TOKEN, buttonClick, SIGNING_SECRET, sendEvent, sendPayload, sendSigned } from './support.ts';

const CHANNEL = 'C_COUNCIL';
const APPROVER = 'UBOSS';
const OUTSIDER = 'UNOBODY';
const logger = pino({ level: 'silent' });

let fake: FakeSlack;
let app: App;
let slack: SlackHandle;
let url: string;

beforeAll(async () => {
  fake = await startFakeSlack({ token: BOT_TOKEN });
  const config = loadConfig({
    COUNCIL_DATA_DIR: mkdtempSync(join(tmpdir(), 'council-slack-modal-')),
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: fake.apiUrl,
    SLACK_CHANNEL_ID: CHANNEL,
    SLACK_PORT: '0',
    COUNCIL_APPROVERS: `slack:${APPROVER}`,
  });
  app = await buildApp(config, { memory: true, logger, clock: () => new Date('2024-03-04T12:00:00Z') });
  slack = await startSlack(app, config.slack!, logger, { host: '127.0.0.1', retryConfig: { retries: 2, minTimeout: 0, maxTimeout: 0 } });
  url = `http://127.0.0.1:${slack.port}/slack/events`;
});

afterAll(async () => {
  await slack?.stop();
  await app?.close();
  await fake?.close();
});

const ofType = async (stream: string, type: string) => (await partsOf(app).store.read(stream)).filter((e) => e.type === type);
const homeOf = (user: string) => fake.homes.get(user);
const publishesTo = (user: string) => fake.calls.filter((c) => c.method === 'views.publish' && c.args.user_id === user).length;
const modalFor = (proposalId: string, callback: string, known: Set<string>) =>
  fake.waitFor(() => [...fake.views.values()].find((v) => !known.has(v.id) && v.callbackId === callback && v.privateMetadata.includes(proposalId)), `the ${callback} modal`);
const checkboxValues = (view: FakeView) =>
  view.blocks.flatMap((b) => (b.type === 'input' ? ((b.element as { options?: { value: string }[] }).options ?? []).map((o) => o.value) : []));

async function decisionMessage(proposalId: string) {
  return fake.waitFor(
    () => [...fake.messages.values()].find((m) => m.blocks.some((b) => b.type === 'actions') && JSON.stringify(m.blocks).includes(`approve:${proposalId}`)),
    'the decision',
  );
}

describe('Slack: approving some accounts, rejecting with a reason, and the Home tab', () => {
  let proposalId: string;
  let chosen: string[];

  it('When an approver opens the Home tab, Then it is published with the pending proposal and its buttons', async () => {
    await app.run({ week: '2024-03-04' });
    proposalId = (await app.weekState('2024-03-04')).proposal!.proposalId;
    expect((await sendEvent(url, fake.appHomeOpened(APPROVER))).status).toBe(200);
    const home = await fake.waitFor(() => homeOf(APPROVER), 'the Home tab');
    const text = JSON.stringify(home.blocks);
    expect(home.type).toBe('home');
    expect(text).toContain(proposalId);
    expect(text).toContain('Trading is on');
    expect(text).toContain('COUNCIL');
    // An approver who approves from here sees what they approve: every target, and that the orders are computed again.
    const { targets } = await app.proposal(proposalId);
    expect(targets?.length).toBeGreaterThan(0);
    for (const t of targets!) expect(text).toContain(JSON.stringify(esc(targetText(t))).slice(1, -1));
    expect(text).toContain('computed again from the book');
    expect(home.blocks.some((b) => b.type === 'actions' && JSON.stringify(b).includes(`approve:${proposalId}`))).toBe(true);
    expect(fake.violations).toEqual([]);
  });

  it('When an approver clicks Approve on the Home tab and submits two of six accounts, Then only those two are placed, the other four are recorded declined, and the Home tab is published again', async () => {
    const home = homeOf(APPROVER)!;
    const known = new Set(fake.views.keys());
    const published = publishesTo(APPROVER);
    const click = await sendPayload(url, fake.viewAction(home.id, APPROVER, `approve:${proposalId}`));
    expect(click.status).toBe(200);
    const modal = await modalFor(proposalId, 'approve_proposal', known);
    const accounts = checkboxValues(modal);
    expect(accounts).toHaveLength(6);
    // Each account's option says what it would place: the modal is the confirmation.
    const optionText = (account: string) =>
      modal.blocks
        .flatMap((b) => (b.type === 'input' ? ((b.element as { options: { value: string; text: { text: string } }[] }).options ?? []) : []))
        .find((o) => o.value === account)!.text.text;
    for (const o of (await app.proposal(proposalId)).orders) expect(optionText(o.account)).toContain(`${o.side.toUpperCase()} ${o.qty} ${o.symbol}`);
    // And the targets those orders lead to, above the accounts.
    const shown = JSON.stringify(modal.blocks.filter((b) => b.type === 'section'));
    for (const t of (await app.proposal(proposalId)).targets!) expect(shown).toContain(JSON.stringify(esc(targetText(t))).slice(1, -1));
    expect(shown).toContain('computed again from the book');
    const traded = [...new Set((await app.proposal(proposalId)).orders.map((o) => o.account))];
    chosen = traded.slice(0, 2);

    const submitted = await sendPayload(url, fake.viewSubmission(modal.id, APPROVER, { 'accounts:0': chosen }));
    expect(submitted.status).toBe(200);
    expect(await submitted.text()).toBe(''); // acknowledged empty: the modal closes

    const [approved] = await ofType(`proposal:${proposalId}`, 'ProposalApproved');
    expect(approved!.data).toMatchObject({ by: `slack:${APPROVER}`, via: 'slack', accounts: chosen, declined: accounts.filter((a) => !chosen.includes(a)) });
    const decision = await decisionMessage(proposalId);
    await fake.waitFor(() => (JSON.stringify(fake.messages.get(decision.ts)!.blocks).includes('filled at') ? true : undefined), 'the settled decision');
    expect(JSON.stringify(fake.messages.get(decision.ts)!.blocks)).toContain(`declined: ${accounts.filter((a) => !chosen.includes(a)).join(', ')}`);
    await fake.waitFor(() => (JSON.stringify(homeOf(APPROVER)!.blocks).includes(proposalId) ? undefined : true), 'the Home tab without the proposal');
    expect(publishesTo(APPROVER)).toBeGreaterThan(published);
    const submittedOrders = await ofType(`proposal:${proposalId}`, 'OrderSubmitted');
    expect(submittedOrders.length).toBeGreaterThan(0);
    expect(new Set(submittedOrders.map((e) => (e.data as { account: string }).account))).toEqual(new Set(chosen));
    for (const account of accounts.filter((a) => !chosen.includes(a))) expect((await app.book(account)).positions).toEqual([]);
    expect(fake.violations).toEqual([]);
  });

  it('When someone outside COUNCIL_APPROVERS submits a partial approval, Then it is refused in the modal, recorded, and nothing is placed', async () => {
    await app.run({ week: '2024-03-11' });
    const next = (await app.weekState('2024-03-11')).proposal!.proposalId;
    const decision = await decisionMessage(next);
    // The approver's modal, as an outsider might replay it: the submission is authorised on its own.
    const known = new Set(fake.views.keys());
    await sendSigned(url, buttonClick({ actionId: `approve:${next}`, value: next, user: APPROVER, channel: CHANNEL, messageTs: decision.ts, responseUrl: fake.responseUrl('r1') }));
    const modal = await modalFor(next, 'approve_proposal', known);
    const refused = await sendPayload(url, fake.viewSubmission(modal.id, OUTSIDER, { 'accounts:0': checkboxValues(modal).slice(0, 2) }));
    expect(await refused.json()).toEqual({ response_action: 'errors', errors: { 'accounts:0': expect.stringContaining('may not approve') } });
    expect((await ofType(`refusals:${next}`, 'ApprovalRefused')).map((e) => e.data)).toEqual([
      expect.objectContaining({ by: `slack:${OUTSIDER}`, via: 'slack', action: 'approve', reason: 'not an approver' }),
    ]);
    expect(await ofType(`proposal:${next}`, 'ProposalApproved')).toEqual([]);
    expect(await ofType(`proposal:${next}`, 'OrderSubmitted')).toEqual([]);

    // An outsider's own click opens nothing: it is refused as before.
    const opened = fake.views.size;
    await sendSigned(url, buttonClick({ actionId: `approve:${next}`, value: next, user: OUTSIDER, channel: CHANNEL, messageTs: decision.ts, responseUrl: fake.responseUrl('r2') }));
    await fake.waitFor(() => fake.calls.find((c) => c.method === 'chat.postEphemeral' && c.args.user === OUTSIDER), 'the refusal');
    expect(fake.views.size).toBe(opened);

    // From the Home tab too, where there is no channel: the refusal comes as a direct message, and is recorded.
    await sendEvent(url, fake.appHomeOpened(OUTSIDER));
    const home = await fake.waitFor(() => homeOf(OUTSIDER), "the outsider's Home tab");
    await sendPayload(url, fake.viewAction(home.id, OUTSIDER, `approve:${next}`));
    const dm = await fake.waitFor(() => fake.calls.find((c) => c.method === 'chat.postMessage' && c.args.channel === OUTSIDER), 'the direct message');
    expect(dm.args.text).toContain('may not approve');
    expect(await ofType(`refusals:${next}`, 'ApprovalRefused')).toHaveLength(3);
    expect(fake.views.size).toBe(opened + 1); // only the Home tab
  });

  it('When an approver clicks Reject, Then a modal asks why, and the reason is recorded and shown in the thread', async () => {
    const next = (await app.weekState('2024-03-11')).proposal!.proposalId;
    const decision = await decisionMessage(next);
    const known = new Set(fake.views.keys());
    await sendSigned(url, buttonClick({ actionId: `reject:${next}`, value: next, user: APPROVER, channel: CHANNEL, messageTs: decision.ts, responseUrl: fake.responseUrl('r3') }));
    const modal = await modalFor(next, 'reject_proposal', known);
    expect(await ofType(`proposal:${next}`, 'ProposalRejected')).toEqual([]); // the click alone decides nothing

    const res = await sendPayload(url, fake.viewSubmission(modal.id, APPROVER, { reason: '  Too much in one sector this week.  ' }));
    expect(res.status).toBe(200);
    const [rejected] = await ofType(`proposal:${next}`, 'ProposalRejected');
    expect(rejected!.data).toMatchObject({ by: `slack:${APPROVER}`, via: 'slack', reason: 'Too much in one sector this week.' });
    const shown = await fake.waitFor(
      () => [...fake.messages.values()].find((m) => m.threadTs === decision.threadTs && JSON.stringify(m.blocks).includes('Too much in one sector this week.')),
      'the reason in the thread',
    );
    expect(JSON.stringify(shown.blocks)).toContain('Rejected');
    expect(await ofType(`proposal:${next}`, 'OrderSubmitted')).toEqual([]);
    expect(fake.violations).toEqual([]);
  });

  it('When trading is halted, Then the Home tab is published again saying so', async () => {
    await app.halt(`slack:${APPROVER}`, true);
    await fake.waitFor(() => (JSON.stringify(homeOf(APPROVER)!.blocks).includes('Trading HALTED') ? true : undefined), 'the Home tab saying halted');
    await app.halt(`slack:${APPROVER}`, false);
    await fake.waitFor(() => (JSON.stringify(homeOf(APPROVER)!.blocks).includes('Trading is on') ? true : undefined), 'the Home tab saying trading is on');
    expect(fake.violations).toEqual([]);
  });
});
