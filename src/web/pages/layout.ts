/**
 * The frame every dashboard page shares: the navigation, who is signed in (and Sign out), the live
 * status line, the stylesheet and the one small script (assets.ts). Pages read fine without the script.
 */
import type { Caller } from '../auth.ts';
import { type Html, html, type HtmlValue } from './html.ts';

export const NAV = [
  ['/', 'Overview'],
  ['/weeks', 'Weeks'],
  ['/leaderboard', 'Leaderboard'],
  ['/audit', 'Audit'],
  ['/backtests', 'Backtests'],
] as const;

export interface PageFrame {
  title: string;
  /** Which NAV entry is this page's. */
  current: (typeof NAV)[number][0] | undefined;
  caller: Caller | undefined;
  body: HtmlValue;
  /** The page's live part: the events that make it refresh (SSE), when any. */
  live?: boolean;
  /** The event store's global position read before the page was built: its live stream catches up from there. */
  position?: string;
}

export function page(frame: PageFrame): Html {
  const { caller } = frame;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${frame.title} · trading council</title>
<link rel="stylesheet" href="/assets/dashboard.css">
${caller ? html`<meta name="csrf-token" content="${caller.csrf}">` : ''}
<script src="/assets/dashboard.js" defer></script>
</head>
<body${frame.live ? html` data-live="1"${frame.position ? html` data-position="${frame.position}"` : ''}` : ''}>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
  <span class="brand">trading council</span>
  ${
    caller
      ? html`<nav aria-label="Sections"><ul>${NAV.map(
          ([href, label]) => html`<li><a href="${href}"${frame.current === href ? html` aria-current="page"` : ''}>${label}</a></li>`,
        )}</ul></nav>
  <form class="who" method="post" action="/signout">
    <span>${caller.principal}${caller.approver ? ' · approver' : ' · read only'}</span>
    <input type="hidden" name="csrf" value="${caller.csrf}">
    <button type="submit" class="link">Sign out</button>
  </form>`
      : ''
  }
</header>
<p id="live" class="live" role="status" aria-live="polite"></p>
<main id="main">
<h1>${frame.title}</h1>
${frame.body}
</main>
</body>
</html>
`;
}
