/**
 * No secret is stored: every event appended through this store is scrubbed of every configured secret
 * (src/redact.ts) first. Events carry upstream text (a seat's error, a broker's refusal reason), and an
 * upstream may echo the credentials it was sent; the log is read by every channel and kept for ever.
 */
import type { Redactor } from '../redact.ts';
import type { EventStore, NewEvent } from './port.ts';

export function redactAppends(inner: EventStore, redact: Redactor): EventStore {
  if (redact.secrets === 0) return inner;
  const scrub = (events: readonly NewEvent[]) => redact.value(events);
  return {
    append: (stream, expectedVersion, events) => inner.append(stream, expectedVersion, scrub(events)),
    appendAtHead: (stream, events) => inner.appendAtHead(stream, scrub(events)),
    appendMany: (appends) => inner.appendMany(appends.map((a) => ({ ...a, events: scrub(a.events) }))),
    read: (stream) => inner.read(stream),
    readAll: (options) => inner.readAll(options),
    streams: (prefix) => inner.streams(prefix),
  };
}
