/**
 * The weekly postmortem in Discord, end to end through the real discord.js client against the fake
 * Discord: a week convened and approved, then its postmortem published. Its text goes into the week's
 * thread and each chart PNG is uploaded there as a multipart attachment, byte for byte.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RESTPostAPIChannelMessageJSONBody } from 'discord-api-types/v10';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PostmortemChart } from '../../../src/pipeline/notices.ts';
import type { FakeMessage } from '../../fakes/discord.ts';
import { type DiscordHarness, startHarness, threadFor } from './support.ts';

const WEEK = '2024-03-04';
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

let h: DiscordHarness;
let threadId: string;
let charts: PostmortemChart[];
let textMessage: FakeMessage;
let chartMessage: FakeMessage;

beforeAll(async () => {
  // A week later, so the week's closes are published and the postmortem can mark it.
  h = await startHarness({ now: '2024-03-11T12:00:00Z' });
  // The week as the schedule or the CLI runs it: its thread opens in DISCORD_CHANNEL_ID.
  const state = await h.app.run({ week: WEEK });
  const proposalId = state.proposal!.proposalId;
  await h.app.approve({ proposalId, by: 'cli:tester', via: 'cli' });
  const thread = await threadFor(h.fake, WEEK);
  threadId = thread.id;
  await h.fake.waitFor('the execution report in the thread', () => h.fake.messagesIn(threadId).some((m) => m.embeds.some((e) => e.title === `Orders for proposal ${proposalId}`)));
  ({ charts } = await h.app.postmortem({ week: WEEK, out: mkdtempSync(join(tmpdir(), 'council-discord-pm-')) }));
  textMessage = await h.fake.waitFor('the postmortem text in the thread', () =>
    h.fake.messagesIn(threadId).find((m) => m.embeds.some((e) => e.title === `Postmortem, week of ${WEEK}`)),
  );
  chartMessage = await h.fake.waitFor('the chart attachments in the thread', () => h.fake.messagesIn(threadId).find((m) => m.attachments.length > 0));
});

afterAll(async () => {
  await h?.close();
});

describe('Discord: the weekly postmortem', () => {
  it("When the week's postmortem is published, Then its text arrives in the week's own thread, after the decision", () => {
    expect([...h.fake.threads.values()].filter((t) => t.name === `Council, week of ${WEEK}`)).toHaveLength(1);
    const text = textMessage.embeds.map((e) => e.description ?? '').join('\n');
    for (const expected of ['COUNCIL (council)', 'SPY buy-and-hold', 'Equal-weight universe', 'Did deliberation add value?', 'Reviewer calibration', 'Cost:'])
      expect(text, expected).toContain(expected);
    const posted = h.fake.messagesIn(threadId);
    const decisionAt = posted.findIndex((m) => m.embeds.some((e) => e.title?.startsWith('Council decision')));
    expect(decisionAt).toBeGreaterThanOrEqual(0);
    expect(posted.indexOf(textMessage)).toBeGreaterThan(decisionAt);
    expect(posted.indexOf(chartMessage)).toBeGreaterThan(posted.indexOf(textMessage));
  });

  it('When the charts go out, Then each PNG is a multipart file part of one thread message, byte for byte, shown by an embed through attachment://', () => {
    expect(charts.map((c) => c.fileName)).toEqual(['equity.png', 'drawdown.png']);
    const upload = h.fake.requests.find((r) => r.method === 'POST' && r.path === `/channels/${threadId}/messages` && r.files.length > 0)!;
    expect(upload.files.map((f) => [f.field, f.filename, f.contentType])).toEqual([
      ['files[0]', 'chart-0.png', 'image/png'],
      ['files[1]', 'chart-1.png', 'image/png'],
    ]);
    expect((upload.body as RESTPostAPIChannelMessageJSONBody).attachments).toEqual([
      { id: 0, filename: 'chart-0.png' },
      { id: 1, filename: 'chart-1.png' },
    ]);

    expect(chartMessage.attachments.map((a) => a.filename)).toEqual(['chart-0.png', 'chart-1.png']);
    chartMessage.attachments.forEach((a, i) => {
      const onDisk = readFileSync(charts[i]!.path!);
      expect(a.data.equals(onDisk), a.filename).toBe(true);
      expect(a.data.subarray(0, 8)).toEqual(PNG_SIGNATURE);
      expect([a.data.readUInt32BE(16), a.data.readUInt32BE(20)]).toEqual([1100, 600]);
    });
    expect(chartMessage.embeds.map((e) => [e.title, e.image?.url])).toEqual([
      ['Equity curves', 'attachment://chart-0.png'],
      ['Drawdowns', 'attachment://chart-1.png'],
    ]);
  });
});
