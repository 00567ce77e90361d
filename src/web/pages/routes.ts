/**
 * The dashboard's read pages besides the Overview: Weeks (picker) and one Week (with its postmortem), a
 * Proposal, the Leaderboard with its charts (leaderboard.ts), Audit (a search from any order id, every
 * stream, every event of one; audit.ts) and Backtests (the report folders under the data folder). Each is a function of what the application answers; no page writes.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { IncomingMessage } from 'node:http';
import { nyStamp } from '../../bot/format.ts';
import { ProposalError } from '../../domain/proposal.ts';
import { runJson } from '../../views.ts';
import { WebRequestError } from '../errors.ts';
import { type Caller, callerOf } from '../auth.ts';
import type { WebContext } from '../context.ts';
import { isLeaderboardWindow, LEADERBOARD_WINDOWS } from '../desk.ts';
import type { Handler } from '../server.ts';
import { type Html, html } from './html.ts';
import { calibrationTable, leaderboardTable, ledgerCharts, reportCharts } from './leaderboard.ts';
import type { page } from './layout.ts';
import { findInAudit, foundSection, proposalTrail } from './audit.ts';
import { proposalSection } from './overview.ts';
import { noPostmortem, postmortemSection } from './postmortem.ts';
import { weekBody } from './week.ts';

type View = { title: string; current: Parameters<typeof page>[0]['current']; body: Html | Html[]; live?: boolean };
type Viewing = (ctx: WebContext, where: string, handler: (req: IncomingMessage, params: Readonly<Record<string, string>>, caller: Caller) => Promise<View>) => Handler;

const WEEK = /^\d{4}-\d{2}-\d{2}$/;
const STREAM = /^[\w:.@-]{1,200}$/;
const FOLDER = /^[\w.-]{1,100}$/;

const notFound = (what: string) => new ProposalError('NOT_FOUND', what);
/** A folder or file name of a report: letters, digits, dots and dashes, never hidden, never a way up. */
const isFolder = (name: string) => FOLDER.test(name) && !name.startsWith('.');

/** Where `council postmortem` (and the scheduler's Friday slot) writes a week's charts and exports. */
const postmortemDir = (ctx: WebContext, week: string) => join(ctx.app.config.dataDir, 'postmortems', week);

/** The last session a written report marked: the newest date of its equity.csv (fixed columns: date,account,...). */
async function lastMarked(dir: string): Promise<string | undefined> {
  const text = await readFile(join(dir, 'equity.csv'), 'utf8').catch(() => '');
  const dates = text
    .split('\n')
    .slice(1)
    .map((line) => line.slice(0, 10))
    .filter((d) => WEEK.test(d));
  return dates.sort().at(-1);
}

/** The week's postmortem when one was written (its folder exists): the report's figures, marked through the session it marked, and the PNGs it drew. */
async function weekPostmortem(ctx: WebContext, week: string): Promise<Html> {
  const dir = postmortemDir(ctx, week);
  const files = await readdir(dir).catch(() => undefined);
  const pm = files ? await ctx.app.weekPostmortem(week, await lastMarked(dir)) : null;
  if (!files || !pm) return noPostmortem(week);
  return postmortemSection(pm, week, files.filter((f) => f.endsWith('.png') && isFolder(f)).sort());
}

function weekPicker(weeks: readonly { week: string; outcome: string }[], current?: string): Html {
  return html`<form class="picker" method="get" action="/weeks/go"><label for="week-pick">Week</label>
<select id="week-pick" name="week">${weeks.map((w) => html`<option value="${w.week}"${w.week === current ? ' selected' : ''}>${w.week} (${w.outcome})</option>`)}</select>
<button type="submit">Show</button></form>`;
}

export function pageRoutes(ctx: WebContext, viewing: Viewing): Map<string, Handler> {
  const { app } = ctx;
  return new Map<string, Handler>([
    [
      'GET /weeks',
      viewing(ctx, 'web weeks', async () => {
        const weeks = await app.weeks();
        return {
          title: 'Weeks',
          current: '/weeks',
          live: true,
          body: html`<section class="card">${weeks.length ? weekPicker(weeks) : html`<p>The council has not run yet.</p>`}</section>
<section class="card"><div class="scroll"><table><thead><tr><th scope="col">Week</th><th scope="col">Decision</th><th scope="col">Proposal</th><th scope="col">Asked by</th></tr></thead><tbody>${weeks.map(
            (w) =>
              html`<tr><th scope="row"><a href="/weeks/${w.week}">${w.week}</a></th><td>${w.decision ? html`<span class="dir-${w.decision.direction.toLowerCase()}">${w.decision.direction} ${w.decision.instrument}</span>` : w.outcome}</td><td>${w.proposal ? html`<a href="/proposals/${w.proposal.id}">${w.proposal.status}</a>` : '—'}</td><td>${w.requestedBy ?? 'schedule'}</td></tr>`,
          )}</tbody></table></div></section>`,
        };
      }),
    ],
    [
      'GET /weeks/go',
      async (req, res) => {
        const week = new URL(req.url ?? '/', 'http://localhost').searchParams.get('week') ?? '';
        res.writeHead(303, { location: WEEK.test(week) ? `/weeks/${week}` : '/weeks', 'cache-control': 'no-store' });
        res.end();
      },
    ],
    [
      'GET /weeks/:week',
      viewing(ctx, 'web week', async (_req, { week = '' }) => {
        if (!WEEK.test(week)) throw new WebRequestError('BAD_REQUEST', 'a week is its Monday, like 2024-03-04');
        const [state, weeks] = await Promise.all([app.weekState(week), app.weeks()]);
        if (!state.started) throw notFound(`no run for the week of ${week}`);
        const [summary, postmortem] = await Promise.all([app.weekSummary(week, state), weekPostmortem(ctx, week)]);
        const checkpoints = await app.ports.store.read(`checkpoint:${app.councilId}:${week}`);
        const streams = (
          await Promise.all([`week:${app.councilId}:${week}`, `checkpoint:${app.councilId}:${week}`, `llm:${app.councilId}:${week}:`].map((p) => app.ports.store.streams(p)))
        ).flat();
        return {
          title: `Week of ${week}`,
          current: '/weeks',
          live: true,
          body: [
            weekPicker(weeks, week),
            weekBody(
              runJson(state, summary?.proposal?.status),
              checkpoints,
              [...streams.map((s) => s.stream), ...(state.proposal ? [`proposal:${state.proposal.proposalId}`, `refusals:${state.proposal.proposalId}`] : [])],
              postmortem,
            ),
          ],
        };
      }),
    ],
    [
      'GET /proposals/:id',
      viewing(ctx, 'web proposal', async (_req, { id = '' }, caller) => {
        if (!/^[\w-]{4,64}$/.test(id)) throw new WebRequestError('BAD_REQUEST', 'a proposal id like 2024-03-04-1a2b3c');
        const state = await app.proposal(id);
        return {
          title: `Proposal ${id}`,
          current: undefined,
          live: true,
          body: html`${proposalSection(state, caller, app.accounts)}
<section class="card"><h2>Its trail</h2>${await proposalTrail(app, id)}
<details><summary>Client order ids (${state.orders.length})</summary><p class="note">A stop adds <code>-sl</code>, a take-profit <code>-tp</code>; the Audit page finds any of them.</p><ul>${state.orders.map((o) => html`<li><code>${o.clientOrderId}</code>: ${o.side.toUpperCase()} ${o.qty} ${o.symbol} for ${o.account}${state.submitted[o.clientOrderId] ? html`, broker order <code>${state.submitted[o.clientOrderId]?.brokerOrderId}</code>` : ''}</li>`)}</ul></details>
${state.approvedBy ? html`<p>Approved by ${state.approvedBy.by} via ${state.approvedBy.via} at ${nyStamp(state.approvedBy.at)}${state.declined.length ? html`; declined for ${state.declined.join(', ')} (nothing placed there)` : ''}.</p>` : ''}
${state.rejected ? html`<p>Rejected by ${state.rejected.by} at ${nyStamp(state.rejected.at)}${state.rejected.reason ? html`: ${state.rejected.reason}` : ''}.</p>` : ''}
</section>`,
        };
      }),
    ],
    [
      'GET /leaderboard',
      viewing(ctx, 'web leaderboard', async (req) => {
        const asked = new URL(req.url ?? '/', 'http://localhost').searchParams.get('window') ?? '4w';
        const window = isLeaderboardWindow(asked) ? asked : '4w';
        const [board, record] = await Promise.all([app.leaderboard(window), app.equity(window)]);
        return {
          title: 'Leaderboard',
          current: '/leaderboard',
          live: true,
          body: html`<nav aria-label="Window" class="card">${LEADERBOARD_WINDOWS.map((w) => html`<a href="/leaderboard?window=${w}"${w === window ? html` aria-current="page"` : ''}>${w}</a> `)}</nav>
${leaderboardTable(board)}
${calibrationTable(board)}
${ledgerCharts(record)}`,
        };
      }),
    ],
    [
      'GET /audit',
      viewing(ctx, 'web audit', async (req) => {
        const asked = new URL(req.url ?? '/', 'http://localhost').searchParams;
        const prefix = asked.get('prefix') ?? '';
        const q = asked.get('q')?.trim() ?? '';
        const [streams, found] = await Promise.all([app.ports.store.streams(prefix), q ? findInAudit(app, q) : undefined]);
        return {
          title: 'Audit',
          current: '/audit',
          live: true,
          body: html`<section class="card"><form class="picker" method="get" action="/audit" role="search"><label for="q">Find an order, a proposal or a week</label><input id="q" name="q" value="${q}" placeholder="tc-2024-03-04-1a2b3c-council-spy-sl, 2024-03-04-1a2b3c or 2024-03-04" autocomplete="off"><button type="submit">Find</button></form></section>
${found ? await foundSection(app, found) : ''}
<section class="card"><form class="picker" method="get" action="/audit"><label for="prefix">Streams starting with</label><input id="prefix" name="prefix" value="${prefix}" placeholder="proposal: or week:main: or llm:main:2024-03-04:"><button type="submit">Filter</button></form></section>
<section class="card"><ul>${streams.map((s) => html`<li><a href="/audit/${encodeURIComponent(s.stream)}">${s.stream}</a> (${s.version} event${s.version === 1 ? '' : 's'})</li>`)}</ul></section>`,
        };
      }),
    ],
    [
      'GET /audit/:stream',
      viewing(ctx, 'web stream', async (_req, { stream = '' }) => {
        if (!STREAM.test(stream)) throw new WebRequestError('BAD_REQUEST', 'a stream name like proposal:2024-03-04-1a2b3c');
        const events = await app.ports.store.read(stream);
        return {
          title: stream,
          current: '/audit',
          live: true,
          body: html`<section class="card">${events.length ? '' : html`<p>No events.</p>`}${events.map(
            (
              e,
            ) => html`<div class="event" id="e-${e.version}"><strong>${e.version}. ${e.type}</strong> <time datetime="${e.recordedAt.toISOString()}">${nyStamp(e.recordedAt.toISOString())}</time>${llmLine(e.data)}
<details><summary>data</summary><pre>${JSON.stringify(e.data, null, 2)}</pre></details></div>`,
          )}</section>`,
        };
      }),
    ],
    [
      'GET /backtests',
      viewing(ctx, 'web backtests', async () => {
        const dir = join(app.config.dataDir, 'backtests');
        const folders = await readdir(dir, { withFileTypes: true }).catch(() => []);
        const names = folders
          .filter((f) => f.isDirectory())
          .map((f) => f.name)
          .sort()
          .reverse();
        return {
          title: 'Backtests',
          current: '/backtests',
          body: html`<section class="card">${names.length ? html`<ul>${names.map((n) => html`<li><a href="/backtests/${n}">${n}</a></li>`)}</ul>` : html`<p>No reports yet in ${dir}: <code>council backtest --from YYYY-MM-DD --to YYYY-MM-DD</code> writes one.</p>`}</section>`,
        };
      }),
    ],
    [
      'GET /backtests/:name',
      viewing(ctx, 'web backtest', async (_req, { name = '' }) => {
        if (!isFolder(name)) throw new WebRequestError('BAD_REQUEST', 'not a report folder');
        const dir = join(app.config.dataDir, 'backtests', name);
        const files = (await readdir(dir).catch(() => undefined)) ?? [];
        if (!files.length) throw notFound(`no report ${name}`);
        const md = files.find((f) => f.endsWith('.md'));
        const text = md ? await readFile(join(dir, md), 'utf8') : '';

        return {
          title: `Backtest ${name}`,
          current: '/backtests',
          body: html`${await reportCharts(dir)}
<section class="card"><h2>Files</h2><ul>${files.sort().map((f) => html`<li><a href="/backtests/${name}/${f}">${f}</a></li>`)}</ul></section>
${files.filter((f) => f.endsWith('.png')).map((f) => html`<section class="card"><img src="/backtests/${name}/${f}" alt="${f}" style="max-width:100%"></section>`)}
${text ? html`<section class="card"><h2>${md}</h2><pre>${text}</pre></section>` : ''}`,
        };
      }),
    ],
    ['GET /backtests/:name/:file', reportFile(ctx, ({ name = '' }) => (isFolder(name) ? join(app.config.dataDir, 'backtests', name) : undefined))],
    ['GET /weeks/:week/postmortem/:file', reportFile(ctx, ({ week = '' }) => (WEEK.test(week) ? postmortemDir(ctx, week) : undefined))],
  ]);
}

/** The model call's tokens, cost and latency, when the event is an LLM call record. */
function llmLine(data: unknown): Html | '' {
  const d = data as { model?: unknown; usage?: { promptTokens?: unknown; completionTokens?: unknown; costUsd?: unknown }; latencyMs?: unknown; outcome?: unknown };
  if (typeof d?.model !== 'string' || typeof d.latencyMs !== 'number' || !d.usage) return '';
  const cost = typeof d.usage.costUsd === 'number' ? d.usage.costUsd : 0;
  return html` · ${d.model}: ${String(d.outcome)}, ${String(d.usage.promptTokens)} in / ${String(d.usage.completionTokens)} out tokens, $${cost.toFixed(4)}, ${d.latencyMs} ms`;
}

/** A report file, served as it is (CSV and Markdown as text, PNG as an image), only from its own folder (`folderOf` the route's params, undefined when they name none). */
function reportFile(ctx: WebContext, folderOf: (params: Readonly<Record<string, string>>) => string | undefined): Handler {
  const TYPES: Record<string, string> = {
    '.png': 'image/png',
    '.csv': 'text/plain; charset=utf-8',
    '.md': 'text/plain; charset=utf-8',
    '.json': 'application/json; charset=utf-8',
  };
  const inner = async (_req: IncomingMessage, params: Readonly<Record<string, string>>) => {
    const { file = '' } = params;
    const folder = folderOf(params);
    if (!folder || !isFolder(file)) return undefined;
    const type = TYPES[file.slice(file.lastIndexOf('.'))];
    if (!type) return undefined;
    const path = join(folder, file);
    const info = await stat(path).catch(() => undefined);
    if (!info?.isFile()) return undefined;
    return { type, body: await readFile(path) };
  };
  return async (req, res, params) => {
    if (!(await callerOf(req, ctx.app, ctx.signIn))) {
      res.writeHead(401, { 'content-type': 'text/plain' });
      return void res.end('sign in first');
    }
    const found = await inner(req, params);
    if (!found) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      return void res.end('not found');
    }
    res.writeHead(200, { 'content-type': found.type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
    res.end(found.body);
  };
}
