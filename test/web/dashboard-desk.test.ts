/**
 * The approver's switches on the dashboard: the kill switch and the pause (the application's use cases,
 * refused and recorded for anyone else), and an exit that shows what it would close before it closes it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app/index.ts';
import { nyDateTime } from '../../src/market/time.ts';
import { testApp } from '../support/app.ts';
import { type Dashboard, type Session, signInAs, startDashboard } from './support.ts';

const APPROVER = 'slack:UAPPROVER';
const STRANGER = 'discord:4567';

let app: App;
let dashboard: Dashboard;

beforeAll(async () => {
  ({ app } = await testApp({ COUNCIL_APPROVERS: APPROVER }));
  dashboard = await startDashboard(app);
}, 60_000);

afterAll(async () => {
  await dashboard?.close();
  await app?.close();
});

const form = (path: string, session: Session, fields: Record<string, string>) =>
  fetch(`${dashboard.server.url}${path}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: session.cookie },
    body: new URLSearchParams(fields).toString(),
  });
const get = async (path: string, session: Session) => fetch(`${dashboard.server.url}${path}`, { headers: { cookie: session.cookie } });
const overview = async (session: Session) => (await get('/', session)).text();
const refusals = async (stream: string) => (await app.ports.store.read(stream)).map((e) => [e.type, (e.data as { by: string }).by]);

describe('The kill switch on the dashboard', () => {
  it('When an approver halts and resumes, Then the application is halted and resumed; a stranger sees no switch and is refused, on the record', async () => {
    const approver = await signInAs(dashboard, APPROVER);
    const stranger = await signInAs(dashboard, STRANGER);
    expect(await overview(approver)).toContain('Halt trading');
    expect(await overview(stranger)).not.toContain('Halt trading');

    expect((await form('/halt', approver, {})).status).toBe(403);
    expect((await form('/halt', approver, { csrf: approver.csrf })).status).toBe(303);
    expect((await app.isHalted()).halted).toBe(true);
    expect(await overview(approver)).toContain('Resume trading');

    const refused = await form('/resume', stranger, { csrf: stranger.csrf });
    expect(refused.status).toBe(403);
    expect((await app.isHalted()).halted).toBe(true);
    expect(await refusals(`refusals:control:${app.councilId}`)).toContainEqual(['HaltRefused', STRANGER]);

    expect((await form('/resume', approver, { csrf: approver.csrf })).status).toBe(303);
    expect((await app.isHalted()).halted).toBe(false);
  });
});

describe('Pause and exit on the dashboard', () => {
  it('When an approver pauses, Then trading reads paused with who paused, a stranger is refused on the record, and unpause lets entries again', async () => {
    const approver = await signInAs(dashboard, APPROVER);
    const stranger = await signInAs(dashboard, STRANGER);
    expect(await overview(approver)).toContain('Pause new entries');
    expect(await overview(stranger)).not.toContain('Pause new entries');

    expect((await form('/desk/pause', approver, { csrf: approver.csrf, paused: 'true' })).status).toBe(303);
    expect((await app.tradingState()).state).toBe('paused');
    const page = await overview(approver);
    expect(page).toContain('Trading: paused');
    expect(page).toContain(`new entries paused by ${APPROVER}`);
    expect(page).toContain('Unpause');

    expect((await form('/desk/pause', stranger, { csrf: stranger.csrf, paused: 'false' })).status).toBe(403);
    expect((await app.tradingState()).state).toBe('paused');

    expect((await form('/desk/pause', approver, { csrf: approver.csrf, paused: 'false' })).status).toBe(303);
    expect((await app.tradingState()).state).toBe('running');
  });

  it('When an approver opens an account’s Exit, Then the page shows what it would close and asks; the confirmed POST closes it with who and why; an unknown account is refused', async () => {
    await app.run({ week: '2024-03-04' });
    const pending = (await app.weekState('2024-03-04')).proposal!.proposalId;
    await app.approve({ proposalId: pending, by: APPROVER, via: 'test' });
    // Tuesday noon: the orders filled at Monday's open (a replay's clock moves with its checkpoints).
    await app.checkpoint(nyDateTime('2024-03-05', '12:00'));
    const held = (await app.positions()).accounts.find((a) => a.positions.length > 0)!;
    const position = held.positions[0]!;

    const approver = await signInAs(dashboard, APPROVER);
    expect(await overview(approver)).toContain(`/desk/exit?account=${held.account}`);
    const ask = await get(`/desk/exit?account=${held.account}`, approver);
    expect(ask.status).toBe(200);
    const text = await ask.text();
    expect(text).toContain(`close ${held.positions.length} position`);
    expect(text).toContain(position.symbol);
    expect(text).toContain('Close at market');
    expect((await app.positions()).accounts.find((a) => a.account === held.account)!.positions).toHaveLength(held.positions.length); // asking closed nothing

    const stranger = await signInAs(dashboard, STRANGER);
    expect((await form('/desk/exit', stranger, { csrf: stranger.csrf, account: held.account })).status).toBe(403);

    const done = await form('/desk/exit', approver, { csrf: approver.csrf, account: held.account, symbol: position.symbol, reason: 'taking it off from a phone' });
    expect(done.status).toBe(303);
    const exits = (await app.ports.store.streams('proposal:')).map((s) => s.stream).filter((s) => s !== `proposal:${pending}`);
    const states = await Promise.all(exits.map((s) => app.proposal(s.slice('proposal:'.length))));
    const exit = states.find((s) => s.orders.some((o) => o.account === held.account && o.symbol === position.symbol && o.reason.includes('taking it off from a phone')));
    expect(exit?.approvedBy).toMatchObject({ by: APPROVER, via: 'web' });
    // The audit finds the exit's order from its id: the exit's proposal, why, and the week's checkpoint timeline.
    const order = exit!.orders.find((o) => o.symbol === position.symbol)!;
    const found = await (await get(`/audit?q=${encodeURIComponent(order.clientOrderId.toUpperCase())}`, stranger)).text();
    expect(found).toContain(`in proposal <a href="/proposals/${exit!.proposalId}">${exit!.proposalId}</a>. Why: `);
    expect(found).toContain('taking it off from a phone');
    expect(found).toContain('href="/weeks/2024-03-04#checkpoints"');

    expect((await form('/desk/exit', approver, { csrf: approver.csrf, account: 'NOBODY' })).status).toBe(400);
  });
});
