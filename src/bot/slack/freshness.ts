/**
 * The HTTP receiver's front door, in front of Bolt:
 * - Slack's rule for signed requests is a timestamp within five minutes of now, either way. Bolt
 *   refuses only old ones, so a request signed with a timestamp in the future would stay replayable
 *   until that time has passed: those get 401 here.
 * - The body is read once (at most SLACK_BODY_LIMIT, else 413), its signature checked (401), and the
 *   payload validated with zod (400): Bolt itself would hang on a signed `payload=null` and wait 3 s
 *   on a payload no listener matches. Bolt then reuses the body it finds already read.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { parse } from 'node:querystring';
import { isValidSlackRequest } from '@slack/bolt';
import { SlackBody } from './inbound.ts';

const WINDOW_SECONDS = 5 * 60;

/** Largest body the receiver buffers and signs: a click echoes its message (at most 50 blocks), far below this. */
export const SLACK_BODY_LIMIT = 1024 * 1024;

export interface FrontDoorOptions {
  signingSecret: string;
  nowSeconds?: () => number;
  /** Told why a request was turned away (logged by the caller). */
  onRefused?: (status: number, why: string) => void;
}

export function guardFrontDoor(server: Server, options: FrontDoorOptions): void {
  const nowSeconds = options.nowSeconds ?? (() => Date.now() / 1000);
  const bolt = server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
  server.removeAllListeners('request');
  const refuse = (res: ServerResponse, status: number, why: string) => {
    options.onRefused?.(status, why);
    res.writeHead(status).end();
  };
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const pass = () => {
      for (const listener of bolt) listener(req, res);
    };
    const ts = Number(req.headers['x-slack-request-timestamp']);
    if (Number.isFinite(ts) && ts > nowSeconds() + WINDOW_SECONDS) return refuse(res, 401, 'timestamp in the future');
    if (req.method !== 'POST') return pass();
    void readBody(req, SLACK_BODY_LIMIT).then(
      (raw) => {
        if (raw === undefined) return refuse(res, 413, 'body over the limit');
        const text = raw.toString('utf8');
        const form = req.headers['content-type'] === 'application/x-www-form-urlencoded';
        // Slack's SSL check is unsigned by design; Bolt answers it and drops anything else it carries.
        if (form && parse(text).ssl_check === '1') return handOver(req, raw, pass);
        const signature = req.headers['x-slack-signature'];
        if (
          typeof signature !== 'string' ||
          !isValidSlackRequest({ signingSecret: options.signingSecret, body: text, headers: { 'x-slack-signature': signature, 'x-slack-request-timestamp': ts } })
        )
          return refuse(res, 401, 'bad or missing signature');
        if (!SlackBody.safeParse(parsed(text, form)).success) return refuse(res, 400, 'not a payload this app handles');
        handOver(req, raw, pass);
      },
      () => refuse(res, 400, 'unreadable body'),
    );
  });
}

/** Bolt's receiver reads `rawBody` when it is already there instead of the (consumed) stream. */
function handOver(req: IncomingMessage, raw: Buffer, pass: () => void): void {
  (req as IncomingMessage & { rawBody: Buffer }).rawBody = raw;
  pass();
}

function parsed(text: string, form: boolean): unknown {
  try {
    if (!form) return JSON.parse(text);
    const fields = parse(text);
    return typeof fields.payload === 'string' ? JSON.parse(fields.payload) : fields;
  } catch {
    return undefined;
  }
}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  // Past the limit the rest is drained, not kept, so the client still reads its 413.
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size <= limit) chunks.push(chunk as Buffer);
  }
  return size > limit ? undefined : Buffer.concat(chunks);
}
