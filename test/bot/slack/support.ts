/** Signed Slack requests, the way Slack sends them, for driving the real Bolt receiver over HTTP. */
import { createHmac } from 'node:crypto';

export const SIGNING_SECRET = 'test-signing-secret';
export const BOT_TOKEN = 'xoxb-test-token';

export interface SendOptions {
  /** Seconds since the epoch for x-slack-request-timestamp; Bolt compares it with its own clock. */
  timestamp?: number;
  secret?: string;
  headers?: Record<string, string>;
}

export async function sendSigned(url: string, body: string, options: SendOptions = {}): Promise<Response> {
  const ts = options.timestamp ?? Math.floor(Date.now() / 1000);
  const signature = `v0=${createHmac('sha256', options.secret ?? SIGNING_SECRET)
    .update(`v0:${ts}:${body}`)
    .digest('hex')}`;
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': String(ts), 'x-slack-signature': signature, ...options.headers },
    body,
  });
}

let triggers = 0;

/** `team` defaults to T1, the workspace the fake Slack's auth.test names; `enterprise` is sent only when given. */
export function slashCommand(input: { text: string; user: string; channel: string; responseUrl: string; team?: string; enterprise?: string }): string {
  return new URLSearchParams({
    token: 'legacy-verification-token',
    team_id: input.team ?? 'T1',
    ...(input.enterprise ? { enterprise_id: input.enterprise } : {}),
    team_domain: 'fake',
    channel_id: input.channel,
    channel_name: 'council',
    user_id: input.user,
    user_name: input.user.toLowerCase(),
    command: '/council',
    text: input.text,
    api_app_id: 'A1',
    response_url: input.responseUrl,
    trigger_id: `trigger-${++triggers}`,
  }).toString();
}

export function buttonClick(input: { actionId: string; value: string; user: string; channel: string; messageTs: string; responseUrl: string }): string {
  return new URLSearchParams({
    payload: JSON.stringify({
      type: 'block_actions',
      user: { id: input.user, username: input.user.toLowerCase(), name: input.user.toLowerCase(), team_id: 'T1' },
      api_app_id: 'A1',
      token: 'legacy-verification-token',
      container: { type: 'message', message_ts: input.messageTs, channel_id: input.channel, is_ephemeral: false },
      trigger_id: `trigger-${++triggers}`,
      team: { id: 'T1', domain: 'fake' },
      channel: { id: input.channel, name: 'council' },
      message: { type: 'message', ts: input.messageTs, text: 'Council decision' },
      response_url: input.responseUrl,
      actions: [
        { type: 'button', action_id: input.actionId, block_id: 'proposal_actions', text: { type: 'plain_text', text: 'Approve' }, value: input.value, action_ts: '1709550000.1' },
      ],
    }),
  }).toString();
}

/** A modal's submission or a click on a view, as Slack posts it: `payload=<JSON>`, signed. */
export const sendPayload = (url: string, payload: Record<string, unknown>, options: SendOptions = {}) =>
  sendSigned(url, new URLSearchParams({ payload: JSON.stringify(payload) }).toString(), options);

/** An Events API callback, as Slack posts it: a JSON body, signed. */
export const sendEvent = (url: string, body: Record<string, unknown>) => sendSigned(url, JSON.stringify(body), { headers: { 'content-type': 'application/json' } });
