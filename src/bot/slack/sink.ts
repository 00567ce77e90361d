/**
 * The Slack channel's NoticeSink: one thread per council week. The parent message ("Council, week
 * of ...") is edited as stages finish; pitches, reviews and the decision go into the thread, the
 * decision also to the channel; the decision message is settled in place on approve, reject or expiry,
 * whichever channel did it. Notices of one week are handled in order, one at a time.
 */
import type { WebClient } from '@slack/web-api';
import type { Logger } from '../../logger.ts';
import { loadProposal } from '../../pipeline/execution.ts';
import type { Notice, NoticeSink, PostmortemChart } from '../../pipeline/notices.ts';
import type { EventStore } from '../../store/port.ts';
import { view } from '../format.ts';
import { type Block, esc, section, type SlackMessage } from './blocks.ts';
import { approvedLine, expiredLine, orderBlocks, rejectedLine, renderNotice, renderParent, settledDecision, type WeekProgress } from './render.ts';
import { createSlackThreadBook, type WeekThread } from './threads.ts';
import { createWeekQueue } from '../week-queue.ts';

export interface SlackSinkDeps {
  client: WebClient;
  store: EventStore;
  council: string;
  /** SLACK_CHANNEL_ID: the council channel, where every week's thread opens (whoever ran it) and halts go. */
  channelId: string | undefined;
  logger: Logger;
}

/** Where a week already lives in Slack, as links people can click. */
export interface WeekLinks {
  thread: string | null;
  decision: string | null;
}

export interface SlackSink extends NoticeSink {
  /** Permalinks to the week's thread and its latest decision message, where Slack gives them. */
  links(week: string): Promise<WeekLinks>;
}

export function createSlackSink(deps: SlackSinkDeps): SlackSink {
  const threads = createSlackThreadBook(deps.store, deps.council);
  const progress = new Map<string, WeekProgress>();
  const weeks = createWeekQueue();
  // No command redirects notices: they go to the council channel (or a week's recorded thread) only.
  const home = () => deps.channelId;

  const post = async (channel: string, message: SlackMessage, threadTs?: string, broadcast = false) => {
    const base = { channel, text: message.text, blocks: message.blocks, unfurl_links: false, unfurl_media: false };
    const res = await deps.client.chat.postMessage(threadTs ? { ...base, thread_ts: threadTs, reply_broadcast: broadcast } : base);
    return res.ts ?? '';
  };
  const update = (channel: string, ts: string, message: SlackMessage) => deps.client.chat.update({ channel, ts, text: message.text, blocks: message.blocks });

  async function editParent(week: string, change: (p: WeekProgress) => void): Promise<void> {
    const p = progress.get(week);
    if (!p) return; // a restart lost the stage counts; the thread still gets every message
    change(p);
    const thread = (await threads.load(week)).thread;
    if (thread) await update(thread.channel, thread.parentTs, renderParent(p));
  }

  async function openThread(week: string, runId: string): Promise<WeekThread | undefined> {
    const existing = (await threads.load(week)).thread;
    const p = progress.get(week);
    if (existing) {
      if (p) await update(existing.channel, existing.parentTs, renderParent(p));
      return existing;
    }
    const channel = home();
    if (!channel || !p) {
      deps.logger.warn({ week }, 'slack: no channel for this week (set SLACK_CHANNEL_ID); its notices stay out of Slack');
      return undefined;
    }
    const parentTs = await post(channel, renderParent(p));
    return (await threads.openThread(week, { channel, parentTs, runId })).thread;
  }

  /** Posts into the week's thread, or into the home channel when the week has none. */
  async function inThread(week: string, message: SlackMessage, broadcast = false): Promise<{ channel: string; ts: string } | undefined> {
    const thread = (await threads.load(week)).thread;
    if (thread) return { channel: thread.channel, ts: await post(thread.channel, message, thread.parentTs, broadcast) };
    const channel = home();
    if (!channel) return undefined;
    return { channel, ts: await post(channel, message) };
  }

  async function settle(week: string, proposalId: string, outcome: string, extra: Block[] = []): Promise<void> {
    const decision = (await threads.load(week)).decisions.get(proposalId);
    if (!decision) return;
    await update(decision.channel, decision.ts, settledDecision(decision.message, [section(outcome), ...extra]));
    if (decision.outcome !== outcome) await threads.decisionSettled(week, proposalId, outcome);
  }

  /** Charts go into the week's thread through files.uploadV2 (get an upload URL, upload, complete). */
  async function uploadCharts(week: string, channel: string, charts: readonly PostmortemChart[]): Promise<void> {
    const thread = (await threads.load(week)).thread;
    await deps.client.filesUploadV2({
      channel_id: channel,
      ...(thread && thread.channel === channel ? { thread_ts: thread.parentTs } : {}),
      file_uploads: charts.map((c) => ({ file: Buffer.from(c.png), filename: c.fileName, title: c.title })),
    });
  }

  async function handle(n: Notice): Promise<void> {
    switch (n.type) {
      case 'run_started': {
        progress.set(n.week, {
          week: n.week,
          runId: n.runId,
          query: n.query,
          requestedBy: n.requestedBy ?? null,
          research: 'running',
          pitches: { done: 0, total: n.seats },
          reviews: { done: 0, total: n.seats },
          outcome: null,
        });
        await openThread(n.week, n.runId);
        if (n.resumed) await inThread(n.week, renderNotice(n));
        return;
      }
      case 'research_ready':
        await editParent(n.week, (p) => {
          p.research = 'done';
        });
        await inThread(n.week, renderNotice(n));
        return;
      case 'stage_progress':
        await editParent(n.week, (p) => {
          p[n.stage] = { done: n.done, total: n.total };
        });
        return;
      case 'pitches_ready':
      case 'reviews_ready':
        await inThread(n.week, renderNotice(n));
        return;
      case 'decision_ready': {
        const message = renderNotice(n);
        const posted = await inThread(n.week, message, true);
        if (posted && n.proposal) await threads.decisionPosted(n.week, n.proposal.id, { channel: posted.channel, ts: posted.ts, message });
        const d = n.decision;
        await editParent(n.week, (p) => {
          p.outcome = `*Decision:* ${esc(view(d.instrument, d.direction, d.conviction))}, horizon ${d.horizon}${n.proposal ? `. Proposal \`${esc(n.proposal.id)}\` awaits approval.` : '. No orders.'}`;
        });
        return;
      }
      case 'no_quorum':
        await editParent(n.week, (p) => {
          p.outcome = `*No quorum*: ${n.valid} valid pitches, ${n.required} needed. No proposal.`;
        });
        await inThread(n.week, renderNotice(n));
        return;
      case 'proposal_approved':
        await settle(n.week, n.proposalId, approvedLine(n));
        await editParent(n.week, (p) => {
          p.outcome = `${p.outcome ?? ''}\n${approvedLine(n)}`;
        });
        return;
      case 'proposal_rejected':
        await settle(n.week, n.proposalId, rejectedLine(n));
        await inThread(n.week, renderNotice(n));
        return;
      case 'proposal_expired':
        await settle(n.week, n.proposalId, expiredLine(n));
        await inThread(n.week, renderNotice(n));
        return;
      case 'execution_report': {
        const decision = (await threads.load(n.week)).decisions.get(n.proposalId);
        if (decision?.outcome) await settle(n.week, n.proposalId, decision.outcome, orderBlocks(n.proposalId, n.orders, n.complete));
        await inThread(n.week, renderNotice(n));
        return;
      }
      case 'approval_refused': {
        if (n.by.startsWith('slack:')) return; // the clicker already got an ephemeral refusal
        const proposal = await loadProposal(deps.store, n.proposalId);
        if (proposal.exists) await inThread(proposal.week, renderNotice(n));
        return;
      }
      case 'run_failed':
        await editParent(n.week, (p) => {
          p.outcome = `:x: Failed (error id \`${esc(n.errorId)}\`)`;
        });
        await inThread(n.week, renderNotice(n));
        return;
      case 'checkpoint_report':
      case 'exit_report':
      case 'order_update':
        await inThread(n.week, renderNotice(n));
        return;
      case 'daily_summary':
        await inThread(n.week, renderNotice(n));
        return;
      case 'postmortem_ready': {
        const posted = await inThread(n.week, renderNotice(n));
        if (posted && n.charts.length) await uploadCharts(n.week, posted.channel, n.charts);
        return;
      }
      case 'halt_changed':
      case 'pause_changed':
      case 'reconciliation_report': {
        const channel = home();
        if (channel) await post(channel, renderNotice(n));
        return;
      }
      default: {
        const never: never = n;
        return never;
      }
    }
  }

  async function permalink(channel: string, ts: string): Promise<string | null> {
    try {
      return (await deps.client.chat.getPermalink({ channel, message_ts: ts })).permalink ?? null;
    } catch (error) {
      deps.logger.warn({ err: slackError(error) }, 'slack: no permalink for a council message');
      return null;
    }
  }

  return {
    async links(week) {
      const { thread, decisions } = await threads.load(week);
      const last = [...decisions.values()].pop();
      return {
        thread: thread ? await permalink(thread.channel, thread.parentTs) : null,
        decision: last ? await permalink(last.channel, last.ts) : null,
      };
    },
    publish(notice) {
      const key = 'week' in notice ? notice.week : '';
      return weeks
        .run(key, () => handle(notice))
        .catch((error: unknown) => {
          deps.logger.warn({ err: slackError(error), notice: notice.type }, 'slack: could not deliver a notice');
        });
    },
  };
}

/** What a Slack API failure says, without the request (which carries the token and the message). */
export function slackError(error: unknown): { code?: string; error?: string; message: string } {
  const e = error as { code?: string; data?: { error?: string }; message?: string };
  return { code: e.code, error: e.data?.error, message: e.message ?? String(error) };
}
