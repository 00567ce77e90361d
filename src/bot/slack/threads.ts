/**
 * Where each council week lives in Slack, kept as events (stream `chat:slack:<council>:<week>`) so a
 * restarted bot still edits the same parent message and settles the same decision message.
 */
import { appendDecided } from '../../store/append.ts';
import type { EventStore, NewEvent, StoredEvent } from '../../store/port.ts';
import type { SlackMessage } from './blocks.ts';

export type SlackChatEvent =
  | { type: 'SlackThreadOpened'; data: { channel: string; parentTs: string; runId: string } }
  | { type: 'SlackDecisionPosted'; data: { proposalId: string; channel: string; ts: string; message: SlackMessage } }
  | { type: 'SlackDecisionSettled'; data: { proposalId: string; outcome: string } };

export interface WeekThread {
  channel: string;
  parentTs: string;
  runId: string;
}

export interface DecisionMessage {
  channel: string;
  ts: string;
  message: SlackMessage;
  /** The mrkdwn line saying who approved or rejected, once someone has. */
  outcome: string | null;
}

export interface SlackWeek {
  thread: WeekThread | undefined;
  decisions: Map<string, DecisionMessage>;
}

export const slackStream = (council: string, week: string) => `chat:slack:${council}:${week}`;

export function foldSlackWeek(events: readonly StoredEvent[]): SlackWeek {
  const state: SlackWeek = { thread: undefined, decisions: new Map() };
  for (const e of events as unknown as SlackChatEvent[]) {
    switch (e.type) {
      case 'SlackThreadOpened':
        state.thread ??= e.data;
        break;
      case 'SlackDecisionPosted':
        state.decisions.set(e.data.proposalId, { channel: e.data.channel, ts: e.data.ts, message: e.data.message, outcome: null });
        break;
      case 'SlackDecisionSettled': {
        const d = state.decisions.get(e.data.proposalId);
        if (d) d.outcome = e.data.outcome;
        break;
      }
      default:
        break; // events of later versions are skipped, not fatal
    }
  }
  return state;
}

export interface ThreadStore {
  load(week: string): Promise<SlackWeek>;
  /** Records the thread unless another process recorded one first; returns the one that stands. */
  openThread(week: string, thread: WeekThread): Promise<WeekThread>;
  decisionPosted(week: string, data: Extract<SlackChatEvent, { type: 'SlackDecisionPosted' }>['data']): Promise<void>;
  decisionSettled(week: string, proposalId: string, outcome: string): Promise<void>;
}

export function createThreadStore(store: EventStore, council: string): ThreadStore {
  const append = async (week: string, decide: (s: SlackWeek) => SlackChatEvent[]) =>
    foldSlackWeek(await appendDecided(store, slackStream(council, week), (events) => decide(foldSlackWeek(events)) as NewEvent[]));
  return {
    load: async (week) => foldSlackWeek(await store.read(slackStream(council, week))),
    openThread: async (week, thread) => {
      const state = await append(week, (s) => (s.thread ? [] : [{ type: 'SlackThreadOpened', data: thread }]));
      return state.thread ?? thread;
    },
    decisionPosted: async (week, data) => {
      await append(week, (s) => (s.decisions.get(data.proposalId)?.ts === data.ts ? [] : [{ type: 'SlackDecisionPosted', data }]));
    },
    decisionSettled: async (week, proposalId, outcome) => {
      await append(week, (s) => (s.decisions.get(proposalId)?.outcome === outcome ? [] : [{ type: 'SlackDecisionSettled', data: { proposalId, outcome } }]));
    },
  };
}
