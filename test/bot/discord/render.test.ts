/**
 * The Discord renderer against Discord's limits, with every notice at the largest size its schema
 * allows (the same fixtures the Slack renderer is held to), plus the wording a trader reads.
 */
import type { APIEmbed } from 'discord-api-types/v10';
import { describe, expect, it } from 'vitest';
import { parseCustomId, proposalCustomId } from '../../../src/bot/discord/ids.ts';
import { embedLength } from '../../../src/bot/discord/limits.ts';
import { type MessageBody, progressMessage, renderNotice } from '../../../src/bot/discord/render.ts';
import type { ProposalState } from '../../../src/domain/proposal.ts';
import type { Notice } from '../../../src/pipeline/notices.ts';
import { LARGEST, times } from '../slack/largest.ts';

/** Every limit Discord enforces on a message (its documented numbers, not our constants), as a list of broken ones (empty when the message is valid). */
function broken(body: MessageBody, where: string): string[] {
  const out: string[] = [];
  const embeds = (body.embeds ?? []) as APIEmbed[];
  if ((body.content ?? '').length > 2000) out.push(`${where}: content ${body.content!.length}`);
  if (embeds.length > 10) out.push(`${where}: ${embeds.length} embeds`);
  const total = embeds.reduce((n, e) => n + embedLength(e), 0);
  if (total > 6000) out.push(`${where}: ${total} characters of embeds`);
  for (const e of embeds) {
    if ((e.title?.length ?? 0) > 256) out.push(`${where}: title ${e.title!.length}`);
    if ((e.description?.length ?? 0) > 4096) out.push(`${where}: description ${e.description!.length}`);
    if ((e.fields?.length ?? 0) > 25) out.push(`${where}: ${e.fields!.length} fields`);
    for (const f of e.fields ?? []) {
      if (f.name.length > 256 || f.name.length === 0) out.push(`${where}: field name ${f.name.length}`);
      if (f.value.length > 1024 || f.value.length === 0) out.push(`${where}: field value ${f.value.length}`);
    }
    if ((e.footer?.text.length ?? 0) > 2048) out.push(`${where}: footer`);
  }
  const rows = (body.components ?? []) as { components: { custom_id?: string; label?: string }[] }[];
  if (rows.length > 5) out.push(`${where}: ${rows.length} rows`);
  for (const row of rows) {
    if (row.components.length > 5) out.push(`${where}: ${row.components.length} buttons in a row`);
    for (const c of row.components) if ((c.custom_id?.length ?? 0) > 100) out.push(`${where}: custom_id ${c.custom_id!.length}`);
  }
  if (JSON.stringify(body.allowed_mentions) !== JSON.stringify({ parse: [] })) out.push(`${where}: mentions may ping`);
  return out;
}

const pendingState = { status: 'PENDING', proposalId: 'p'.repeat(64), expiresAt: '2024-03-04T21:00:00Z' } as ProposalState;
const approvedState = { ...pendingState, status: 'EXECUTED', approvedBy: { by: `discord:${'9'.repeat(200)}`, at: '2024-03-04T13:00:00Z', via: 'x'.repeat(100) } } as ProposalState;

const largest: Notice[] = [
  ...Object.values(LARGEST),
  { ...LARGEST.exit_report, exits: LARGEST.exit_report.exits.map((e, i) => ({ ...e, proposalId: `exit-${'x'.repeat(50)}-${i}`, status: 'awaiting_approval' as const })) },
  { ...LARGEST.postmortem_ready, charts: times(23, (i) => ({ ...LARGEST.postmortem_ready.charts[0]!, fileName: `c${i}.png` })) },
];

describe('The Discord renderer at the largest content', () => {
  it.each(largest.map((n, i) => [`${n.type} #${i}`, n] as const))('When %s is rendered at its largest, Then every message keeps within Discord limits', (_name, notice) => {
    for (const state of [pendingState, approvedState]) {
      const out = renderNotice(notice, { proposal: state });
      const problems = [
        ...out.thread.flatMap((p, i) => broken(p.body, `thread[${i}]`)),
        ...out.channel.flatMap((b, i) => broken(b, `channel[${i}]`)),
        ...(out.decision ? broken(out.decision.edit, 'decision edit') : []),
      ];
      expect(problems).toEqual([]);
      for (const p of out.thread) {
        expect(p.files?.length ?? 0).toBeLessThanOrEqual(10);
        expect((p.body.attachments ?? []).length).toBe(p.files?.length ?? 0);
      }
    }
  });

  it('When a run is under way at its largest, Then the parent message keeps within the content limit', () => {
    const header = { week: '2024-03-04', runId: 'r'.repeat(36), query: 'q'.repeat(500), seats: 8 };
    for (const step of [0, 1, 2, 3, 4]) {
      const body = progressMessage(header, { step, count: '8/8', outcome: 'o'.repeat(3000), failed: step === 2 ? 'e'.repeat(3000) : null });
      expect(broken(body, `step ${step}`)).toEqual([]);
    }
  });

  it('When the decision has more orders than a field holds, Then the orders field says how many are not shown', () => {
    const many = {
      ...LARGEST.decision_ready,
      proposal: { ...LARGEST.decision_ready.proposal!, orders: times(40, (i) => ({ ...LARGEST.decision_ready.proposal!.orders[0]!, account: `A${i}` })) },
    };
    const post = renderNotice(many).thread.find((p) => p.decisionOf);
    const orders = (post!.body.embeds as APIEmbed[])[0]!.fields!.find((f) => f.name.startsWith('Orders'));
    expect(orders!.name).toBe('Orders (40)');
    expect(orders!.value).toMatch(/… and \d+ more$/);
  });

  it('When exits wait for approval, Then each gets its own Approve and Reject buttons and the summary points to them', () => {
    const exits = largest.at(-2)!;
    const out = renderNotice(exits);
    const withButtons = out.thread.filter((p) => p.decisionOf);
    expect(withButtons).toHaveLength(27);
    expect(JSON.stringify(out.thread[0]!.body)).not.toContain('/council approve');
  });

  it('When a postmortem has 23 charts, Then they go out as images in three messages of at most ten', () => {
    const out = renderNotice(largest.at(-1)!);
    const withFiles = out.thread.filter((p) => p.files?.length);
    expect(withFiles.map((p) => p.files!.length)).toEqual([10, 10, 3]);
    expect((withFiles[0]!.body.embeds as APIEmbed[])[0]!.image?.url).toBe('attachment://chart-0.png');
  });
});

describe('Button custom ids', () => {
  it('When a proposal id is as long as the command grammar allows, Then its custom id fits in 100 characters and parses back', () => {
    const id = proposalCustomId('approve', 'p'.repeat(64));
    expect(id.length).toBeLessThanOrEqual(100);
    expect(parseCustomId(id)).toEqual({ action: 'approve', proposalId: 'p'.repeat(64) });
  });

  it('When a custom id is foreign or malformed, Then it does not parse, and an id that cannot fit is refused when rendering', () => {
    for (const bad of ['approve:', 'approve:x', 'delete:2024-03-04-abc', `approve:${'p'.repeat(99)}`, 'approve:../../x', 'approve:a b c d'])
      expect(parseCustomId(bad)).toBeUndefined();
    expect(() => proposalCustomId('reject', 'p'.repeat(65))).toThrow(/does not fit/);
  });
});
