/**
 * The Discord notice sink: renders each notice and makes the REST calls, a thread per council week,
 * the week's parent message edited as stages finish, the decision message edited as the proposal
 * moves. Each REST step is isolated: a failed edit is logged and the posts still go out.
 */
import { randomUUID } from 'node:crypto';
import { Routes, ThreadAutoArchiveDuration } from 'discord-api-types/v10';
import { z } from 'zod';
import type { ProposalState } from '../../domain/proposal.ts';
import type { Logger } from '../../logger.ts';
import type { Notice, NoticeSink } from '../../pipeline/notices.ts';
import { type MessageBody, type Progress, type Upload, type RunHeader, progressMessage, renderNotice, threadName } from './render.ts';
import type { DiscordThreadBook, WeekThread } from './threads.ts';
import { createWeekQueue } from '../week-queue.ts';

/** The two REST verbs the sink needs; discord.js's `client.rest` provides them. */
export interface DiscordRest {
  post(route: `/${string}`, options: { body: unknown; files?: { name: string; data: Uint8Array }[] }): Promise<unknown>;
  patch(route: `/${string}`, options: { body: unknown }): Promise<unknown>;
}

export interface DiscordSinkDeps {
  rest: DiscordRest;
  threads: DiscordThreadBook;
  /** DISCORD_CHANNEL_ID: the council channel, where every week's thread opens (whoever ran it) and halts go. */
  channelId: string | undefined;
  headerOf(week: string): Promise<RunHeader | undefined>;
  proposalOf(proposalId: string): Promise<ProposalState>;
  logger: Logger;
}

export interface DiscordSink extends NoticeSink {
  /** Links to the week's thread and its latest decision message, in a guild. */
  links(week: string, guildId: string): Promise<{ thread: string | null; decision: string | null }>;
  /** Resolves when every notice published so far has been handled. */
  idle(): Promise<void>;
}

const Created = z.object({ id: z.string().min(1) });

const weekOf = (n: Notice): string | undefined => ('week' in n ? n.week : undefined);
const proposalIdOf = (n: Notice): string | undefined =>
  n.type === 'proposal_approved' || n.type === 'proposal_rejected' || n.type === 'proposal_expired' || n.type === 'execution_report' ? n.proposalId : undefined;

export function createDiscordSink(deps: DiscordSinkDeps): DiscordSink {
  const { rest, threads, logger } = deps;
  const progress = new Map<string, Progress>();
  const weeks = createWeekQueue();
  // No command redirects notices: they go to the council channel (or a week's recorded thread) only.
  const lastChannel = deps.channelId;

  /** Runs one REST step; a failure is logged with an id and the notice carries on. */
  async function step<T>(what: string, notice: Notice, fn: () => Promise<T>): Promise<T | undefined> {
    try {
      return await fn();
    } catch (error) {
      logger.error({ err: error, errorId: randomUUID().slice(0, 8), notice: notice.type, step: what }, 'discord: a REST call failed');
      return undefined;
    }
  }

  const send = async (channelId: string, body: MessageBody, files?: Upload[]) =>
    Created.parse(
      await rest.post(Routes.channelMessages(channelId), { body, ...(files?.length ? { files: files.map((f) => ({ name: f.name, data: Buffer.from(f.data) })) } : {}) }),
    ).id;

  async function openThread(week: string, notice: Notice): Promise<WeekThread | undefined> {
    const channelId = lastChannel;
    if (!channelId) {
      logger.warn({ week }, 'discord: no channel for this week (set DISCORD_CHANNEL_ID)');
      return undefined;
    }
    const header = (await deps.headerOf(week)) ?? { week, runId: '', query: null, seats: 0 };
    const parentId = await step('post parent', notice, () => send(channelId, progressMessage(header, { step: 0, count: null, outcome: null, failed: null })));
    if (!parentId) return undefined;
    const created = await step(
      'open thread',
      notice,
      async () =>
        Created.parse(await rest.post(Routes.threads(channelId, parentId), { body: { name: threadName(week), auto_archive_duration: ThreadAutoArchiveDuration.OneWeek } })).id,
    );
    // Without a thread (no permission to create one) the week still reads, in the channel itself.
    return threads.opened(week, { channelId, parentId, threadId: created ?? channelId });
  }

  async function handle(n: Notice): Promise<void> {
    const week = weekOf(n);
    const proposalId = proposalIdOf(n);
    const out = renderNotice(n, proposalId ? { proposal: await deps.proposalOf(proposalId) } : {});

    for (const body of out.channel) {
      if (lastChannel) await step('post to channel', n, () => send(lastChannel, body));
      else logger.warn({ notice: n.type }, 'discord: no channel to post to');
    }
    if (!week || (!out.thread.length && !out.progress && !out.decision)) return;

    const runBound = n.type !== 'proposal_approved' && n.type !== 'proposal_rejected' && n.type !== 'proposal_expired' && n.type !== 'execution_report';
    let thread = await threads.get(week);
    if (!thread && runBound) thread = await openThread(week, n);
    const target = thread?.threadId ?? lastChannel;
    if (!target) return;

    for (const post of out.thread) {
      const id = await step('post to thread', n, () => send(target, post.body, post.files));
      if (id && post.decisionOf) await threads.decisionPosted(week, post.decisionOf, id);
    }
    if (thread && out.progress) {
      const last = progress.get(week);
      const next = out.progress.failed ? { ...out.progress, step: last?.step ?? 0 } : out.progress;
      progress.set(week, next);
      const header = (await deps.headerOf(week)) ?? { week, runId: '', query: null, seats: 0 };
      const parent = thread;
      await step('edit parent', n, () => rest.patch(Routes.channelMessage(parent.channelId, parent.parentId), { body: progressMessage(header, next) }));
    }
    const messageId = out.decision && thread?.decisions[out.decision.proposalId];
    if (out.decision && thread && messageId) {
      const { edit } = out.decision;
      const threadId = thread.threadId;
      await step('edit decision', n, () => rest.patch(Routes.channelMessage(threadId, messageId), { body: edit }));
    }
  }

  return {
    async links(week, guildId) {
      const thread = await threads.get(week);
      if (!thread) return { thread: null, decision: null };
      const last = Object.values(thread.decisions).pop();
      const base = `https://discord.com/channels/${guildId}/${thread.threadId}`;
      return { thread: base, decision: last ? `${base}/${last}` : null };
    },
    // Notices of one week are handled in order, so a thread is opened once and edits never go back in time.
    publish(n) {
      const key = weekOf(n) ?? '';
      return weeks.run(key, () => handle(n)).catch((error: unknown) => logger.error({ err: error, notice: n.type }, 'discord: a notice could not be rendered'));
    },
    idle: () => weeks.idle(),
  };
}
