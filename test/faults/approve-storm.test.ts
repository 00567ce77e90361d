/**
 * Fifty approvals of one proposal at once, from every channel: signed view_submissions of Slack's approve
 * modal to the real Bolt app, Confirm clicks on Discord's approval confirmation through the fake gateway
 * to the real discord.js client, and the CLI (the modals and confirmations are opened first: an Approve
 * click only asks). On
 * PostgreSQL the CLI clicks are spawned `council approve` processes sharing the database with the running
 * bot, and a table lock holds every click at its append until all channels are there, so they really race
 * on the one expected-version write. On PGlite a spawned CLI would be locked out by the running bot, so
 * its clicks are in-process `app.approve` calls instead. Either way: one ProposalApproved, and each order
 * reaches Alpaca once.
 */
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app/index.ts';
import { startDiscord } from '../../src/bot/discord/index.ts';
import { type SlackHandle, startSlack } from '../../src/bot/slack/index.ts';
import { proposalStream } from '../../src/pipeline/run.ts';
import { confirmationFor, decisionMessage, replyTo, threadFor } from '../bot/discord/support.ts';
import { BOT_TOKEN, buttonClick, SIGNING_SECRET, sendPayload, sendSigned } from '../bot/slack/support.ts';
import { type FakeAlpaca, startFakeAlpaca } from '../fakes/alpaca.ts';
import { type FakeDiscord, type FakeUser, startFakeDiscord } from '../fakes/discord.ts';
import { type FakeMessage as SlackMessage, type FakeSlack, startFakeSlack } from '../fakes/slack.ts';
import { type CliResult, council } from '../support/cli.ts';
import { faultApp } from './support/app.ts';
import { POSTGRES_URL, type ScenarioDatabase, scenarioDatabase } from './support/database.ts';
import { postsByClientOrderId } from './support/scenario.ts';
import { partsOf } from '../../src/compose.ts';

const WEEK = '2024-03-04';
const SLACK_CLICKS = 22;
const DISCORD_CLICKS = 22;
const CLI_CLICKS = 6;
const HOME = 'C_HOME';
const logger = pino({ level: 'silent' });

const slackUsers = Array.from({ length: SLACK_CLICKS }, (_, i) => `UAPPROVER${i}`);
const discordUsers: FakeUser[] = Array.from({ length: DISCORD_CLICKS }, (_, i) => ({ id: String(5000 + i), name: `approver${i}` }));

let db: ScenarioDatabase;
let alpaca: FakeAlpaca;
let slackFake: FakeSlack;
let discordFake: FakeDiscord;
let app: App;
let slack: SlackHandle;
let discord: { stop(): Promise<void> };
let cliEnv: Record<string, string>;

beforeAll(async () => {
  db = await scenarioDatabase('approve_storm');
  [alpaca, slackFake, discordFake] = await Promise.all([startFakeAlpaca(), startFakeSlack({ token: BOT_TOKEN }), startFakeDiscord()]);
  const built = await faultApp(db, alpaca, {
    fillMode: 'fill',
    env: {
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: slackFake.apiUrl,
      SLACK_CHANNEL_ID: HOME,
      SLACK_PORT: '0',
      DISCORD_TOKEN: discordFake.token,
      DISCORD_APPLICATION_ID: discordFake.applicationId,
      DISCORD_CHANNEL_ID: discordFake.channelId,
      DISCORD_API_URL: discordFake.apiUrl,
      COUNCIL_APPROVERS: [...slackUsers.map((u) => `slack:${u}`), ...discordUsers.map((u) => `discord:${u.id}`)].join(','),
    },
  });
  app = built.app;
  // The spawned CLI is a plain operator: no chat platform of its own.
  cliEnv = Object.fromEntries(Object.entries(built.env).filter(([k]) => !k.startsWith('SLACK_') && !k.startsWith('DISCORD_')));
  slack = await startSlack(app, built.config.slack!, logger, { host: '127.0.0.1', retryConfig: { retries: 0 } });
  discord = await startDiscord(app, built.config.discord!, logger);
});

afterAll(async () => {
  await slack?.stop();
  await discord?.stop();
  await app?.close();
  await Promise.all([alpaca?.close(), slackFake?.close(), discordFake?.close()]);
  await db?.dispose();
});

/** Holds every append to the events table (reads go on) until released: the clicks queue at the one write that decides. */
async function holdAppends(schema: string): Promise<{ blocked(): Promise<number>; release(): Promise<void> }> {
  const holder = new pg.Client({ connectionString: POSTGRES_URL });
  // A second session watches: inside the holder's transaction pg_stat_activity would be a frozen snapshot.
  const watcher = new pg.Client({ connectionString: POSTGRES_URL });
  await Promise.all([holder.connect(), watcher.connect()]);
  await holder.query('begin');
  await holder.query(`lock table ${schema}.events in exclusive mode`);
  const pid = (await holder.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]?.pid;
  let released = false;
  return {
    blocked: async () => (await watcher.query<{ n: number }>('select count(*)::int as n from pg_stat_activity where $1 = any(pg_blocking_pids(pid))', [pid])).rows[0]?.n ?? 0,
    release: async () => {
      if (released) return;
      released = true;
      await holder.query('commit');
      await Promise.all([holder.end(), watcher.end()]);
    },
  };
}

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  // A guard against a hang, not a timing assertion.
  for (let i = 0; i < 6_000; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`never saw ${what}`);
}

/** 'approved', 'already approved', or the unexpected answer itself. */
type Outcome = string;
const outcomeOf = (message: string): Outcome => (/already approved/.test(message) ? 'already approved' : message);
const cliOutcome = (r: CliResult): Outcome => (r.code === 0 ? 'approved' : outcomeOf(r.stderr));

describe(`50 approve clicks at once across Slack, Discord and the CLI (${POSTGRES_URL ? 'PostgreSQL, spawned CLI' : 'PGlite, in-process CLI'})`, () => {
  it('When 22 Slack, 22 Discord and 6 CLI approvals of one proposal arrive together, Then exactly one approval is recorded, every other clicker is told it was already approved, and each order reaches Alpaca once', async () => {
    await app.run({ week: WEEK });
    const proposal = (await app.weekState(WEEK)).proposal!;
    const id = proposal.proposalId;
    const hasButtons = (m: SlackMessage) => m.blocks.some((b) => b.type === 'actions');
    const slackDecision = await slackFake.waitFor(() => [...slackFake.messages.values()].find((m) => m.channel === HOME && hasButtons(m)), 'the Slack decision message');
    const discordDecision = await decisionMessage(discordFake, (await threadFor(discordFake, WEEK)).id);
    const slackUrl = `http://127.0.0.1:${slack.port}/slack/events`;

    // Each Approve click asks first: every Slack approver's modal and every Discord approver's confirmation, opened.
    const modals = await Promise.all(
      slackUsers.map(async (user, i) => {
        const body = buttonClick({ actionId: `approve:${id}`, value: id, user, channel: HOME, messageTs: slackDecision.ts, responseUrl: slackFake.responseUrl(`ask-${i}`) });
        const trigger = JSON.parse(new URLSearchParams(body).get('payload')!).trigger_id as string;
        await sendSigned(slackUrl, body);
        return { user, view: await slackFake.waitFor(() => [...slackFake.views.values()].find((v) => v.trigger === trigger), `${user}'s modal`) };
      }),
    );
    const confirmations = await Promise.all(
      discordUsers.map(async (user) => ({ user, message: await confirmationFor(discordFake, discordFake.click(`approve:${id}`, user, discordDecision.id).token) })),
    );

    const gate = db.schema ? await holdAppends(db.schema) : undefined;
    const cli: Promise<Outcome>[] = [];
    try {
      if (gate) {
        // The spawned processes start slowly: they go first, and the gate holds each of them at the append.
        for (let i = 0; i < CLI_CLICKS; i++) cli.push(council(['approve', id, '--by', `operator${i}`, '--json'], cliEnv).then(cliOutcome));
        await until(`${CLI_CLICKS} CLI approvals waiting at the append`, async () => (await gate.blocked()) >= CLI_CLICKS);
      }
      const slackAcks = modals.map(({ user, view }) => sendPayload(slackUrl, slackFake.viewSubmission(view.id, user)));
      const discordTokens = confirmations.map(({ user, message }) => discordFake.click(`confirm:${id}`, user, message.id).token);
      if (!gate)
        for (let i = 0; i < CLI_CLICKS; i++)
          cli.push(
            app.approve({ proposalId: id, by: `cli:operator${i}`, via: 'cli' }).then(
              () => 'approved',
              (e: Error) => outcomeOf(e.message),
            ),
          );
      if (gate) await until('the bot’s clicks waiting at the append too', async () => (await gate.blocked()) > CLI_CLICKS);

      await gate?.release();
      // Every Slack submission acknowledged within Slack's deadline, each once its approval (or its refusal) is decided (issue 13, item 7).
      const slackAnswers = await Promise.all(slackAcks.map(async (r) => ({ status: (await r).status, text: await (await r).text() })));
      expect(slackAnswers.map((a) => a.status)).toEqual(slackUsers.map(() => 200));
      const discordOutcomes: Outcome[] = await Promise.all(
        discordTokens.map(async (token) =>
          (await replyTo(discordFake, token, /You approved|already approved/)).content.includes('You approved') ? 'approved' : 'already approved',
        ),
      );
      const cliOutcomes = await Promise.all(cli);
      // Losers are answered as soon as the approval is decided; the winner's execution may still be placing
      // orders (a Slack click runs it after the ack), so wait for the fact asserted on, not for the replies.
      await until('the execution to complete', async () => (await partsOf(app).store.read(proposalStream(id))).some((e) => e.type === 'ExecutionCompleted'));
      const stream = await partsOf(app).store.read(proposalStream(id));
      const approvals = stream.filter((e) => e.type === 'ProposalApproved').map((e) => e.data as { by: string; via: string });
      expect(approvals).toHaveLength(1);
      const winner = approvals[0]!;

      // Slack's losers read it in their modal, which stays open; the winner's closes and settles the decision message.
      const slackLosers = modals.filter(({ user }) => `slack:${user}` !== winner.by);
      expect(slackLosers).toHaveLength(winner.via === 'slack' ? SLACK_CLICKS - 1 : SLACK_CLICKS);
      for (const { user } of slackLosers) expect(slackAnswers[slackUsers.indexOf(user)]!.text).toContain('already approved');
      expect(discordOutcomes.filter((o) => o === 'approved')).toHaveLength(winner.via === 'discord' ? 1 : 0);
      expect(cliOutcomes.filter((o) => o === 'approved')).toHaveLength(winner.via === 'cli' ? 1 : 0);
      expect([...discordOutcomes, ...cliOutcomes].every((o) => o === 'approved' || o === 'already approved')).toBe(true);

      const submitted = stream.filter((e) => e.type === 'OrderSubmitted').map((e) => (e.data as { clientOrderId: string }).clientOrderId);
      expect(submitted.sort()).toEqual(proposal.orders.map((o) => o.clientOrderId).sort());
      expect(stream.filter((e) => e.type === 'ExecutionCompleted')).toHaveLength(1);
      expect(stream.filter((e) => e.type === 'ApprovalRefused')).toEqual([]);
      const posts = postsByClientOrderId(alpaca);
      expect([...posts.keys()].sort()).toEqual(proposal.orders.map((o) => o.clientOrderId).sort());
      expect([...posts.values()].every((n) => n === 1)).toBe(true);
    } finally {
      await gate?.release();
      await Promise.allSettled(cli);
    }
  });
});
