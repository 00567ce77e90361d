/**
 * The thread book: where each council week lives in one chat channel (its thread, and the message
 * carrying each proposal's buttons), kept as events in the stream `chat:<channel>:<council>:<week>`, so
 * a restarted bot edits the same messages instead of starting over. One implementation for every
 * channel, parameterised by the channel's name and by what it records of a thread and of a message.
 */
import { appendDecided } from '../store/append.ts';
import type { EventStore, NewEvent, StoredEvent } from '../store/port.ts';

/** A channel's book: its stream's name and its events' prefix (`slack` -> SlackThreadOpened). */
export interface ThreadBookSpec<Message> {
  channel: string;
  /** The message's id within its channel: a repeat of the same post is recorded once. */
  messageId(message: Message): string;
}

/** A posted decision, and the line saying who approved or rejected it, once someone has. */
export type DecisionRecord<Message> = Message & { outcome: string | null };

export interface ChatWeek<Thread, Message> {
  /** The first thread recorded for the week; a later one is ignored. */
  thread: Thread | undefined;
  /** proposalId -> its decision message, in the order they were posted. */
  decisions: Map<string, DecisionRecord<Message>>;
}

export interface ThreadBook<Thread, Message> {
  load(week: string): Promise<ChatWeek<Thread, Message>>;
  /** Records the thread unless another process recorded one first; returns the week with the thread that stands. */
  openThread(week: string, thread: Thread): Promise<ChatWeek<Thread, Message>>;
  decisionPosted(week: string, proposalId: string, message: Message): Promise<void>;
  decisionSettled(week: string, proposalId: string, outcome: string): Promise<void>;
}

export const chatStreamOf = (channel: string, council: string, week: string) => `chat:${channel}:${council}:${week}`;

const capitalised = (s: string) => `${s.charAt(0).toUpperCase()}${s.slice(1)}`;

/** The event names of a channel's book: `<Channel>ThreadOpened`, `<Channel>DecisionPosted`, `<Channel>DecisionSettled`. */
export function threadEventTypes(channel: string) {
  const prefix = capitalised(channel);
  return { opened: `${prefix}ThreadOpened`, posted: `${prefix}DecisionPosted`, settled: `${prefix}DecisionSettled` } as const;
}

/** A week's book from its events; events of other kinds (a later version's) are skipped, not fatal. */
export function foldChatWeek<Thread, Message>(channel: string, events: readonly StoredEvent[]): ChatWeek<Thread, Message> {
  const types = threadEventTypes(channel);
  const state: ChatWeek<Thread, Message> = { thread: undefined, decisions: new Map() };
  for (const e of events) {
    if (e.type === types.opened) state.thread ??= e.data as Thread;
    else if (e.type === types.posted) {
      const { proposalId, ...message } = e.data as { proposalId: string } & Message;
      state.decisions.set(proposalId, { ...(message as Message), outcome: null });
    } else if (e.type === types.settled) {
      const { proposalId, outcome } = e.data as { proposalId: string; outcome: string };
      const d = state.decisions.get(proposalId);
      if (d) d.outcome = outcome;
    }
  }
  return state;
}

export function createThreadBook<Thread, Message>(store: EventStore, council: string, spec: ThreadBookSpec<Message>): ThreadBook<Thread, Message> {
  const types = threadEventTypes(spec.channel);
  const stream = (week: string) => chatStreamOf(spec.channel, council, week);
  const fold = (events: readonly StoredEvent[]) => foldChatWeek<Thread, Message>(spec.channel, events);
  const append = async (week: string, decide: (s: ChatWeek<Thread, Message>) => NewEvent[]) => fold(await appendDecided(store, stream(week), (events) => decide(fold(events))));
  return {
    load: async (week) => fold(await store.read(stream(week))),
    openThread: (week, thread) => append(week, (s) => (s.thread ? [] : [{ type: types.opened, data: thread }])),
    async decisionPosted(week, proposalId, message) {
      const id = spec.messageId(message);
      await append(week, (s) => {
        const known = s.decisions.get(proposalId);
        return known && spec.messageId(known) === id ? [] : [{ type: types.posted, data: { proposalId, ...message } }];
      });
    },
    async decisionSettled(week, proposalId, outcome) {
      await append(week, (s) => (s.decisions.get(proposalId)?.outcome === outcome ? [] : [{ type: types.settled, data: { proposalId, outcome } }]));
    },
  };
}
