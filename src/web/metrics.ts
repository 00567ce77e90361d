/**
 * The operations metrics (Prometheus, through prom-client). Nothing in the pipeline knows about them:
 * they are fed by a wrapper around the event store (append latency, and every event this process
 * appends: runs, LLM usage per seat, orders, approvals, refusals), a notice sink (stage durations,
 * failed runs) and a wrapper around the scheduler's slot claims (slots by job and outcome).
 */
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import type { Notice, NoticeSink } from '../pipeline/notices.ts';
import type { Usage } from '../pipeline/seats.ts';
import type { MetricsHooks } from './observe.ts';

export interface Metrics extends MetricsHooks {
  readonly registry: Registry;
  /** Stage durations and failed runs, from the notices. */
  readonly sink: NoticeSink;
}

const STAGES: Partial<Record<Notice['type'], string>> = {
  research_ready: 'research',
  pitches_ready: 'pitches',
  reviews_ready: 'reviews',
  decision_ready: 'chairman',
};

/**
 * `now`: monotonic seconds for stage durations (injected in tests); `brokerOf`: where an account trades,
 * for the orders' broker label when an event does not say (a rejection, a fill).
 */
export function createMetrics(options: { defaultMetrics?: boolean; now?: () => number; brokerOf?: (account: string) => string } = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry });
  const now = options.now ?? (() => performance.now() / 1000);
  const registers = [registry];
  const brokerOf = (d: Record<string, unknown>): string =>
    typeof d.broker === 'string' ? d.broker : typeof d.account === 'string' && options.brokerOf ? options.brokerOf(d.account) : 'unknown';
  const runs = new Counter({ name: 'council_runs_total', help: 'Council runs finished by this process, by outcome', labelNames: ['outcome'], registers });
  const stages = new Histogram({
    name: 'council_stage_duration_seconds',
    help: 'Duration of each council stage (research, pitches, reviews, chairman), from the end of the previous one',
    labelNames: ['stage'],
    buckets: [0.05, 0.25, 1, 5, 15, 30, 60, 120, 240, 480],
    registers,
  });
  const llmCalls = new Counter({ name: 'council_llm_calls_total', help: 'LLM calls by seat and stage', labelNames: ['seat', 'stage'], registers });
  const llmTokens = new Counter({ name: 'council_llm_tokens_total', help: 'LLM tokens by seat and kind (prompt, completion)', labelNames: ['seat', 'kind'], registers });
  const llmCost = new Counter({ name: 'council_llm_cost_usd_total', help: 'LLM spend in US dollars by seat', labelNames: ['seat'], registers });
  const abstentions = new Counter({ name: 'council_abstentions_total', help: 'Pitches and reviews a seat abstained from', labelNames: ['seat', 'stage'], registers });
  const orders = new Counter({ name: 'council_orders_total', help: 'Orders by status (submitted, rejected, filled) and broker', labelNames: ['status', 'broker'], registers });
  const approvals = new Counter({ name: 'council_approvals_total', help: 'Proposal outcomes: approved, rejected, expired', labelNames: ['outcome'], registers });
  const refusals = new Counter({
    name: 'council_refusals_total',
    help: 'Refused actions (approve, reject, halt, resume by someone not allowed)',
    labelNames: ['action'],
    registers,
  });
  const slots = new Counter({
    name: 'council_scheduler_slots_total',
    help: 'Scheduled slots run by this process, by job and outcome (done, failed, missed)',
    labelNames: ['job', 'outcome'],
    registers,
  });
  const appends = new Histogram({
    name: 'council_event_store_append_seconds',
    help: 'Latency of event-store appends, by result (ok, conflict, error)',
    labelNames: ['result'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
    registers,
  });

  const usage = (seat: string, stage: string, u: Usage | undefined) => {
    if (!u || u.calls === 0) return;
    llmCalls.inc({ seat, stage }, u.calls);
    llmTokens.inc({ seat, kind: 'prompt' }, u.promptTokens);
    llmTokens.inc({ seat, kind: 'completion' }, u.completionTokens);
    llmCost.inc({ seat }, u.costUsd);
  };

  // Per run: when the previous stage ended.
  const marks = new Map<string, number>();
  const sink: NoticeSink = {
    publish: async (notice) => {
      if (notice.type === 'run_started') marks.set(notice.runId, now());
      else if (notice.type === 'run_failed') runs.inc({ outcome: 'failed' });
      const stage = STAGES[notice.type];
      if (stage && 'runId' in notice && notice.runId) {
        const since = marks.get(notice.runId);
        const at = now();
        if (since !== undefined) stages.observe({ stage }, at - since);
        if (stage === 'chairman') marks.delete(notice.runId);
        else marks.set(notice.runId, at);
      }
      if (notice.type === 'no_quorum') marks.delete(notice.runId);
    },
  };

  return {
    registry,
    sink,
    observeAppend: (seconds, result) => appends.observe({ result }, seconds),
    observeSlot: (job, outcome) => slots.inc({ job, outcome }),
    observeEvents(_stream, events) {
      for (const e of events) {
        const d = (e.data ?? {}) as Record<string, unknown>;
        switch (e.type) {
          case 'RunCompleted':
            runs.inc({ outcome: String(d.outcome) });
            break;
          case 'ResearchCompleted':
            usage('research', 'research', d.usage as Usage);
            break;
          case 'PitchRecorded':
            usage(String(d.seat), 'pitch', d.usage as Usage);
            if (d.status === 'abstained') abstentions.inc({ seat: String(d.seat), stage: 'pitch' });
            break;
          case 'ReviewRecorded':
            usage(String(d.reviewer), 'review', d.usage as Usage);
            if (d.status === 'abstained') abstentions.inc({ seat: String(d.reviewer), stage: 'review' });
            break;
          case 'DecisionMade':
            usage('chairman', 'chair', d.usage as Usage);
            break;
          case 'OrderSubmitted':
            orders.inc({ status: 'submitted', broker: brokerOf(d) });
            break;
          case 'OrderRejected':
            orders.inc({ status: 'rejected', broker: brokerOf(d) });
            break;
          case 'OrderFilled':
            orders.inc({ status: 'filled', broker: brokerOf(d) });
            break;
          case 'ProposalApproved':
            approvals.inc({ outcome: 'approved' });
            break;
          case 'ProposalRejected':
            approvals.inc({ outcome: 'rejected' });
            break;
          case 'ProposalExpired':
            approvals.inc({ outcome: 'expired' });
            break;
          case 'ApprovalRefused':
          case 'HaltRefused':
          case 'RequestRefused':
            refusals.inc({ action: String(d.action ?? 'unknown') });
            break;
        }
      }
    },
  };
}
