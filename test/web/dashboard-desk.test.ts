/**
 * The approver's switches on the dashboard: the kill switch (the application's halt, refused and
 * recorded for anyone else), and the desk's pause and exit, shown and accepted only once the desk's
 * use cases are wired (here a recording stand-in for them).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app/index.ts';
import type { DeskQueries } from '../../src/web/desk.ts';
import { testApp } from '../support/app.ts';
import { type Dashboard, type Session, signInAs, startDashboard } from './support.ts';

const APPROVER = 'slack:UAPPROVER';
const STRANGER = 'discord:4567';

let app: App;
let bare: Dashboard;
let wired: Dashboard;
const asked: unknown[] = [];
const desk: DeskQueries = {
  pause: async (request) => void asked.push({ pause: request }),
  exit: async (request) => void asked.push({ exit: request }),
};

beforeAll(async () => {
  ({ app } = await testApp({ COUNCIL_APPROVERS: APPROVER }));
  bare = await startDashboard(app);
  wired = await startDashboard(app, { register: false, desk });
}, 60_000);

afterAll(async () => {
  await wired?.close();
  await bare?.close();
  await app?.close();
});

const form = (dashboard: Dashboard, path: string, session: Session, fields: Record<string, string>) =>
  fetch(`${dashboard.server.url}${path}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: session.cookie },
    body: new URLSearchParams(fields).toString(),
  });
const overview = async (dashboard: Dashboard, session: Session) => (await fetch(`${dashboard.server.url}/`, { headers: { cookie: session.cookie } })).text();

describe('The kill switch on the dashboard', () => {
  it('When an approver halts and resumes, Then the application is halted and resumed; a stranger sees no switch and is refused, on the record', async () => {
    const approver = await signInAs(bare, APPROVER);
    const stranger = await signInAs(bare, STRANGER);
    expect(await overview(bare, approver)).toContain('Halt trading');
    expect(await overview(bare, stranger)).not.toContain('Halt trading');

    expect((await form(bare, '/halt', approver, {})).status).toBe(403);
    expect((await form(bare, '/halt', approver, { csrf: approver.csrf })).status).toBe(303);
    expect((await app.isHalted()).halted).toBe(true);
    expect(await overview(bare, approver)).toContain('Resume trading');

    const refused = await form(bare, '/resume', stranger, { csrf: stranger.csrf });
    expect(refused.status).toBe(403);
    expect((await app.isHalted()).halted).toBe(true);
    const refusals = await app.ports.store.read(`refusals:control:${app.councilId}`);
    expect(refusals.map((e) => [e.type, (e.data as { by: string }).by])).toContainEqual(['HaltRefused', STRANGER]);

    expect((await form(bare, '/resume', approver, { csrf: approver.csrf })).status).toBe(303);
    expect((await app.isHalted()).halted).toBe(false);
  });
});

describe("The desk's pause and exit", () => {
  it('When the desk is not wired, Then there is no Pause button and a POST says it is not available (501)', async () => {
    const approver = await signInAs(bare, APPROVER);
    expect(await overview(bare, approver)).not.toContain('Pause new entries');
    expect((await form(bare, '/desk/pause', approver, { csrf: approver.csrf, paused: 'true' })).status).toBe(501);
    expect((await form(bare, '/desk/exit', approver, { csrf: approver.csrf, account: 'all' })).status).toBe(501);
  });

  it('When it is wired, Then an approver sees Pause, and pause and exit reach it with who asked, via web; an unknown account is refused', async () => {
    const approver = await signInAs(wired, APPROVER);
    expect(await overview(wired, approver)).toContain('Pause new entries');
    expect((await form(wired, '/desk/pause', approver, { csrf: approver.csrf, paused: 'true' })).status).toBe(303);
    expect((await form(wired, '/desk/exit', approver, { csrf: approver.csrf, account: app.accounts[0]!, symbol: 'SPY' })).status).toBe(303);
    expect((await form(wired, '/desk/exit', approver, { csrf: approver.csrf, account: 'NOBODY' })).status).toBe(400);
    expect(asked).toEqual([{ pause: { by: APPROVER, via: 'web', paused: true } }, { exit: { by: APPROVER, via: 'web', account: app.accounts[0], symbol: 'SPY' } }]);
  });
});
