/**
 * Block Kit builders that cannot produce a message Slack would refuse: every builder clamps to the
 * limits below, and `fitMessage` caps the block count. The renderer only ever builds through these.
 */
import type { types } from '@slack/bolt';
import { truncate } from '../format.ts';

export type Block = types.KnownBlock;

/** Slack's documented limits (https://docs.slack.dev/reference/block-kit). */
export const LIMITS = {
  blocks: 50,
  text: 3000,
  header: 150,
  fields: 10,
  fieldText: 2000,
  contextElements: 10,
  buttonText: 75,
  actionId: 255,
  actionValue: 255,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  fallbackText: 4000,
} as const;

export interface SlackMessage {
  /** The notification and screen-reader text; Slack shows it where blocks cannot be shown. */
  text: string;
  blocks: Block[];
}

/** Escapes the three characters mrkdwn treats as markup, so model text can never ping @channel or forge links. */
export const esc = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

const mrkdwn = (text: string, max: number = LIMITS.text) => ({ type: 'mrkdwn' as const, text: truncate(text, max) });
const plain = (text: string, max: number) => ({ type: 'plain_text' as const, text: truncate(text, max), emoji: true });

export const header = (text: string): Block => ({ type: 'header', text: plain(text, LIMITS.header) });

export const section = (text: string): Block => ({ type: 'section', text: mrkdwn(text || ' ') });

export const divider = (): Block => ({ type: 'divider' });

export const context = (...texts: string[]): Block => ({
  type: 'context',
  elements: texts.slice(0, LIMITS.contextElements).map((t) => mrkdwn(t || ' ')),
});

/** Short label/value pairs, two columns; more than ten become several sections. */
export function fields(pairs: readonly string[]): Block[] {
  const blocks: Block[] = [];
  for (let i = 0; i < pairs.length; i += LIMITS.fields) blocks.push({ type: 'section', fields: pairs.slice(i, i + LIMITS.fields).map((p) => mrkdwn(p || ' ', LIMITS.fieldText)) });
  return blocks;
}

/**
 * Lines packed into as few sections as the text limit allows, never splitting a line unless the line
 * alone is too long. `wrap` renders a chunk (for example as a code block) and must not add more than
 * `overhead` characters.
 */
export function packLines(lines: readonly string[], wrap: (chunk: string) => string = (c) => c, overhead = 0): Block[] {
  const max = LIMITS.text - overhead;
  const chunks: string[] = [];
  let current = '';
  for (const raw of lines) {
    const line = truncate(raw, max);
    if (current && current.length + 1 + line.length > max) {
      chunks.push(current);
      current = line;
    } else current = current ? `${current}\n${line}` : line;
  }
  if (current) chunks.push(current);
  return chunks.map((c) => section(wrap(c)));
}

export const codeBlock = (lines: readonly string[]): Block[] => packLines(lines, (c) => `\`\`\`${c}\`\`\``, 6);

export interface ButtonSpec {
  text: string;
  actionId: string;
  value: string;
  style?: 'primary' | 'danger';
  confirm?: { title: string; text: string; confirm: string; deny: string };
}

export function actions(blockId: string, buttons: readonly ButtonSpec[]): Block {
  for (const b of buttons)
    if (b.actionId.length > LIMITS.actionId || b.value.length > LIMITS.actionValue) throw new RangeError(`action ${b.actionId.slice(0, 40)} is longer than Slack accepts`);
  return {
    type: 'actions',
    block_id: blockId,
    elements: buttons.map((b) => ({
      type: 'button' as const,
      text: plain(b.text, LIMITS.buttonText),
      action_id: b.actionId,
      value: b.value,
      ...(b.style ? { style: b.style } : {}),
      ...(b.confirm
        ? {
            confirm: {
              title: plain(b.confirm.title, LIMITS.confirmTitle),
              text: mrkdwn(b.confirm.text, LIMITS.confirmText),
              confirm: plain(b.confirm.confirm, LIMITS.confirmButton),
              deny: plain(b.confirm.deny, LIMITS.confirmButton),
              ...(b.style ? { style: b.style } : {}),
            },
          }
        : {}),
    })),
  };
}

/**
 * Caps a message at Slack's block count. The tail is dropped, except `keep` trailing blocks (the
 * buttons), with a note saying how much was left out, so the actions survive any amount of content.
 */
export function fitMessage(text: string, blocks: readonly Block[], keep = 0): SlackMessage {
  const fallback = truncate(text, LIMITS.fallbackText);
  if (blocks.length <= LIMITS.blocks) return { text: fallback, blocks: [...blocks] };
  const tail = keep > 0 ? blocks.slice(-keep) : [];
  const room = LIMITS.blocks - tail.length - 1;
  const dropped = blocks.length - tail.length - room;
  return { text: fallback, blocks: [...blocks.slice(0, room), context(`… ${dropped} more blocks left out; \`council status\` and the event log hold everything.`), ...tail] };
}
