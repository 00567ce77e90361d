/**
 * Redaction by value (issue 13, item 6): every configured secret, in every form an upstream may echo it,
 * is replaced in logs and in what users read, and an unexpected error reaches a user only as its class
 * and an error id.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.ts';
import { CommandError } from '../src/bot/commands.ts';
import { OrderRejectedError } from '../src/brokers/port.ts';
import { ProposalError } from '../src/domain/proposal.ts';
import { createLogger } from '../src/logger.ts';
import { createRedactor, REDACTED, redactorFor, secretsOf, userErrorText } from '../src/redact.ts';
import { createMemoryEventStore } from '../src/store/memory.ts';
import { DatabaseUnavailableError } from '../src/store/port.ts';
import { redactAppends } from '../src/store/redacting.ts';

const KEY_ID = 'PKSECRETKEYID0042';
const SECRET = 'alpaca/secret+with=odd&chars"9';

function capture(): { stream: Writable; lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    stream: new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    }),
  };
}

describe('Redacting secrets by value', () => {
  const redact = createRedactor([KEY_ID, SECRET]);

  it('When a text holds a secret plain, URL-encoded, JSON-escaped or in base64, Then every form is replaced', () => {
    for (const form of [
      SECRET,
      encodeURIComponent(SECRET),
      JSON.stringify(SECRET).slice(1, -1),
      Buffer.from(SECRET).toString('base64'),
      Buffer.from(SECRET).toString('base64url'),
    ]) {
      const out = redact.text(`upstream said: <${form}> end`);
      expect(out).toBe(`upstream said: <${REDACTED}> end`);
    }
  });

  it('When a secret is inside a longer base64 text at any byte alignment (Basic keyId:secret), Then no recognisable part of it is left', () => {
    for (const prefix of ['', 'a', 'ab', `${KEY_ID}:`]) {
      const header = `Authorization: Basic ${Buffer.from(`${prefix}${SECRET}`).toString('base64')}`;
      const out = redact.text(header);
      expect(out).toContain(REDACTED);
      // What is left cannot be decoded back to the secret.
      expect(Buffer.from(out.replace(/^.*Basic /, '').replaceAll(REDACTED, ''), 'base64').toString('latin1')).not.toContain(SECRET.slice(3, -3));
    }
  });

  it('When an error, an array and a nested object carry a secret, Then a copy is scrubbed, the class survives, and values without secrets are returned as they are', () => {
    const error = Object.assign(new ProposalError('NOT_FOUND', `no proposal for key ${KEY_ID}`), { body: { echoed: SECRET } });
    const out = redact.value({ list: [error], plain: { n: 1 } });
    const copy = out.list[0] as ProposalError & { body: { echoed: string } };
    expect(copy).toBeInstanceOf(ProposalError);
    expect(copy.code).toBe('NOT_FOUND');
    expect(copy.message).toBe(`no proposal for key ${REDACTED}`);
    expect(copy.stack).not.toContain(KEY_ID);
    expect(copy.body.echoed).toBe(REDACTED);
    expect(error.message).toContain(KEY_ID);
    const clean = { a: [1, 'two'], b: { c: 'three' } };
    expect(redact.value(clean)).toBe(clean);
  });

  it('When the configuration holds keys, tokens and a database URL with a password, Then each is a secret, and values too short to be one are not', () => {
    const config = loadConfig({
      LLM_API_KEY: 'sk-live-123456',
      ALPACA_COUNCIL_KEY_ID: KEY_ID,
      ALPACA_COUNCIL_SECRET: SECRET,
      SLACK_BOT_TOKEN: 'xoxb-1234567',
      SLACK_SIGNING_SECRET: 'signing-123',
      DISCORD_TOKEN: 'discord.token.1',
      DATABASE_URL: 'postgres://council:p%40ss-word@db.internal:5432/council',
    });
    expect(secretsOf(config)).toEqual(expect.arrayContaining(['sk-live-123456', KEY_ID, SECRET, 'xoxb-1234567', 'signing-123', 'discord.token.1', 'p%40ss-word', 'p@ss-word']));
    expect(redactorFor(config).text('connect to council:p@ss-word@db')).toBe(`connect to council:${REDACTED}@db`);
    expect(createRedactor(['abc']).text('abc')).toBe('abc');
  });

  it('When the logger writes a line whose fields echo a secret under any name, Then the line carries none of its forms', () => {
    const { stream, lines } = capture();
    const logger = createLogger('info', stream, 'json', redact);
    logger.error(
      { err: new Error(`Alpaca 403: key ${KEY_ID} secret ${SECRET}`), responseBody: { echo: encodeURIComponent(SECRET) } },
      `failed for ${Buffer.from(SECRET).toString('base64')}`,
    );
    expect(lines).toHaveLength(1);
    for (const form of [KEY_ID, SECRET, encodeURIComponent(SECRET), JSON.stringify(SECRET).slice(1, -1), Buffer.from(SECRET).toString('base64')])
      expect(lines[0]).not.toContain(form);
    expect(JSON.parse(lines[0]!).msg).toBe(`failed for ${REDACTED}`);
  });

  it('When an upstream error reaches a user, Then they read its class and an id, and the log holds the whole error under that id, redacted', () => {
    const { stream, lines } = capture();
    const logger = createLogger('info', stream, 'json', redact);
    const upstream = Object.assign(new Error(`forbidden for ${KEY_ID}`), { name: 'PermissionError', status: 403 });
    const text = userErrorText(upstream, { logger, redact, newId: () => 'e1d2c3b4' }, 'status');
    expect(text).toEqual({ kind: 'internal', summary: 'PermissionError (HTTP 403)', errorId: 'e1d2c3b4' });
    const logged = JSON.parse(lines[0]!);
    expect(logged.errorId).toBe('e1d2c3b4');
    expect(logged.err.message).toBe(`forbidden for ${REDACTED}`);

    const user = userErrorText(new ProposalError('UNAUTHORISED', `${KEY_ID} may not approve`), { logger, redact }, 'approve');
    expect(user).toEqual({ kind: 'user', message: `${REDACTED} may not approve` });
  });

  it('When any user-facing error reaches a user, Then its own message is shown, and an error of another class only as its class and an id', () => {
    const logger = createLogger('info', capture().stream, 'json', redact);
    const deps = { logger, redact, newId: () => 'a1b2c3d4' };
    for (const error of [new CommandError('unknown command "x"'), new ProposalError('HALTED', 'trading is halted'), new DatabaseUnavailableError('connection refused')])
      expect(userErrorText(error, deps, 'chat')).toEqual({ kind: 'user', message: error.message });
    // A broker's refusal quotes the broker: internal, however plain it reads.
    expect(userErrorText(new OrderRejectedError(`Alpaca refused: ${KEY_ID}`), deps, 'chat')).toEqual({ kind: 'internal', summary: 'OrderRejectedError', errorId: 'a1b2c3d4' });
  });

  it('When an event carrying an echoed secret is appended through the redacting store, Then the stored event holds none', async () => {
    const store = redactAppends(createMemoryEventStore(), redact);
    await store.append('proposal:p', 0, [{ type: 'OrderRejected', data: { reason: `Alpaca refused: bad key ${KEY_ID}` } }]);
    await store.appendAtHead('refusals:p', [{ type: 'ApprovalRefused', data: { by: SECRET } }]);
    expect(JSON.stringify(await store.readAll())).not.toMatch(new RegExp(`${KEY_ID}|secret\\+with`));
  });
});
