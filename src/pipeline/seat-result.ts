/**
 * What a seat's call gives back: its answer or its error as a value (never a thrown string, so an error
 * can never pose as an answer), what the call cost, and the kind of seat that answered.
 */

export interface Usage {
  calls: number;
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
}

export const NO_USAGE: Usage = { calls: 0, promptTokens: 0, completionTokens: 0, costUsd: 0 };

export const addUsage = (a: Usage, b: Usage): Usage => ({
  calls: a.calls + b.calls,
  promptTokens: a.promptTokens + b.promptTokens,
  completionTokens: a.completionTokens + b.completionTokens,
  costUsd: Math.round((a.costUsd + b.costUsd) * 1e6) / 1e6,
});

export type SeatResult<T> = { ok: true; value: T; model: string; usage: Usage } | { ok: false; error: string; model: string; usage: Usage };

export type SeatKind = 'llm' | 'systematic';
