/**
 * Where each council week lives in Slack (the parent message of its thread, and each decision message
 * with the line saying who settled it): the thread book (src/bot/thread-book.ts) kept in the stream
 * `chat:slack:<council>:<week>`, so a restarted bot still edits the same parent message and settles the
 * same decision message.
 */
import type { EventStore, StoredEvent } from '../../store/port.ts';
import { type ChatWeek, chatStreamOf, createThreadBook, foldChatWeek, type ThreadBook } from '../thread-book.ts';
import type { SlackMessage } from './blocks.ts';

export interface WeekThread {
  channel: string;
  parentTs: string;
  runId: string;
}

/** A decision as Slack shows it: where it was posted and the message, to edit in place. */
export interface SlackDecision {
  channel: string;
  ts: string;
  message: SlackMessage;
}

export type SlackWeek = ChatWeek<WeekThread, SlackDecision>;
export type SlackThreadBook = ThreadBook<WeekThread, SlackDecision>;

const SLACK = { channel: 'slack', messageId: (d: SlackDecision) => d.ts };

export const slackStream = (council: string, week: string) => chatStreamOf(SLACK.channel, council, week);

export const foldSlackWeek = (events: readonly StoredEvent[]): SlackWeek => foldChatWeek(SLACK.channel, events);

export const createSlackThreadBook = (store: EventStore, council: string): SlackThreadBook => createThreadBook(store, council, SLACK);
