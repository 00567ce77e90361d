/**
 * The dashboard in a real browser (Debian's chromium, driven by playwright-core; one launch for the
 * file): sign in from a link, see the pending proposal, approve, and watch another reader's page show
 * the fills without reloading; a non-approver sees no buttons and a forged POST is refused; a POST
 * without the CSRF token is refused; a used or expired link is refused. Screenshots at desktop and
 * phone sizes go to a temporary folder, or to COUNCIL_SCREENSHOTS_DIR (`COUNCIL_SCREENSHOTS_DIR=docs`
 * renews the ones the README shows); once the week is checked and reviewed, the leaderboard's charts
 * and the week's postmortem are shot at both sizes too. Skipped, saying why, without chromium.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app/index.ts';
import { nyDateTime } from '../../src/market/time.ts';
import { testApp } from '../support/app.ts';
import { ROOT } from '../support/cli.ts';
import { type Dashboard, startDashboard } from './support.ts';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
if (!CHROMIUM) console.warn('dashboard browser tests skipped: no chromium installed (apt-get install -y chromium; CI installs it)');

const APPROVER = 'slack:UAPPROVER';
const STRANGER = 'discord:4567';
const SHOTS = process.env.COUNCIL_SCREENSHOTS_DIR ? resolve(ROOT, process.env.COUNCIL_SCREENSHOTS_DIR) : join(tmpdir(), 'council-dashboard-screenshots');
/** The other pages' screenshots (leaderboard, a week with its postmortem), to look at: the README shows only the overview's, so these never land in the repository. */
const PAGE_SHOTS = SHOTS.startsWith(ROOT) ? join(tmpdir(), 'council-dashboard-screenshots') : SHOTS;

let app: App;
let dashboard: Dashboard;
let browser: Browser;
let proposalId: string;

beforeAll(async () => {
  if (!CHROMIUM) return;
  ({ app } = await testApp({ COUNCIL_APPROVERS: APPROVER }));
  proposalId = (await app.run({ week: '2024-03-04' })).proposal!.proposalId;
  dashboard = await startDashboard(app, { pollMs: 200 });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await dashboard?.close();
  await app?.close();
});

/** A browser context signed in as `principal` from a fresh link, on its overview. */
async function signedIn(principal: string, viewport = { width: 1280, height: 800 }): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport, timezoneId: 'America/New_York' });
  const page = await context.newPage();
  await page.goto(dashboard.signIn.link(principal));
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${dashboard.server.url}/`);
  return { context, page };
}

describe.skipIf(!CHROMIUM)('The dashboard in a browser', () => {
  it('When an approver signs in from a link, Then the overview shows the pending proposal with its targets, orders and Approve / Reject', async () => {
    const { context, page } = await signedIn(APPROVER);
    await expect.poll(() => page.getByRole('heading', { name: new RegExp(`Proposal ${proposalId}`) }).count()).toBe(1);
    expect(await page.getByRole('button', { name: 'Approve' }).count()).toBe(1);
    expect(await page.getByRole('button', { name: 'Reject' }).count()).toBe(1);
    expect(await page.locator('table.orders tbody tr').count()).toBeGreaterThan(0);
    expect(await page.getByRole('checkbox').count()).toBe(app.accounts.length);
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: join(SHOTS, 'dashboard-desktop.png'), fullPage: false });
    await context.close();
  }, 60_000);

  it('When the phone-sized page is shown, Then it fits the width with nothing cut off', async () => {
    const { context, page } = await signedIn(APPROVER, { width: 390, height: 844 });
    // Evaluated in the page, where the document is: the test's own types know no DOM.
    const overflow = await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: join(SHOTS, 'dashboard-phone.png'), fullPage: false });
    await page.goto(`${dashboard.server.url}/weeks/2024-03-04`);
    expect(await page.getByRole('heading', { name: 'Blind review' }).count()).toBe(1);
    await context.close();
  }, 60_000);

  it('When someone who is no approver signs in, Then there are no buttons, and a forged POST or one without the CSRF token is refused', async () => {
    const { context, page } = await signedIn(STRANGER);
    expect(await page.getByRole('button', { name: 'Approve' }).count()).toBe(0);
    expect(await page.getByText('Only approvers').count()).toBe(1);
    const csrf = await page.locator('meta[name="csrf-token"]').getAttribute('content');
    const answers = await page.evaluate(
      async ({ id, token }) => {
        const send = (body: Record<string, string>) =>
          fetch(`/api/proposals/${id}/approve`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then((r) => r.status);
        return { forged: await send({ csrf: token ?? '' }), noToken: await send({}) };
      },
      { id: proposalId, token: csrf },
    );
    expect(answers).toEqual({ forged: 403, noToken: 403 });
    const refusals = await app.ports.store.read(`refusals:${proposalId}`);
    expect(refusals.map((e) => (e.data as { by: string }).by)).toContain(STRANGER);
    await context.close();
  }, 60_000);

  it('When an approver approves, Then another reader watching the proposal sees the fills appear without reloading', async () => {
    const reader = await signedIn(STRANGER);
    await reader.page.goto(`${dashboard.server.url}/proposals/${proposalId}`);
    await expect.poll(() => reader.page.locator('#live').textContent(), { timeout: 5_000 }).toContain('Live');
    expect(await reader.page.locator('td.order-status', { hasText: 'filled' }).count()).toBe(0);
    await reader.page.evaluate(() => {
      (globalThis as unknown as { marker: number }).marker = 1;
    });

    const { context, page } = await signedIn(APPROVER);
    // Two of six accounts: the approver unticks the other four.
    const traded = [...new Set((await app.proposal(proposalId)).orders.map((o) => o.account))];
    const chosen = traded.slice(0, 2);
    for (const account of app.accounts.filter((a) => !chosen.includes(a))) await page.getByRole('checkbox', { name: account }).uncheck();
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.waitForURL(`${dashboard.server.url}/proposals/${proposalId}`);
    expect(await page.locator('.badge').first().textContent()).toMatch(/APPROVED|EXECUTED/);
    const approved = (await app.ports.store.read(`proposal:${proposalId}`)).find((e) => e.type === 'ProposalApproved')!;
    expect(approved.data).toMatchObject({ accounts: chosen, declined: app.accounts.filter((a) => !chosen.includes(a)) });

    // The live stream's promise is 2 s (bench/ measures it); the wait here is only a bound.
    await expect.poll(() => reader.page.locator('td.order-status', { hasText: 'filled' }).count(), { timeout: 10_000, interval: 100 }).toBeGreaterThan(0);
    // The same document, updated in place: not reloaded.
    expect(await reader.page.evaluate(() => (globalThis as unknown as { marker?: number }).marker)).toBe(1);
    await context.close();
    await reader.context.close();
  }, 60_000);

  it('When the week has been checked and reviewed, Then the leaderboard draws the ledger’s charts and the week shows its postmortem, at desktop and phone widths with nothing cut off', async () => {
    await app.checkpoint(nyDateTime('2024-03-05', '12:00'));
    await app.postmortem({ week: '2024-03-04' });
    for (const [size, viewport] of [
      ['desktop', { width: 1280, height: 800 }],
      ['phone', { width: 390, height: 844 }],
    ] as const) {
      const { context, page } = await signedIn(STRANGER, viewport);
      await page.goto(`${dashboard.server.url}/leaderboard?window=all`);
      // uPlot has drawn both charts (its legend lists SPY beside the accounts).
      await expect.poll(() => page.locator('.uplot').count(), { timeout: 10_000 }).toBe(2);
      expect(await page.locator('.uplot .u-legend').first().textContent()).toContain('SPY buy-and-hold');
      // Hovering reads the session as a New York date, whatever the reader's own zone.
      await page.locator('.uplot .u-over').first().hover();
      await expect.poll(() => page.locator('.uplot .u-legend .u-series').first().textContent()).toMatch(/Session close.*\w{3}, \w{3} \d{1,2}, \d{4}/);
      expect(await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth'), `leaderboard ${size}`).toBeLessThanOrEqual(0);
      mkdirSync(PAGE_SHOTS, { recursive: true });
      await page.screenshot({ path: join(PAGE_SHOTS, `leaderboard-${size}.png`), fullPage: true });
      await page.goto(`${dashboard.server.url}/weeks/2024-03-04#postmortem`);
      expect(await page.getByRole('heading', { name: 'Postmortem' }).count()).toBe(1);
      expect(await page.locator('#postmortem img').count()).toBeGreaterThan(0);
      expect(await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth'), `week ${size}`).toBeLessThanOrEqual(0);
      await page.screenshot({ path: join(PAGE_SHOTS, `week-${size}.png`), fullPage: true });
      for (const part of ['pitches', 'reviews', 'checkpoints']) await page.locator(`#${part}`).screenshot({ path: join(PAGE_SHOTS, `week-${part}-${size}.png`) });
      await page.locator('#postmortem').screenshot({ path: join(PAGE_SHOTS, `week-postmortem-${size}.png`) });
      // The audit's search, as a reader would use it: an order's stop leg, typed into the box.
      const order = (await app.proposal(proposalId)).orders[0]!;
      await page.goto(`${dashboard.server.url}/audit`);
      await page.getByLabel('Find an order, a proposal or a week').fill(`${order.clientOrderId}-sl`);
      await page.getByRole('button', { name: 'Find' }).click();
      await expect.poll(() => page.getByRole('link', { name: 'The approval' }).count()).toBe(1);
      expect(await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth'), `audit ${size}`).toBeLessThanOrEqual(0);
      await page.screenshot({ path: join(PAGE_SHOTS, `audit-${size}.png`), fullPage: true });
      await context.close();
    }
  }, 120_000);

  it('When a link is used again, or opened after 10 minutes, Then the browser is told so and gets no session', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const url = dashboard.signIn.link('cli:twice');
    await page.goto(url);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${dashboard.server.url}/`);
    const other = await browser.newContext();
    const second = await other.newPage();
    await second.goto(url);
    await second.getByRole('button', { name: 'Sign in' }).click();
    expect(await second.textContent('main')).toContain('already used');

    const late = dashboard.signIn.link('cli:late');
    dashboard.advance(10 * 60_000 + 1);
    await second.goto(late);
    await second.getByRole('button', { name: 'Sign in' }).click();
    expect(await second.textContent('main')).toContain('expired');
    await second.goto(`${dashboard.server.url}/`);
    expect(await second.textContent('main')).toContain('Ask for a one-time sign-in link');
    await context.close();
    await other.close();
  }, 60_000);
});
