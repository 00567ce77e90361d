/**
 * The app's Home tab: pending proposals with their Approve and Reject buttons (the same permanent
 * handlers as the decision message's), whether trading is on, each account's equity and positions, and
 * the next scheduled runs, all from `status()`. Published when a user opens the tab, and published again
 * for everyone who opened it since this process started when a notice changes what it shows.
 */
import type { webApi } from '@slack/bolt';
import type { CouncilApp, StatusView } from '../../app/index.ts';
import type { Logger } from '../../logger.ts';
import type { Notice, NoticeSink } from '../../pipeline/notices.ts';
import { money, nyStamp, TARGETS_NOTE, targetText, truncate } from '../format.ts';
import { actions, type Block, context, divider, esc, header, packLines, section } from './blocks.ts';
import { actionIds, who } from './render.ts';
import type { Tasks } from './tasks.ts';

/** A Home tab holds 100 blocks: proposals beyond this many are counted, not shown. */
const MAX_PROPOSALS = 10;

/** The notices after which the Home tab shows something else. */
const REFRESHING: ReadonlySet<Notice['type']> = new Set([
  'decision_ready',
  'proposal_approved',
  'proposal_rejected',
  'proposal_expired',
  'execution_report',
  'exit_report',
  'halt_changed',
  'pause_changed',
  'reconciliation_report',
  'order_update',
]);

export const homeActionsBlock = (proposalId: string) => `home_proposal:${proposalId}`;

/** Whether trading is on, paused (no new entries; exits, stops and checkpoints go on) or halted. */
function tradingLine(status: StatusView): string {
  const { state, by, at } = status.trading;
  const since = `${by ? ` by ${who(by)}` : ''}${at ? ` at ${nyStamp(at)}` : ''}`;
  if (state === 'halted') return `:octagonal_sign: *Trading HALTED*${since}: no orders go out until it is resumed.`;
  if (state === 'paused') return `:double_vertical_bar: *Trading PAUSED*${since}: no new entries; exits, stops and checkpoints go on.`;
  return ':large_green_circle: *Trading is on.*';
}

function proposalBlocks(status: StatusView): Block[] {
  if (!status.pending.length) return [section('_No proposal is waiting for approval._')];
  const shown = status.pending.slice(0, MAX_PROPOSALS).flatMap((p) => [
    // What the approver approves: the targets, with the orders as planned and the note that they are computed again.
    section(
      truncate(
        [
          `*Proposal \`${esc(p.proposalId)}\`*, week of ${esc(p.week)}: pending until ${nyStamp(p.expiresAt)}`,
          ...(p.targets.length ? ['Targets, what each account holds afterwards:', ...p.targets.map((t) => `• ${esc(targetText(t))}`), 'Orders as planned:'] : []),
          ...(p.orders.length ? p.orders.map((o) => `• ${esc(`${o.account}: ${o.side.toUpperCase()} ${o.qty} ${o.symbol}`)}`) : ['_no orders_']),
          ...(p.targets.length ? [`_${esc(TARGETS_NOTE)}_`] : []),
        ].join('\n'),
        3_000,
      ),
    ),
    actions(homeActionsBlock(p.proposalId), [
      { text: 'Approve…', actionId: actionIds.approve(p.proposalId), value: p.proposalId, style: 'primary' },
      { text: 'Reject…', actionId: actionIds.reject(p.proposalId), value: p.proposalId, style: 'danger' },
    ]),
  ]);
  const more = status.pending.length - MAX_PROPOSALS;
  return more > 0 ? [...shown, context(`${more} more pending: \`/council status\` lists them all.`)] : shown;
}

function accountLines(status: StatusView): string[] {
  return status.accounts.map((a) => {
    if (a.error) return `*${esc(a.account)}*: could not be read (${esc(a.error)})`;
    const positions = a.positions.map((p) => `${esc(p.symbol)} ${p.qty}`).join(', ');
    return `*${esc(a.account)}*: equity ${money(a.equity)}, ${positions ? `holds ${positions}` : 'no positions'}`;
  });
}

export function renderHome(status: StatusView): { type: 'home'; blocks: Block[] } {
  const runs = status.nextRuns.map((r) => `• ${esc(r.job)}: ${nyStamp(r.at)}`);
  return {
    type: 'home',
    blocks: [
      header('Trading council'),
      section(tradingLine(status)),
      divider(),
      header('Pending proposals'),
      ...proposalBlocks(status),
      divider(),
      header('Accounts'),
      ...packLines(accountLines(status)),
      divider(),
      header('Next scheduled runs'),
      ...(runs.length ? packLines(runs) : [section('_Nothing scheduled in this process._')]),
      context(`As of ${nyStamp(status.asOf)}`),
    ],
  };
}

export interface AppHome {
  /** Publishes the Home tab for a user who opened it, and remembers them for later refreshes. */
  opened(userId: string): Promise<void>;
  /** Republishes for those users after a notice that changes the tab. */
  readonly sink: NoticeSink;
}

export function createAppHome(deps: { app: CouncilApp; client: webApi.WebClient; tasks: Tasks; logger: Logger }): AppHome {
  const viewers = new Set<string>();
  // One refresh at a time; notices arriving meanwhile ask for one more, not one each.
  let running: Promise<void> | undefined;
  let again = false;

  const publish = async (user: string, status: StatusView) => {
    await deps.client.views.publish({ user_id: user, view: renderHome(status) });
  };

  const refresh = async (): Promise<void> => {
    do {
      again = false;
      const status = await deps.app.status();
      for (const user of viewers) await publish(user, status).catch((error: unknown) => deps.logger.warn({ err: error, user }, 'slack: could not refresh a Home tab'));
    } while (again);
  };

  return {
    async opened(userId) {
      viewers.add(userId);
      await publish(userId, await deps.app.status());
    },
    sink: {
      publish: async (notice) => {
        if (!REFRESHING.has(notice.type) || !viewers.size) return;
        if (running) {
          again = true;
          return;
        }
        const work = refresh().finally(() => {
          running = undefined;
        });
        running = work;
        // In the background: a Home tab never holds up the notices that go to the channel.
        deps.tasks.run('home', () => work);
      },
    },
  };
}
