/**
 * The `/council` command grammar shared by every chat channel. Parsing is strict: an unknown
 * subcommand is a user error with the help text, never a guess.
 */
import { z } from 'zod';
import { UserFacingError } from '../domain/errors.ts';

export type CouncilCommand =
  | { kind: 'run'; query: string | undefined; week: string | undefined }
  | { kind: 'status' }
  | { kind: 'halt' }
  | { kind: 'resume' }
  | { kind: 'approve'; proposalId: string }
  | { kind: 'reject'; proposalId: string; reason: string | undefined }
  | { kind: 'checkpoint'; at: string | undefined }
  | { kind: 'postmortem'; week: string | undefined }
  | { kind: 'help' }
  /** A one-time dashboard sign-in link for the asker, answered privately; `revoke`: end the asker's sessions. */
  | { kind: 'web'; revoke: boolean };

export const HELP = [
  '/council run [YYYY-MM-DD] [question]     convene the council in its channel (a date: that past week)',
  '/council status                          seats, accounts, positions, pending proposals',
  '/council approve <id>                    approve a pending proposal (approvers only)',
  '/council reject <id> [why]               reject a pending proposal (approvers only)',
  '/council halt | resume                   kill switch: cancel open orders and block executions (approvers only)',
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
      return sub === 'approve' ? { kind: 'approve', proposalId: id.data } : { kind: 'reject', proposalId: id.data, reason: rest.slice(1).join(' ') || undefined };
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

/** A week already run, in words every channel shows (links are added by the channel that has them). */
export function weekSummaryLines(s: import('../app/index.ts').WeekSummary): string[] {
  const p = s.proposal;
  const d = s.decision;
  const sign = (x: number) => (x > 0 ? `+${x}` : String(x));
  return [
    `The week of ${s.week} was already run (run ${s.runId.slice(0, 8)}${s.requestedBy ? `, by ${s.requestedBy}${s.via ? ` via ${s.via}` : ''}` : ''}); it is not run again.`,
    ...(s.query ? [`Question from the desk: ${s.query}`] : []),
    d
      ? `Decision: ${d.direction} ${d.instrument}, conviction ${sign(d.conviction)}, horizon ${d.horizon}`
      : s.outcome === 'no_quorum'
        ? 'No quorum: no decision.'
        : `Outcome: ${s.outcome}`,
    p
      ? `Proposal ${p.id}: ${p.status}${p.approvedBy ? ` (approved by ${p.approvedBy.by} via ${p.approvedBy.via} at ${p.approvedBy.at})` : ''}${p.rejected ? ` (rejected by ${p.rejected.by} at ${p.rejected.at}${p.rejected.reason ? `: ${p.rejected.reason}` : ''})` : ''}${p.status === 'PENDING' ? ` until ${p.expiresAt}` : ''}`
      : 'No proposal: nothing to place.',
  ];
}
