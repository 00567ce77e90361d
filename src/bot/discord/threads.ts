/**
 * Which Discord thread and messages belong to a council week, kept as events in the stream
 * `chat:discord:<council>:<week>`, so a restarted bot edits the same messages instead of starting over.
 */
import { appendDecided } from '../../store/append.ts';
import type { EventStore, StoredEvent } from '../../store/port.ts';

export const chatStream = (council: string, week: string) => `chat:discord:${council}:${week}`;

export type ChatEvent =
  | { type: 'DiscordThreadOpened'; data: { channelId: string; parentId: string; threadId: string } }
  | { type: 'DiscordDecisionPosted'; data: { proposalId: string; messageId: string } };

export interface WeekThread {
  channelId: string;
  parentId: string;
  threadId: string;
  /** proposalId -> the message with its buttons */
  decisions: Record<string, string>;
}

export function foldChat(events: readonly StoredEvent[]): WeekThread | undefined {
  let thread: WeekThread | undefined;
  for (const e of events as unknown as ChatEvent[]) {
    switch (e.type) {
      case 'DiscordThreadOpened':
        thread ??= { ...e.data, decisions: {} };
        break;
      case 'DiscordDecisionPosted':
        if (thread) thread.decisions[e.data.proposalId] = e.data.messageId;
        break;
      default: {
        const never: never = e;
        return never;
      }
    }
  }
  return thread;
}

export interface ThreadBook {
  get(week: string): Promise<WeekThread | undefined>;
  /** Records a thread unless one is already recorded; returns the one that counts. */
  opened(week: string, thread: { channelId: string; parentId: string; threadId: string }): Promise<WeekThread>;
  decisionPosted(week: string, proposalId: string, messageId: string): Promise<void>;
}

export function createThreadBook(store: EventStore, council: string): ThreadBook {
  const stream = (week: string) => chatStream(council, week);
  const append = async (week: string, decide: (t: WeekThread | undefined) => ChatEvent[]) =>
    foldChat(await appendDecided(store, stream(week), (events) => decide(foldChat(events))));
  return {
    get: async (week) => foldChat(await store.read(stream(week))),
    opened: async (week, t) => (await append(week, (have) => (have ? [] : [{ type: 'DiscordThreadOpened', data: t }])))!,
    decisionPosted: async (week, proposalId, messageId) => {
      await append(week, (have) => (have?.decisions[proposalId] === messageId ? [] : [{ type: 'DiscordDecisionPosted', data: { proposalId, messageId } }]));
    },
  };
}
