/**
 * The `/council` command grammar shared by every chat channel. Parsing is strict: an unknown
 * subcommand is a user error with the help text, never a guess.
 */
import { z } from 'zod';
import type { CostWindow, DeskWindow, LeaderboardWindow } from '../app/index.ts';
import { UserFacingError } from '../domain/errors.ts';
import { nyStamp, signedConviction } from './format.ts';

export type CouncilCommand =
  | { kind: 'run'; query: string | undefined; week: string | undefined }
  | { kind: 'status' }
  | { kind: 'halt' }
  | { kind: 'resume' }
  /** `accounts`: a partial approval (`--accounts A,B`); absent: every account. */
  | { kind: 'approve'; proposalId: string; accounts?: string[] }
  | { kind: 'reject'; proposalId: string; reason: string | undefined }
  | { kind: 'checkpoint'; at: string | undefined }
  | { kind: 'postmortem'; week: string | undefined }
  | { kind: 'positions' }
  | { kind: 'profit'; window: DeskWindow }
  | { kind: 'history'; n: number }
  | { kind: 'leaderboard'; window: LeaderboardWindow }
  | { kind: 'cost'; window: CostWindow }
  /** `confirmed`: the asker already said yes (`--yes`, or the confirm button); otherwise the channel asks first. */
  | { kind: 'exit'; account: string; symbol: string | undefined; reason: string | undefined; confirmed: boolean }
  | { kind: 'pause' }
  | { kind: 'unpause' }
  | { kind: 'help' }
  | { kind: 'help' }
  /** A one-time dashboard sign-in link for the asker, answered privately; `revoke`: end the asker's sessions. */
  | { kind: 'web'; revoke: boolean };

/** How many weeks `history` shows unless told, and at most. */
export const HISTORY_DEFAULT = 4;
export const HISTORY_MAX = 52;

export const HELP = [
  '/council run [YYYY-MM-DD] [question]     convene the council in its channel (a date: that past week)',
  '/council status                          seats, accounts, positions, pending proposals',
  '/council approve <id> [--accounts A,B]   approve a pending proposal, or only those accounts (approvers only)',
  '/council reject <id> [why]               reject a pending proposal (approvers only)',
  '/council halt | resume                   kill switch: cancel orders that add risk and block executions (approvers only)',
  '/council pause | unpause                 stop new entries; exits, stops and checkpoints go on (approvers only)',
  '/council positions                       every account: qty, avg price, mark, unrealised P/L, stop, take-profit, age',
  '/council profit [1w|4w|8w|all]           realised and unrealised P/L and return per account, council vs members vs SPY',
  '/council history [N]                     the last N weeks: decision, outcome, week P/L',
  '/council leaderboard [4w|8w|all]         accounts ranked by return, Sharpe, drawdown, hit rate; reviewer calibration',
  '/council cost [4w|all]                   LLM spend by seat and stage, tokens, P/L per dollar',
  '/council exit <account|all> [symbol|all] [why]  close positions now, after a confirmation (approvers only)',
  '/council checkpoint [YYYY-MM-DDTHH:MM]   judge open positions now, or at a New York time (console)',
  '/council postmortem [YYYY-MM-DD]         the postmortem of a week with charts (console)',
  '/council web [revoke]                    a private one-time sign-in link to the dashboard; revoke: end your sessions',
].join('\n');

export class CommandError extends UserFacingError {
  readonly code = 'BAD_COMMAND';
}

const ProposalId = z.string().regex(/^[\w-]{4,64}$/, 'a proposal id like 2024-03-04-1a2b3c');

/** Parses the text after "/council" (or a whole "/council ..." line). */
export function parseCouncilCommand(text: string): CouncilCommand {
  const words = text
    .trim()
    .replace(/^\/council\b/, '')
    .trim()
    .split(/\s+/)
    .filter(Boolean);
  const [sub, ...rest] = words;
  switch ((sub ?? 'help').toLowerCase()) {
    case 'run': {
      let week: string | undefined;
      const i = rest.indexOf('--week');
      if (i >= 0) {
        week = rest[i + 1];
        if (!week || !/^\d{4}-\d{2}-\d{2}$/.test(week)) throw new CommandError('--week needs a date like 2024-03-04');
        rest.splice(i, 2);
      } else if (rest[0] && /^\d{4}-\d{2}-\d{2}$/.test(rest[0])) {
        // `/council run 2024-03-04` means that week: a bare date is never a question worth a council.
        week = rest.shift();
      }
      // Cleaned and capped once, where the run is requested (App.run, domain/question.ts).
      const query = rest.join(' ') || undefined;
      return { kind: 'run', query, week };
    }
    case 'status':
      return { kind: 'status' };
    case 'halt':
      return { kind: 'halt' };
    case 'resume':
      return { kind: 'resume' };
    case 'approve':
    case 'reject': {
      const id = ProposalId.safeParse(rest[0]);
      if (!id.success) throw new CommandError(`${sub} needs a proposal id, e.g. /council ${sub} 2024-03-04-1a2b3c`);
      if (sub === 'reject') return { kind: 'reject', proposalId: id.data, reason: rest.slice(1).join(' ') || undefined };
      const accounts = rest[1] === '--accounts' ? (rest[2]?.split(',').filter(Boolean) ?? []) : undefined;
      if (accounts && !accounts.length) throw new CommandError('--accounts needs account names, e.g. /council approve 2024-03-04-1a2b3c --accounts COUNCIL,CLAUDE');
      return { kind: 'approve', proposalId: id.data, ...(accounts ? { accounts } : {}) };
    }
    case 'checkpoint': {
      const at = rest[0];
      if (at !== undefined && !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(at)) throw new CommandError('checkpoint takes a New York time like 2024-03-05T12:00');
      return { kind: 'checkpoint', at };
    }
    case 'postmortem': {
      const week = rest[0];
      if (week !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(week)) throw new CommandError('postmortem takes a week like 2024-03-04');
      return { kind: 'postmortem', week };
    }
    case 'positions':
      return { kind: 'positions' };
    case 'profit':
      return { kind: 'profit', window: windowOf('profit', rest[0], ['1w', '4w', '8w', 'all'], '1w') };
    case 'leaderboard':
      return { kind: 'leaderboard', window: windowOf('leaderboard', rest[0], ['4w', '8w', 'all'], '4w') };
    case 'cost':
      return { kind: 'cost', window: windowOf('cost', rest[0], ['4w', 'all'], '4w') };
    case 'history': {
      if (rest[0] === undefined) return { kind: 'history', n: HISTORY_DEFAULT };
      const n = z.coerce.number().int().min(1).max(HISTORY_MAX).safeParse(rest[0]);
      if (!n.success) throw new CommandError(`history takes a number of weeks from 1 to ${HISTORY_MAX}, e.g. /council history 4`);
      return { kind: 'history', n: n.data };
    }
    case 'exit': {
      const confirmed = rest.includes('--yes');
      const words = rest.filter((w) => w !== '--yes');
      const [account, second, ...why] = words;
      if (!account || !/^[\w-]{1,40}$/.test(account)) throw new CommandError('exit needs an account (or all), e.g. /council exit COUNCIL SPY, /council exit all');
      // The second word is always the symbol ("all": every position), so a reason never reads as a ticker.
      if (second !== undefined && !/^[A-Za-z][A-Za-z.]{0,9}$/.test(second)) throw new CommandError(`"${second}" is not a symbol; say /council exit ${account} <symbol|all> [why]`);
      const symbol = second === undefined || second.toLowerCase() === 'all' ? undefined : second.toUpperCase();
      return { kind: 'exit', account, symbol, reason: why.join(' ') || undefined, confirmed };
    }
    case 'pause':
      return { kind: 'pause' };
    case 'unpause':
      return { kind: 'unpause' };
    case 'help':
      return { kind: 'help' };
    case 'web': {
      if (rest.length > 1 || (rest[0] !== undefined && rest[0].toLowerCase() !== 'revoke')) throw new CommandError('web takes nothing, or revoke: /council web revoke');
      return { kind: 'web', revoke: rest[0] !== undefined };
    }
    default:
      throw new CommandError(`unknown command "${sub}". Try:\n${HELP}`);
  }
}

/** A window word, checked against the ones the command takes; `fallback` when none is given. */
function windowOf<W extends string>(command: string, word: string | undefined, allowed: readonly W[], fallback: W): W {
  if (word === undefined) return fallback;
  const found = allowed.find((w) => w === word.toLowerCase());
  if (!found) throw new CommandError(`${command} takes ${allowed.join(', ')} (default ${fallback}), got "${word}"`);
  return found;
}

/** A week already run, in words every channel shows (links are added by the channel that has them). */
export function weekSummaryLines(s: import('../app/index.ts').WeekSummary): string[] {
  const p = s.proposal;
  const d = s.decision;
  return [
    `The week of ${s.week} was already run (run ${s.runId.slice(0, 8)}${s.requestedBy ? `, by ${s.requestedBy}${s.via ? ` via ${s.via}` : ''}` : ''}); it is not run again.`,
    ...(s.query ? [`Question from the desk: ${s.query}`] : []),
    d
      ? `Decision: ${d.direction} ${d.instrument}, conviction ${signedConviction(d.conviction)}, horizon ${d.horizon}`
      : s.outcome === 'no_quorum'
        ? 'No quorum: no decision.'
        : `Outcome: ${s.outcome}`,
    p
      ? `Proposal ${p.id}: ${p.status}${p.approvedBy ? ` (approved by ${p.approvedBy.by} via ${p.approvedBy.via} at ${nyStamp(p.approvedBy.at)})` : ''}${p.rejected ? ` (rejected by ${p.rejected.by} at ${nyStamp(p.rejected.at)}${p.rejected.reason ? `: ${p.rejected.reason}` : ''})` : ''}${p.status === 'PENDING' ? ` until ${nyStamp(p.expiresAt)}` : ''}`
      : 'No proposal: nothing to place.',
  ];
}
