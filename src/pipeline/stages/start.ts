/** The run's first event: who asked, for which week and decision time, and the council convened. */
import type { Council } from '../seats.ts';
import type { PipelineSettings } from '../settings.ts';
import type { RunStarted, SeatInfo, WeekEvent } from '../week.ts';

export interface RunRequest {
  week: string;
  query: string | undefined;
  /** The decision time; nothing published after it is used. */
  asOf: Date;
  /** Who asked, and through which channel: recorded on RunStarted. */
  requestedBy?: string;
  via?: string;
  /** Only a replay of a run recorded before the question was fenced: quote it inline again, as that run did. */
  inlineQuestion?: boolean;
}

/** RunStarted for a new run with this id: the seats with their accounts, the chairs, the question and how prompts quote it. */
export function startRun(runId: string, request: RunRequest, council: Council, settings: Pick<PipelineSettings, 'seatAccounts' | 'chairAccount'>): WeekEvent {
  const seats: SeatInfo[] = council.seats.map((s) => ({ id: s.id, model: s.model, kind: s.kind, account: settings.seatAccounts[s.id] ?? s.id }));
  const started: RunStarted = {
    runId,
    week: request.week,
    asOf: request.asOf.toISOString(),
    query: request.query ?? null,
    requestedBy: request.requestedBy ?? null,
    via: request.via ?? null,
    ...(request.inlineQuestion ? {} : { questionFormat: 'fenced' as const }),
    seats,
    chair: { models: council.chairs.map((c) => c.model), account: settings.chairAccount },
  };
  return { type: 'RunStarted', data: started };
}
