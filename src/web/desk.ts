/**
 * The desk's read models the dashboard shows but the application does not offer yet (issue 18 adds
 * `leaderboard(window)`, `cost(window)`, `positions()` and `tradingState()` to CouncilApp). The
 * composition root wires these to the application's use cases once they exist; until then the
 * dashboard answers from what `status()` holds (`fromStatus`), and says so (`source: "status"`).
 */
import type { CouncilApp } from '../app/index.ts';

export const LEADERBOARD_WINDOWS = ['1w', '4w', '8w', 'all'] as const;
export type LeaderboardWindow = (typeof LEADERBOARD_WINDOWS)[number];

/** A leaderboard row as the dashboard reads it; the desk's own document may carry more. */
export interface LeaderboardRow {
  account: string;
  equity: number;
  /** Since the start (or the window's start when the desk knows it), as a fraction: 0.012 is +1.2%. */
  return: number;
}

export interface LeaderboardView {
  window: LeaderboardWindow;
  /** "desk" when the desk's use case answered; "status": equity now against the starting cash only. */
  source: 'desk' | 'status';
  accounts: LeaderboardRow[];
  [more: string]: unknown;
}

export interface DeskQueries {
  /** `council leaderboard <window> --json`, when wired. */
  leaderboard?(window: LeaderboardWindow): Promise<{ accounts: LeaderboardRow[]; [more: string]: unknown }>;
  /** LLM spend, `council cost <window> --json`, when wired. */
  cost?(window: '1w' | '4w' | 'all'): Promise<{ usd: number; [more: string]: unknown }>;
  /** running / paused / halted, when wired (`tradingState()`); else halted or running from status. */
  tradingState?(): Promise<{ state: 'running' | 'paused' | 'halted'; [more: string]: unknown }>;
  /** `council pause` / `unpause` (approvers; the use case authorises and records refusals), when wired. */
  pause?(request: { by: string; via: 'web'; paused: boolean }): Promise<unknown>;
  /** `council exit <account|all> [symbol]` (approvers), when wired. */
  exit?(request: { by: string; via: 'web'; account: string; symbol: string | undefined }): Promise<unknown>;
}

/** The leaderboard: the desk's, else each account's equity now against the configured starting cash. */
export async function leaderboard(app: CouncilApp, desk: DeskQueries, window: LeaderboardWindow): Promise<LeaderboardView> {
  if (desk.leaderboard) return { ...(await desk.leaderboard(window)), window, source: 'desk' };
  const start = app.config.file.risk.startingCash;
  const accounts = (await app.status()).accounts
    .map((a) => ({ account: a.account, equity: a.equity, return: start > 0 ? a.equity / start - 1 : 0 }))
    .sort((a, b) => b.return - a.return);
  return { window, source: 'status', accounts };
}
