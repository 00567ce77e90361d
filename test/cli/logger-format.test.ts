/** Log lines as people read them: human on a terminal, JSON for machines, secrets redacted in both. */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.ts';

function capture(isTTY: boolean) {
  const stream = Object.assign(new PassThrough(), { isTTY });
  let text = '';
  stream.on('data', (d) => (text += d));
  return { stream, text: () => text };
}

describe('Log format', () => {
  it('Given a terminal, When a record is logged, Then it is one human line with its fields, and a secret stays redacted', () => {
    const out = capture(true);
    const logger = createLogger('info', out.stream);
    logger.info({ week: '2024-03-04', config: { slack: { botToken: 'xoxb-secret' } } }, 'council convened');
    expect(out.text()).toMatch(/^\S+ .*INFO.* council convened .*week=2024-03-04/);
    expect(out.text().trim().split('\n')).toHaveLength(1);
    expect(out.text()).not.toContain('xoxb-secret');
  });

  it('Given no terminal, Then JSON lines; and LOG_FORMAT forces either way', () => {
    const pipe = capture(false);
    createLogger('info', pipe.stream).warn({ errorId: 'ab12cd34' }, 'slow');
    expect(JSON.parse(pipe.text())).toMatchObject({ level: 40, msg: 'slow', errorId: 'ab12cd34' });
    const forcedJson = capture(true);
    createLogger('info', forcedJson.stream, 'json').info('x');
    expect(JSON.parse(forcedJson.text())).toMatchObject({ msg: 'x' });
    const forcedPretty = capture(false);
    createLogger('info', forcedPretty.stream, 'pretty').error({ err: new Error('boom') }, 'failed');
    expect(forcedPretty.text()).toMatch(/ERROR failed\n {4}Error: boom\n/);
    expect(forcedPretty.text()).not.toContain('\x1b['); // no colour codes off a terminal
  });
});
