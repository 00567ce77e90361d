/**
 * Which Discord thread and messages belong to a council week: the thread book
 * (src/bot/thread-book.ts) kept in the stream `chat:discord:<council>:<week>`, so a restarted bot edits
 * the same messages instead of starting over. Discord reads it as one thread with its decisions.
 */
import type { EventStore, StoredEvent } from '../../store/port.ts';
import { type ChatWeek, chatStreamOf, createThreadBook, foldChatWeek } from '../thread-book.ts';

export interface ThreadRef {
  channelId: string;
  parentId: string;
  threadId: string;
}

export interface WeekThread extends ThreadRef {
  /** proposalId -> the message with its buttons */
  decisions: Record<string, string>;
}

/** A decision as Discord records it: the message carrying its buttons. */
interface DiscordDecision {
  messageId: string;
}

const DISCORD = { channel: 'discord', messageId: (d: DiscordDecision) => d.messageId };

export const chatStream = (council: string, week: string) => chatStreamOf(DISCORD.channel, council, week);

/** The week's thread with its decision messages; undefined until a thread is recorded. */
function threadOf(week: ChatWeek<ThreadRef, DiscordDecision>): WeekThread | undefined {
  if (!week.thread) return undefined;
  const { channelId, parentId, threadId } = week.thread;
  return { channelId, parentId, threadId, decisions: Object.fromEntries([...week.decisions].map(([proposalId, d]) => [proposalId, d.messageId])) };
}

export const foldChat = (events: readonly StoredEvent[]): WeekThread | undefined => threadOf(foldChatWeek<ThreadRef, DiscordDecision>(DISCORD.channel, events));

export interface DiscordThreadBook {
  get(week: string): Promise<WeekThread | undefined>;
  /** Records a thread unless one is already recorded; returns the one that counts. */
  opened(week: string, thread: ThreadRef): Promise<WeekThread>;
  decisionPosted(week: string, proposalId: string, messageId: string): Promise<void>;
}

export function createDiscordThreadBook(store: EventStore, council: string): DiscordThreadBook {
  const book = createThreadBook<ThreadRef, DiscordDecision>(store, council, DISCORD);
  return {
    get: async (week) => threadOf(await book.load(week)),
    // The week once opened has a thread: this one, or the one another process recorded first.
    opened: async (week, thread) => threadOf(await book.openThread(week, thread)) as WeekThread,
    decisionPosted: (week, proposalId, messageId) => book.decisionPosted(week, proposalId, { messageId }),
  };
}
