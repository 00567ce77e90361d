/**
 * The dashboard's pages over HTTP, without a browser: what each shows of a council week with a pending
 * proposal, that nothing is shown without a session, that text from models and users is escaped, and
 * that a backtest file is served only from its own report folder.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app/index.ts';
import { nyStamp, signedMoney } from '../../src/bot/format.ts';
import { nyDateTime } from '../../src/market/time.ts';
import { testApp } from '../support/app.ts';
import { type Dashboard, type Session, signInAs, startDashboard } from './support.ts';

const REPORT = '2024-01-01_2024-03-01';

let app: App;
let dashboard: Dashboard;
let member: Session;
let proposalId: string;

beforeAll(async () => {
  ({ app } = await testApp({ COUNCIL_APPROVERS: 'slack:UAPPROVER' }));
  proposalId = (await app.run({ week: '2024-03-04', query: 'Is <b>tech</b> stretched?' })).proposal!.proposalId;
  const dir = join(app.config.dataDir, 'backtests', REPORT);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'equity.csv'), 'date,account,equity,cash,grossExposure\n2024-01-02,COUNCIL,100000,100000,0\n2024-01-03,COUNCIL,101000,0,101000\n');
  writeFileSync(join(dir, 'report.md'), '# Backtest 2024-01-01 to 2024-03-01\n');
  dashboard = await startDashboard(app);
  member = await signInAs(dashboard, 'discord:4567');
}, 120_000);

afterAll(async () => {
  await dashboard?.close();
  await app?.close();
});

/** `null`: without a session. */
const page = async (path: string, session: Session | null = member) => {
  const res = await fetch(`${dashboard.server.url}${path}`, { headers: session ? { cookie: session.cookie } : {} });
  return { status: res.status, headers: res.headers, text: await res.text() };
};

describe('The dashboard pages', () => {
  it('When asked without a session, Then every page explains how to sign in and shows nothing of the council', async () => {
    for (const path of [
      '/',
      '/weeks',
      '/weeks/2024-03-04',
      `/proposals/${proposalId}`,
      '/leaderboard',
      '/audit',
      `/audit/proposal:${proposalId}`,
      '/backtests',
      `/backtests/${REPORT}`,
    ]) {
      const res = await page(path, null);
      expect(res.status, path).toBe(401);
      expect(res.text, path).toContain('/council web');
      expect(res.text, path).not.toContain(proposalId);
    }
    expect((await page(`/backtests/${REPORT}/equity.csv`, null)).status).toBe(401);
  });

  it('When a member opens the overview, Then it shows the pending proposal, the accounts and the state, with headers that keep it from being framed', async () => {
    const res = await page('/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.text).toContain(`Proposal <a href="/proposals/${proposalId}">${proposalId}</a>`);
    expect(res.text).toContain('Trading: running');
    for (const account of app.accounts) expect(res.text).toContain(account);
    expect(res.text).toMatch(/ET<\/time>/);
  });

  it('When a member opens the week, Then research, the pitch cards, the review heat map with kill shots and the decision are there, and the question is escaped', async () => {
    const res = await page('/weeks/2024-03-04');
    expect(res.status).toBe(200);
    for (const part of ['Research', 'Pitches', 'Blind review', 'Kill shot', 'Decision', 'Dissent', 'Monitoring plan', 'Checkpoints', 'Audit trail'])
      expect(res.text, part).toContain(part);
    expect(res.text).toMatch(/class="pitch card dir-(long|short|flat)" style="background: rgba\(/);
    expect(res.text).toMatch(/<td class="score" style="background: hsl\(\d+, 70%, 78%\)">\d+<\/td>/);
    expect(res.text).toContain('Is &lt;b&gt;tech&lt;/b&gt; stretched?');
    expect(res.text).not.toContain('<b>tech</b>');
    expect(res.text).toContain('<option value="2024-03-04" selected>');
    expect((await page('/weeks/2099-01-05')).status).toBe(404);
  });

  it('When a member follows the audit, Then the proposal leads to its week and streams, and a stream lists every event in order', async () => {
    const proposal = await page(`/proposals/${proposalId}`);
    expect(proposal.text).toContain('href="/weeks/2024-03-04"');
    expect(proposal.text).toContain(`href="/audit/${encodeURIComponent(`proposal:${proposalId}`)}"`);
    const audit = await page('/audit?prefix=proposal:');
    expect(audit.text).toContain(`proposal:${proposalId}`);
    const stream = await page(`/audit/${encodeURIComponent(`proposal:${proposalId}`)}`);
    expect(stream.text).toContain('1. ProposalOpened');
  });

  it('When a member opens the leaderboard and a backtest, Then the charts carry their data, and only report files are served', async () => {
    // Nothing executed yet: the leaderboard says so and draws no chart, whatever a backtest wrote.
    const board = await page('/leaderboard?window=all');
    expect(board.text).toContain('No record yet');
    expect(board.text).not.toContain('data-chart');
    const list = await page('/backtests');
    expect(list.text).toContain(`href="/backtests/${REPORT}"`);
    const report = await page(`/backtests/${REPORT}`);
    expect(report.text).toContain('report.md');
    expect(report.text).toContain('data-chart');
    expect(report.text).toContain('"series":["COUNCIL"]');
    expect(report.text).toContain('<script src="/assets/uplot.js" defer></script>');
    const csv = await page(`/backtests/${REPORT}/equity.csv`);
    expect(csv.status).toBe(200);
    expect(csv.text).toContain('2024-01-03,COUNCIL,101000');
    for (const path of [`/backtests/${REPORT}/..%2F..%2Fweb-secret`, '/backtests/..%2F..', `/backtests/${REPORT}/web-secret`, `/backtests/${REPORT}/.hidden.csv`]) {
      expect((await page(path)).status, path).toBeGreaterThanOrEqual(400);
    }
    const uplot = await fetch(`${dashboard.server.url}/assets/uplot.js`);
    expect(uplot.status).toBe(200);
    expect(await uplot.text()).toContain('uPlot');
  });
});

/** The chart specs a page embeds for uPlot. */
const chartSpecs = (text: string) =>
  [...text.matchAll(/<div class="chart" data-chart><script type="application\/json">(.*?)<\/script>/g)].map(
    (m) => JSON.parse(m[1]!) as { title: string; format: string; highlight: string; series: string[]; data: (number | null)[][] },
  );

describe('Once the week is executed, checked and reviewed', () => {
  beforeAll(async () => {
    await app.approve({ proposalId, by: 'slack:UAPPROVER', via: 'slack' });
    // Tuesday noon: the orders filled at Monday's open.
    await app.checkpoint(nyDateTime('2024-03-05', '12:00'));
  }, 120_000);

  it('When a member opens the leaderboard, Then its equity and drawdown charts are the ledger’s curves: every account and SPY, the same figures as the desk’s', async () => {
    const board = await page('/leaderboard?window=all');
    const [equity, drawdown] = chartSpecs(board.text);
    const record = await app.equity('all');
    expect(record.dates.length).toBeGreaterThan(1);
    expect(equity?.series).toEqual([...record.accounts.map((a) => a.account), 'SPY buy-and-hold']);
    expect(equity?.highlight).toBe('COUNCIL');
    expect(equity?.data[0]).toHaveLength(record.dates.length);
    expect(equity?.data.at(-1)?.at(-1)).toBeCloseTo(record.benchmark!.equity.at(-1)!, 2);
    expect(drawdown?.format).toBe('pct');
    for (const series of drawdown?.data.slice(1) ?? []) for (const v of series) expect(v!).toBeLessThanOrEqual(0);
    // The leaderboard's return is the curve's: one ledger.
    const { rows } = await app.leaderboard('all');
    const council = record.accounts.find((a) => a.account === 'COUNCIL')!;
    expect(rows.find((r) => r.account === 'COUNCIL')!.totalReturn).toBeCloseTo(council.equity.at(-1)! / council.equity[0]! - 1, 10);
    expect(board.text).toContain('<script src="/assets/uplot.js" defer></script>');
  });

  it('When a member opens the week before and after its postmortem, Then the checkpoint timeline shows each position’s verdict, and the postmortem its figures, calibration, kill shots and charts', async () => {
    const before = await page('/weeks/2024-03-04');
    expect(before.text).toContain('None yet for this week');
    expect(before.text).toContain('council postmortem --week 2024-03-04');
    // The checkpoint: its New York time, then per position the account, the position and the verdict.
    expect(before.text).toMatch(/<ol class="timeline"><li><time datetime="[^"]+">Tue 2024-03-05 12:00 ET<\/time>/);
    expect(before.text).toMatch(/<td class="verdict-(hold|watch|invalidated)">/);

    const { postmortem } = await app.postmortem({ week: '2024-03-04' });
    const after = await page('/weeks/2024-03-04');
    expect(after.text).not.toContain('None yet for this week');
    expect(after.text).toContain('<h2 id="postmortem-h">Postmortem</h2>');
    // The figures the published postmortem showed: marked through the same session.
    expect(after.text).toContain(`Marked at the close of ${postmortem.to};`);
    const council = postmortem.accounts.find((a) => a.role === 'council')!;
    expect(after.text).toContain(`<td class="num opt ${council.weekPnl >= 0 ? 'up' : 'down'}">${signedMoney(council.weekPnl)}</td>`);
    for (const a of postmortem.accounts) expect(after.text, a.account).toContain(`<th scope="row">${a.account}`);
    expect(after.text).toContain('SPY buy-and-hold<span class="sub">benchmark</span>');
    expect(after.text).toContain('Reviewer calibration');
    expect(after.text).toContain('Kill shots that came true');
    // Its charts, served from the postmortem's own folder and nothing beside it.
    const src = /<img src="(\/weeks\/2024-03-04\/postmortem\/equity\.png)"/.exec(after.text)?.[1];
    expect(src).toBeDefined();
    const png = await fetch(`${dashboard.server.url}${src}`, { headers: { cookie: member.cookie } });
    expect(png.status).toBe(200);
    expect(png.headers.get('content-type')).toBe('image/png');
    expect((await fetch(`${dashboard.server.url}${src}`)).status).toBe(401);
    for (const path of [
      '/weeks/2024-03-04/postmortem/..%2F..%2Fweb-secret',
      '/weeks/..%2F..%2F/postmortem/web-secret',
      '/weeks/2024-03-04/postmortem/.x.png',
      '/weeks/2024-03-04/postmortem/nothing.png',
    ])
      expect((await page(path)).status, path).toBeGreaterThanOrEqual(400);
  });

  it('When a member searches the audit for an order, its stop leg, a proposal or a week, Then it leads to the proposal and from there to the approval, the decision, the pitches, the reviews and the LLM calls', async () => {
    const state = await app.proposal(proposalId);
    const order = state.orders[0]!;
    const q = (text: string) => page(`/audit?q=${encodeURIComponent(text)}`);
    // The proposal page lists its client order ids, so one can be copied from there or from a broker.
    expect((await page(`/proposals/${proposalId}`)).text).toContain(`<code>${order.clientOrderId}</code>`);

    const approval = (await app.ports.store.read(`proposal:${proposalId}`)).find((e) => e.type === 'ProposalApproved')!;
    for (const asked of [order.clientOrderId, `${order.clientOrderId.toUpperCase()}-sl`, ` ${order.clientOrderId}-tp `]) {
      const found = await q(asked);
      expect(found.status, asked).toBe(200);
      expect(found.text, asked).toContain(`in proposal <a href="/proposals/${proposalId}">${proposalId}</a>`);
      expect(found.text, asked).toContain(`href="/audit/${encodeURIComponent(`proposal:${proposalId}`)}#e-${approval.version}">The approval</a> by slack:UAPPROVER`);
      for (const anchor of ['#research', '#decision', '#pitches', '#reviews']) expect(found.text, anchor).toContain(`href="/weeks/2024-03-04${anchor}"`);
      expect(found.text).toContain(`href="/audit?prefix=${encodeURIComponent(`llm:${app.councilId}:2024-03-04:`)}"`);
    }
    expect((await q(`${order.clientOrderId}-sl`)).text).toContain('The stop protecting');
    // The approval's time is the one it recorded (the proposal page's), not when the row was written.
    expect((await q(order.clientOrderId)).text).toContain(`by slack:UAPPROVER at ${nyStamp(state.approvedBy!.at)}`);
    // The anchors lead somewhere: the stream's event and the week's sections.
    expect((await page(`/audit/${encodeURIComponent(`proposal:${proposalId}`)}`)).text).toContain(`id="e-${approval.version}"><strong>${approval.version}. ProposalApproved`);
    const week = (await page('/weeks/2024-03-04')).text;
    for (const id of ['decision', 'pitches', 'reviews', 'checkpoints', 'postmortem']) expect(week, id).toContain(`id="${id}"`);

    expect((await q(proposalId)).text).toContain(`<h2>Proposal ${proposalId}</h2>`);
    expect((await q('2024-03-04')).text).toContain('<h2>The week of 2024-03-04</h2>');
    const none = await q('tc-nothing-<script>');
    expect(none.text).toContain('Nothing matches <code>tc-nothing-&lt;script&gt;</code>');
    expect(none.text).not.toContain('<script>');
  });
});
