/**
 * The dashboard's static files: its stylesheet and its one small script, kept here as text (the sources
 * run as they are, with no build step to copy files), and uPlot, the charting library, served from
 * node_modules. Cached for an hour: they change only with the installed version.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Handler } from './server.ts';

const CSS = `
:root { color-scheme: light dark; --bg: #f6f7f9; --fg: #14171c; --muted: #4a5260; --card: #fff; --line: #d5d9e0; --accent: #0b57d0;
  --long: #0a7a3d; --short: #b3261e; --flat: #5f6368; --up: #0a7a3d; --down: #b3261e; }
@media (prefers-color-scheme: dark) { :root { --bg: #111418; --fg: #e8eaed; --muted: #b0b6bf; --card: #1b1f24; --line: #343a42; --accent: #8ab4f8;
  --long: #6dd58c; --short: #f28b82; --flat: #bdc1c6; --up: #6dd58c; --down: #f28b82; } }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: var(--bg); color: var(--fg); }
a { color: var(--accent); }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible, summary:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.skip { position: absolute; left: -999px; } .skip:focus { left: 8px; top: 8px; background: var(--card); padding: 8px; z-index: 2; }
.top { display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: center; padding: 10px 16px; background: var(--card); border-bottom: 1px solid var(--line); }
.brand { font-weight: 700; }
.top nav ul { display: flex; flex-wrap: wrap; gap: 4px 14px; list-style: none; margin: 0; padding: 0; }
.top nav a { text-decoration: none; padding: 6px 2px; display: inline-block; }
nav.card a { display: inline-block; padding: 6px 8px; } nav.card a[aria-current="page"] { font-weight: 700; text-decoration: none; border-bottom: 3px solid var(--accent); }
.top nav a[aria-current="page"] { font-weight: 700; border-bottom: 3px solid var(--accent); }
.who { margin-left: auto; display: flex; gap: 8px; align-items: center; color: var(--muted); font-size: 14px; }
main { max-width: 1100px; margin: 0 auto; padding: 8px 16px 48px; }
h1 { font-size: 24px; margin: 12px 0; }
h2 { font-size: 19px; margin: 0 0 8px; }
h3 { font-size: 16px; margin: 14px 0 6px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 14px 16px; margin: 12px 0; }
.live { max-width: 1100px; margin: 0 auto; padding: 0 16px; min-height: 1.2em; color: var(--muted); font-size: 13px; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 15px; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.sub { display: block; font-weight: 400; font-size: 12px; color: var(--muted); }
.up { color: var(--up); } .down { color: var(--down); }
.pos { display: inline-block; margin-right: 12px; white-space: nowrap; }
.note { color: var(--muted); font-size: 14px; }
.badge { font-size: 13px; padding: 2px 8px; border-radius: 999px; border: 1px solid var(--line); vertical-align: middle; }
.status-pending { background: #fff3c4; color: #5c4400; } .status-approved, .status-executed { background: #d3f5dc; color: #0b4d24; }
.status-rejected, .status-expired { background: #fde0dc; color: #7a1610; }
.dir-long { color: var(--long); } .dir-short { color: var(--short); } .dir-flat { color: var(--flat); }
.side-buy { color: var(--long); font-weight: 600; } .side-sell { color: var(--short); font-weight: 600; }
.actions { display: flex; flex-wrap: wrap; gap: 16px; margin-top: 12px; }
.actions form { flex: 1 1 260px; border: 1px solid var(--line); border-radius: 8px; padding: 10px; }
fieldset { border: 0; padding: 0; margin: 0 0 8px; } legend { font-weight: 600; margin-bottom: 4px; }
.check { display: inline-flex; align-items: center; gap: 6px; margin: 4px 14px 4px 0; min-height: 32px; }
input[type=checkbox] { width: 20px; height: 20px; }
input:not([type]), input[type=text] { width: 100%; padding: 8px; font: inherit; border: 1px solid var(--line); border-radius: 6px; background: var(--bg); color: var(--fg); margin: 4px 0 8px; }
button { font: inherit; padding: 10px 18px; border-radius: 8px; border: 1px solid var(--line); background: var(--card); color: var(--fg); cursor: pointer; min-height: 44px; }
button.primary { background: #0b57d0; border-color: #0b57d0; color: #fff; font-weight: 600; }
button.danger { background: #b3261e; border-color: #b3261e; color: #fff; font-weight: 600; }
button.link { border: 0; background: none; color: var(--accent); text-decoration: underline; padding: 4px; min-height: 0; }
.controls { display: flex; flex-wrap: wrap; gap: 10px; margin-top: 8px; } form.inline { display: inline; } button.small { padding: 4px 10px; min-height: 32px; font-size: 14px; margin-left: 8px; }
a.button { display: inline-block; padding: 4px 10px; border-radius: 8px; border: 1px solid var(--line); text-decoration: none; } a.button.small { font-size: 14px; margin-left: 8px; }
.state-halted { border-left: 6px solid var(--short); } .state-paused { border-left: 6px solid #c77700; } .state-running { border-left: 6px solid var(--long); }
.pitches { display: grid; grid-template-columns: repeat(auto-fill, minmax(260px, 1fr)); gap: 12px; }
.pitch { border-radius: 10px; padding: 12px 14px; border: 1px solid var(--line); border-left-width: 8px; }
.pitch.dir-long { border-left-color: var(--long); } .pitch.dir-short { border-left-color: var(--short); } .pitch.dir-flat { border-left-color: var(--flat); }
.pitch h3 { margin-top: 0; }
.heat td.score { text-align: center; font-variant-numeric: tabular-nums; color: #111; }
.heat th { font-size: 13px; }
.kill { font-size: 14px; overflow-wrap: anywhere; } .narrow { display: none; }
.picker { display: flex; gap: 8px; align-items: end; flex-wrap: wrap; }
.picker select { font: inherit; padding: 8px; min-height: 44px; }
pre { white-space: pre-wrap; word-break: break-word; font-size: 13px; background: var(--bg); padding: 8px; border-radius: 6px; max-height: 480px; overflow: auto; }
details summary { cursor: pointer; padding: 4px 0; }
.chart { width: 100%; min-height: 320px; }
.event { border-bottom: 1px solid var(--line); padding: 6px 0; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(320px, 1fr)); gap: 12px; } .charts figure { margin: 0; } .charts img { width: 100%; height: auto; border: 1px solid var(--line); border-radius: 6px; background: #fff; }
.timeline > li { margin: 8px 0; } .timeline table { margin-top: 4px; font-size: 14px; }
.verdict-watch { font-weight: 600; } .verdict-invalidated { color: var(--down); font-weight: 600; }
tr.council th, tr.council td { font-weight: 600; }
@media (max-width: 600px) { .opt { display: none; } body { font-size: 15px; } main { padding: 4px 10px 40px; } .card { padding: 12px; } table { font-size: 14px; } th, td { padding: 5px 4px; } .wide { display: none; } tr.narrow { display: table-row; } .heat th, .heat td { padding-left: 3px; padding-right: 3px; } .who { margin-left: 0; } }
`;

/**
 * The enhancement: the page follows the council's events (server-sent, /events) and swaps in its fresh
 * main part within a second or two of one, unless the reader is typing in a form. Charts draw with uPlot
 * from the JSON the page embeds. Everything works without it.
 */
const JS = `(() => {
  const live = document.getElementById('live');
  const say = (t) => { if (live) live.textContent = t; };
  const time = () => new Date().toLocaleTimeString('en-US', { timeZone: 'America/New_York', hour: '2-digit', minute: '2-digit', second: '2-digit' }) + ' ET';
  let pending = false;
  async function refresh() {
    const active = document.activeElement;
    if (active && active.closest && active.closest('main form')) { pending = true; say('New events: the page refreshes when you leave the form.'); return; }
    pending = false;
    const res = await fetch(location.href, { headers: { accept: 'text/html' }, credentials: 'same-origin' });
    if (!res.ok) return;
    const doc = new DOMParser().parseFromString(await res.text(), 'text/html');
    const next = doc.getElementById('main');
    const main = document.getElementById('main');
    if (next && main) { main.replaceWith(next); drawCharts(); }
    say('Updated ' + time());
  }
  document.addEventListener('focusout', () => { if (pending) setTimeout(refresh, 0); });
  if (document.body.dataset.live && window.EventSource) {
    const since = document.body.dataset.position;
    const source = new EventSource('/events' + (since ? '?since=' + encodeURIComponent(since) : ''));
    let timer;
    source.addEventListener('change', () => { clearTimeout(timer); timer = setTimeout(refresh, 150); });
    source.addEventListener('open', () => say('Live'));
    source.addEventListener('error', () => say('Live updates paused; retrying'));
  }
  function drawCharts() {
    if (!window.uPlot) return;
    for (const el of document.querySelectorAll('[data-chart]')) {
      if (el.dataset.drawn) continue;
      const spec = JSON.parse(el.querySelector('script[type="application/json"]').textContent);
      const palette = ['#0b57d0', '#b3261e', '#0a7a3d', '#c77700', '#7b1fa2', '#00838f', '#5d4037', '#455a64'];
      const width = Math.max(280, el.clientWidth);
      // Sessions are New York dates: ticks and the hover read as dates there, whoever looks and from wherever.
      const DAY = 86400;
      const nyDay = (t, o) => new Date(t * 1000).toLocaleDateString('en-US', Object.assign({ timeZone: 'America/New_York' }, o));
      const step = (vals) => vals.length > 1 ? Math.abs(vals[1] - vals[0]) : 0;
      // Ticks as precise as their spacing: -2.5%, not -3%; $99,870, not $99.9k three times.
      const usd = (vals) => { const s = step(vals); return vals.map((v) => s >= 1000 ? '$' + +(v / 1000).toFixed(s >= 10000 ? 0 : 1) + 'k' : '$' + (+v.toFixed(s >= 1 ? 0 : 2)).toLocaleString('en-US')); };
      const pct = (vals) => { const s = step(vals) * 100; return vals.map((v) => +(v * 100).toFixed(s >= 1 ? 1 : s >= 0.1 ? 2 : 3) + '%'); };
      const opts = {
        width, height: 320, title: spec.title,
        tzDate: (t) => window.uPlot.tzDate(new Date(t * 1000), 'America/New_York'),
        scales: { x: { time: true } },
        series: [{ label: 'Session close', value: (u, t) => t == null ? '' : nyDay(t, { weekday: 'short', year: 'numeric', month: 'short', day: 'numeric' }) }].concat(spec.series.map((name, i) => ({ label: name, stroke: palette[i % palette.length], width: name === spec.highlight ? 3 : 1.5, value: (u, v) => v == null ? '' : spec.format === 'pct' ? (v * 100).toFixed(2) + '%' : '$' + v.toLocaleString('en-US', { maximumFractionDigits: 0 }) }))),
        axes: [
          { incrs: [DAY, 2 * DAY, 7 * DAY, 14 * DAY, 30 * DAY, 91 * DAY, 182 * DAY, 365 * DAY], values: (u, vals, axis, space, incr) => vals.map((t) => nyDay(t, incr >= 28 * DAY ? { month: 'short', year: 'numeric' } : { month: 'short', day: 'numeric' })) },
          { values: (u, vals) => spec.format === 'pct' ? pct(vals) : usd(vals), size: 80 },
        ],
        cursor: { drag: { x: true, y: false } },
      };
      el.dataset.drawn = '1';
      const fallback = el.querySelector('.fallback'); if (fallback) fallback.hidden = true;
      new window.uPlot(opts, spec.data, el);
    }
  }
  // uPlot's script comes after this one (deferred scripts run in order): draw once everything has loaded.
  if (document.readyState === 'complete') drawCharts(); else window.addEventListener('load', drawCharts);
})();
`;

const require = createRequire(import.meta.url);

/** uPlot's browser build and stylesheet, read once from node_modules (a dependency, so present after npm ci --omit=dev). */
function uplotFile(name: 'uPlot.iife.min.js' | 'uPlot.min.css'): string {
  return readFileSync(require.resolve(`uplot/dist/${name}`), 'utf8');
}

function asset(type: string, body: () => string): Handler {
  let text: string | undefined;
  return (_req, res) => {
    text ??= body();
    res.writeHead(200, { 'content-type': `${type}; charset=utf-8`, 'cache-control': 'public, max-age=3600', 'x-content-type-options': 'nosniff' });
    res.end(text);
  };
}

export function assetRoutes(): Map<string, Handler> {
  return new Map([
    ['GET /assets/dashboard.css', asset('text/css', () => CSS)],
    ['GET /assets/dashboard.js', asset('text/javascript', () => JS)],
    ['GET /assets/uplot.js', asset('text/javascript', () => uplotFile('uPlot.iife.min.js'))],
    ['GET /assets/uplot.css', asset('text/css', () => uplotFile('uPlot.min.css'))],
    [
      'GET /favicon.ico',
      (_req, res) => {
        res.writeHead(204, { 'cache-control': 'public, max-age=86400' });
        res.end();
      },
    ],
  ]);
}
