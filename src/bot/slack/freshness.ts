/**
 * Slack's rule for signed requests is a timestamp within five minutes of now, either way. Bolt's HTTP
 * receiver refuses only old ones, so a request signed with a timestamp in the future stays replayable
 * until that time has passed. This guard answers those with 401 before Bolt sees them.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';

const WINDOW_SECONDS = 5 * 60;

/** Largest body the receiver buffers and signs: a click echoes its message (at most 50 blocks), far below this. */
export const SLACK_BODY_LIMIT = 1024 * 1024;

export function refuseFutureTimestamps(server: Server, nowSeconds: () => number = () => Date.now() / 1000): void {
  const bolt = server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const ts = Number(req.headers['x-slack-request-timestamp']);
    if (Number.isFinite(ts) && ts > nowSeconds() + WINDOW_SECONDS) {
      res.writeHead(401).end();
      return;
    }
    for (const listener of bolt) listener(req, res);
  });
}
