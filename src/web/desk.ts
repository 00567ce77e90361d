/**
 * The leaderboard windows a dashboard request may ask for: the desk's (`council leaderboard <window>`);
 * the pages and the API call `app.leaderboard` itself, so every figure is the one the desk quotes.
 */
import type { LeaderboardWindow } from '../app/desk.ts';

export const LEADERBOARD_WINDOWS = ['4w', '8w', 'all'] as const satisfies readonly LeaderboardWindow[];
export type { LeaderboardWindow };

export const isLeaderboardWindow = (w: string): w is LeaderboardWindow => (LEADERBOARD_WINDOWS as readonly string[]).includes(w);
