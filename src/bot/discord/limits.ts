/**
 * Discord's message limits, enforced in one place so no renderer can produce a payload the API
 * refuses with a 400 (which would lose the notice). Text is cut with an ellipsis, never dropped.
 */
import type { APIEmbed, APIEmbedField } from 'discord-api-types/v10';
import { truncate } from '../format.ts';

export const LIMITS = {
  content: 2000,
  embedsPerMessage: 10,
  charsPerMessage: 6000,
  title: 256,
  description: 4096,
  fields: 25,
  fieldName: 256,
  fieldValue: 1024,
  footer: 2048,
  author: 256,
  buttonsPerRow: 5,
  rowsPerMessage: 5,
  customId: 100,
  buttonLabel: 80,
  threadName: 100,
} as const;

/** Every character Discord counts towards a message's 6000. */
export function embedLength(e: APIEmbed): number {
  return (
    (e.title?.length ?? 0) +
    (e.description?.length ?? 0) +
    (e.footer?.text.length ?? 0) +
    (e.author?.name.length ?? 0) +
    (e.fields ?? []).reduce((n, f) => n + f.name.length + f.value.length, 0)
  );
}

const field = (f: APIEmbedField): APIEmbedField => ({
  name: truncate(f.name || '\u200b', LIMITS.fieldName),
  value: truncate(f.value || '\u200b', LIMITS.fieldValue),
  ...(f.inline ? { inline: true } : {}),
});

/** One embed within the per-embed limits and, by shortening its longest parts, within the message total. */
export function fitEmbed(e: APIEmbed, budget: number = LIMITS.charsPerMessage): APIEmbed {
  const fields = (e.fields ?? []).map(field);
  if (fields.length > LIMITS.fields) fields.splice(LIMITS.fields - 1, fields.length, { name: '…', value: `${fields.length - LIMITS.fields + 1} more not shown` });
  const out: APIEmbed = {
    ...e,
    ...(e.title !== undefined ? { title: truncate(e.title, LIMITS.title) } : {}),
    ...(e.description !== undefined ? { description: truncate(e.description, LIMITS.description) } : {}),
    ...(e.footer ? { footer: { ...e.footer, text: truncate(e.footer.text, LIMITS.footer) } } : {}),
    ...(e.author ? { author: { ...e.author, name: truncate(e.author.name, LIMITS.author) } } : {}),
    ...(fields.length ? { fields } : {}),
  };
  // Over budget: halve the longest text until it fits; titles stay, they say what the embed is.
  for (let excess = embedLength(out) - budget; excess > 0; excess = embedLength(out) - budget) {
    const parts = [
      ...(out.description
        ? [
            {
              len: out.description.length,
              cut: (n: number) => {
                out.description = truncate(out.description!, n);
              },
            },
          ]
        : []),
      ...(out.fields ?? []).map((f) => ({
        len: f.value.length,
        cut: (n: number) => {
          f.value = truncate(f.value, n);
        },
      })),
    ];
    const longest = parts.sort((a, b) => b.len - a.len)[0];
    if (!longest || longest.len <= 1) break;
    longest.cut(Math.max(1, Math.min(longest.len - excess, Math.ceil(longest.len / 2))));
  }
  return out;
}

/** Packs embeds, in order, into as few messages as the 10-embed and 6000-character limits allow. */
export function packEmbeds(embeds: readonly APIEmbed[]): APIEmbed[][] {
  const messages: APIEmbed[][] = [];
  let current: APIEmbed[] = [];
  let size = 0;
  for (const raw of embeds) {
    const e = fitEmbed(raw);
    const len = embedLength(e);
    if (current.length && (current.length === LIMITS.embedsPerMessage || size + len > LIMITS.charsPerMessage)) {
      messages.push(current);
      current = [];
      size = 0;
    }
    current.push(e);
    size += len;
  }
  if (current.length) messages.push(current);
  return messages;
}

export const clampContent = (text: string): string => truncate(text, LIMITS.content);
