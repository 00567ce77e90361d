/**
 * One dispatch from a chat command to its use case, shared by every channel (the console, Slack,
 * Discord, next the web). A channel turns its input into a `CouncilCommand` (commands.ts), says who
 * asks (`Asker`), and renders what comes back; which use cases a command calls, in what order, and
 * the answers every channel gives alike are written here once. The console (and the web) call
 * `dispatch` for the whole command; Slack and Discord, which must acknowledge within 3 s, call its
 * steps (`planRun`, `approveUntilRecorded`) between their acknowledgements.
 */
import type { Authoriser } from '../app/authoriser.ts';
import type {
  CouncilApp as App,
  CostView,
  DeskExitResult,
  DeskPosition,
  HistoryView,
  LeaderboardView,
  PositionsView,
  Principal,
  ProfitView,
  RefusedAction,
  StatusView,
  TradingState,
} from '../app/index.ts';
import { nyDateTime } from '../market/time.ts';
import type { OrderLine } from '../pipeline/notices.ts';
import type { WeekState } from '../pipeline/week.ts';
import { webSignInOf } from '../web/sign-in.ts';
import { CommandError, type CouncilCommand, HELP, weekSummaryLines } from './commands.ts';

/** Who asks, through which channel, and the channel's own authoriser when it has rules of its own (a Discord role). */
export interface Asker {
  by: Principal;
  via: string;
  /** The app's authoriser extended by the channel (extendAuthoriser); absent, the app's own (COUNCIL_APPROVERS). */
  authoriser?: Authoriser;
}

/** Use cases only some channels have, injected by the composition root (the console's). */
export interface DispatchExtras {
  checkpoint?: (at: Date | undefined) => Promise<void>;
  postmortem?: (week: string | undefined) => Promise<void>;
}

/** What a command came to, for the channel to render. */
export type Outcome =
  | { kind: 'help'; text: string }
  | { kind: 'already_run'; week: string; lines: string[] }
  | { kind: 'ran'; week: string; state: WeekState }
  | { kind: 'status'; view: StatusView }
  | { kind: 'approved'; proposalId: string; orders: OrderLine[] }
  | { kind: 'rejected'; proposalId: string }
  | { kind: 'halted'; halted: boolean; canceled: number }
  | { kind: 'checkpoint' }
  | { kind: 'postmortem' }
  | { kind: 'positions'; view: PositionsView }
  | { kind: 'profit'; view: ProfitView }
  | { kind: 'history'; view: HistoryView }
  | { kind: 'leaderboard'; view: LeaderboardView }
  | { kind: 'cost'; view: CostView }
  /** An exit not yet confirmed: what it would close; the channel asks, then dispatches it again with `confirmed`. */
  | { kind: 'exit_confirm'; command: Extract<CouncilCommand, { kind: 'exit' }>; positions: DeskPosition[] }
  | { kind: 'exited'; result: DeskExitResult }
  /** `changed`: false when the switch already stood that way (no notice went out). */
  | { kind: 'paused'; trading: TradingState; changed: boolean }
  /** The private answer to `/council web`: a sign-in link, or how many sessions were ended. */
  | { kind: 'web'; text: string };

/** The state-changing action a command asks for, as the trust checks name it; a read or help: undefined. */
export function actionOf(command: CouncilCommand): RefusedAction | undefined {
  switch (command.kind) {
    case 'run':
    case 'halt':
    case 'resume':
    case 'approve':
    case 'reject':
    case 'exit':
    case 'pause':
    case 'unpause':
      return command.kind;
    default:
      return undefined;
  }
}

/** A run request, planned: a week already run (what every channel shows of it), or one to start or resume. */
export type RunStep = { kind: 'done'; week: string; lines: string[] } | { kind: 'new' | 'resume'; week: string; start(): Promise<WeekState> };

/**
 * Plans a run without starting it, so a channel can answer first: a week already run is shown, never
 * run again; otherwise `start` runs it for the asker (a failed run also reaches the thread, as run_failed).
 */
export async function planRun(app: App, request: { week: string | undefined; query: string | undefined }, asker: Asker): Promise<RunStep> {
  const plan = await app.runPlan({ week: request.week });
  if (plan.kind === 'done') {
    const summary = await app.weekSummary(plan.week, plan.state);
    return { kind: 'done', week: plan.week, lines: summary ? weekSummaryLines(summary) : [`The week of ${plan.week} was already run.`] };
  }
  return { kind: plan.kind, week: plan.week, start: () => app.run({ week: plan.week, query: request.query, by: asker.by, via: asker.via }) };
}

/**
 * Starts an approval and waits until it is recorded (or refused, which throws): a channel acknowledges
 * the click only then, so an acknowledged click survives a crash. The orders go on in `done`.
 */
export async function approveUntilRecorded(
  app: App,
  proposalId: string,
  asker: Asker,
  /** A partial approval's accounts (the rest declined); absent: all. */
  accounts?: readonly string[],
): Promise<{ done: ReturnType<App['approve']> }> {
  let recorded!: () => void;
  const signal = new Promise<void>((resolve) => {
    recorded = resolve;
  });
  const done = app.approve({ proposalId, by: asker.by, via: asker.via, authoriser: asker.authoriser, onRecorded: recorded, ...(accounts ? { accounts } : {}) });
  // Handled here too: the caller attaches its own handler only after its acknowledgement's round trip.
  done.catch(() => {});
  await Promise.race([signal, done]);
  return { done };
}

/**
 * An exit: unconfirmed, what it would close (an asker who may not exit is refused, and recorded, before
 * anything is shown); confirmed, the exits themselves.
 */
export async function exitStep(app: App, command: Extract<CouncilCommand, { kind: 'exit' }>, asker: Asker): Promise<Outcome> {
  const request = { by: asker.by, via: asker.via, account: command.account, symbol: command.symbol, reason: command.reason, authoriser: asker.authoriser };
  if (command.confirmed) return { kind: 'exited', result: await app.exit(request) };
  // The refusal is the use case's (it records it); asked first, so a stranger never sees the preview.
  if (!(asker.authoriser ?? app.authoriser).mayApprove(asker.by, 'exit')) return { kind: 'exited', result: await app.exit(request) };
  const all = command.account.toLowerCase() === 'all';
  const account = all ? undefined : app.accounts.find((a) => a.toLowerCase() === command.account.toLowerCase());
  if (!all && !account) throw new CommandError(`no account "${command.account}"; the accounts are ${app.accounts.join(', ')} (or all)`);
  const view = await app.positions();
  const positions = view.accounts
    .filter((a) => all || a.account === account)
    .flatMap((a) => a.positions)
    .filter((p) => (!command.symbol || p.symbol === command.symbol) && p.qtyAfterExits !== 0)
    .map((p) => ({ ...p, qty: p.qtyAfterExits }));
  if (positions.length === 0)
    throw new CommandError(`${all ? 'no account' : account} holds ${command.symbol ?? 'any position'} that an exit is not already closing; nothing to exit`);
  return { kind: 'exit_confirm', command, positions };
}

/** Runs a whole command for the asker and says what it came to. Refusals and bad input throw user-facing errors. */
export async function dispatch(app: App, command: CouncilCommand, asker: Asker, extras: DispatchExtras = {}): Promise<Outcome> {
  switch (command.kind) {
    case 'help':
      return { kind: 'help', text: HELP };
    case 'run': {
      const step = await planRun(app, command, asker);
      if (step.kind === 'done') return { kind: 'already_run', week: step.week, lines: step.lines };
      return { kind: 'ran', week: step.week, state: await step.start() };
    }
    case 'status':
      return { kind: 'status', view: await app.status() };
    case 'approve': {
      const { orders } = await app.approve({
        proposalId: command.proposalId,
        by: asker.by,
        via: asker.via,
        authoriser: asker.authoriser,
        ...(command.accounts ? { accounts: command.accounts } : {}),
      });
      return { kind: 'approved', proposalId: command.proposalId, orders };
    }
    case 'reject':
      await app.reject({ proposalId: command.proposalId, by: asker.by, via: asker.via, reason: command.reason ?? null, authoriser: asker.authoriser });
      return { kind: 'rejected', proposalId: command.proposalId };
    case 'halt':
    case 'resume': {
      const halted = command.kind === 'halt';
      return { kind: 'halted', halted, canceled: await app.halt(asker.by, halted, asker.authoriser) };
    }
    case 'checkpoint':
      if (!extras.checkpoint) throw new CommandError('checkpoints are not available here');
      await extras.checkpoint(command.at ? nyDateTime(command.at.slice(0, 10), command.at.slice(11)) : undefined);
      return { kind: 'checkpoint' };
    case 'postmortem':
      if (!extras.postmortem) throw new CommandError('postmortems are not available here');
      await extras.postmortem(command.week);
      return { kind: 'postmortem' };
    case 'positions':
      return { kind: 'positions', view: await app.positions() };
    case 'profit':
      return { kind: 'profit', view: await app.profit(command.window) };
    case 'history':
      return { kind: 'history', view: await app.history(command.n) };
    case 'leaderboard':
      return { kind: 'leaderboard', view: await app.leaderboard(command.window) };
    case 'cost':
      return { kind: 'cost', view: await app.cost(command.window) };
    case 'exit':
      return exitStep(app, command, asker);
    case 'pause':
    case 'unpause': {
      const paused = command.kind === 'pause';
      const before = await app.tradingState();
      await app.pause({ by: asker.by, via: asker.via, paused, authoriser: asker.authoriser });
      return { kind: 'paused', trading: await app.tradingState(), changed: (before.state === 'paused') !== paused };
    }
    case 'web':
      return { kind: 'web', text: await webAnswer(app, command.revoke, asker.by) };
    default: {
      const never: never = command;
      return never;
    }
  }
}

/** `/council web`: a one-time link for the asker (only they see it), or the end of all their sessions. */
export async function webAnswer(app: App, revoke: boolean, by: Principal): Promise<string> {
  const signIn = webSignInOf(app);
  if (revoke) {
    const ended = await signIn.revoke(by);
    return `Ended ${ended} dashboard session${ended === 1 ? '' : 's'} of ${by}.`;
  }
  return `Your dashboard sign-in link (for ${by}; it works once, within 10 minutes; do not share it): ${signIn.link(by)}`;
}
