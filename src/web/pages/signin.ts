/** The pages around signing in: the link's landing page (a button, so a link preview uses nothing), refusals, and "sign in first". */
import { type Html, html } from './html.ts';
import { page } from './layout.ts';

export function signInPage(token: string): Html {
  return page({
    title: 'Sign in',
    current: undefined,
    caller: undefined,
    body: html`<section class="card"><p>This one-time link signs you in to the council's dashboard. It works once, within 10 minutes of being asked for.</p>
<form method="post" action="/signin"><input type="hidden" name="token" value="${token}"><button type="submit" class="primary">Sign in</button></form></section>`,
  });
}

const REASONS: Record<string, string> = {
  used: 'This sign-in link was already used.',
  expired: 'This sign-in link has expired (links last 10 minutes).',
  'bad signature': 'This sign-in link is not valid.',
  malformed: 'This sign-in link is not valid.',
  foreign: 'Sign-in is only accepted from the dashboard itself.',
};

export function refusedPage(reason: string): Html {
  return page({
    title: 'Sign-in refused',
    current: undefined,
    caller: undefined,
    body: html`<section class="card"><p>${REASONS[reason] ?? 'This sign-in link cannot be used.'} Ask for a new one: <code>/council web</code> in chat, or <code>council web-login</code> on the server.</p></section>`,
  });
}

export function signedOutPage(): Html {
  return page({
    title: 'Sign in',
    current: undefined,
    caller: undefined,
    body: html`<section class="card"><p>The dashboard is for the council's members. Ask for a one-time sign-in link: <code>/council web</code> in Slack, Discord or the console, or <code>council web-login</code> on the server.</p></section>`,
  });
}
