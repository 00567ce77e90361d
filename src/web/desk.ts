/**
 * The desk's reads as the dashboard asks for them: the same use cases as chat and the CLI
 * (`council leaderboard <window> --json`), so every figure is the one the desk quotes.
 */
import type { CouncilApp } from '../app/index.ts';
import type { LeaderboardView, LeaderboardWindow } from '../app/desk.ts';

export const LEADERBOARD_WINDOWS = ['4w', '8w', 'all'] as const satisfies readonly LeaderboardWindow[];
export type { LeaderboardWindow };

export const isLeaderboardWindow = (w: string): w is LeaderboardWindow => (LEADERBOARD_WINDOWS as readonly string[]).includes(w);

/** The leaderboard over a window: the desk's own figures (the postmortem's metrics, the reviewers' calibration). */
export const leaderboard = (app: CouncilApp, window: LeaderboardWindow): Promise<LeaderboardView> => app.leaderboard(window);
