/** Notices at the largest size their schemas allow, for the renderer's limit tests and the fake's upload test. */
import { type Condition, type Pitch, RUBRIC, type Rubric } from '../../../src/domain/schemas.ts';
import type { Notice, OrderLine, PositionCheck } from '../../../src/pipeline/notices.ts';
import type { Postmortem } from '../../../src/pipeline/postmortem.ts';

/** Text of exactly `n` characters, full of what mrkdwn must escape (so escaping makes it longer still). */
export const long = (n: number, tag = 'x') => `${tag} <!channel> & <@U1> `.repeat(Math.ceil(n / 20)).slice(0, n);
export const times = <T>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));

export const SEATS = 8;
export const ACCOUNTS = SEATS + 1;
const condition: Condition = { symbol: 'ABCDEFGH', indicator: 'dist_52w_high', comparator: '>=', threshold: -123456.789 };
export const usage = { calls: 9999, promptTokens: 99_999_999, completionTokens: 9_999_999, costUsd: 9999.9999 };
const rubric = Object.fromEntries(RUBRIC.map((k) => [k, 10])) as Rubric;
const pitch: Pitch = {
  instrument: 'ABCDEFGH',
  direction: 'SHORT',
  horizon: '1w',
  thesis: times(5, (i) => long(300, `t${i}`)),
  indicators: times(6, () => ({ ...condition, value: -123456.789 })),
  conviction: -2,
  invalidation: { rule: long(400, 'rule'), conditions: times(4, () => condition) },
};
export const orders = times(ACCOUNTS, (i) => ({ account: `ACCOUNT_${i}_LONGNAME`, symbol: 'ABCDEF', side: 'sell' as const, qty: 123456, reason: long(200, 'why'), clamps: times(3, () => long(80, 'clamp')), clientOrderId: `2024-03-04-abcdef-ACCOUNT_${i}-ABCDEF` }));
// Each account closes two symbols and opens a third: three targets per account.
export const targets = times(ACCOUNTS * 3, (i) => ({ account: `ACCOUNT_${Math.floor(i / 3)}_LONGNAME`, symbol: `ABCDE${i % 3}`, qty: i % 3 === 2 ? -123456 : 0, price: 123456.78 }));
const orderLines: OrderLine[] = orders.map((o, i) => ({ ...o, status: (['filled', 'rejected', 'submitted', 'pending', 'planned'] as const)[i % 5]!, fillPrice: 123456.78, note: long(300, 'note') }));
const position: PositionCheck = {
  account: 'ACCOUNT_LONGNAME',
  owner: 'SEATNAME',
  symbol: 'ABCDEF',
  qty: -123456,
  direction: 'SHORT',
  entry: { proposalId: '2024-03-04-abcdef', week: '2024-03-04', session: '2024-03-05', price: 123456.78 },
  mark: 123456.78,
  markSource: { kind: 'open', session: '2024-03-06' },
  avgPrice: 123456.78,
  pl: -12345678.9,
  plPct: -0.9999,
  status: 'invalidated',
  rule: long(400, 'rule'),
  conditions: times(4, () => ({ condition, value: -123456.789, holds: true, near: true })),
  horizon: { horizon: '1w', lastSession: '2024-03-08', due: true },
  notes: times(5, () => long(300, 'note')),
  exit: 'invalidation',
  exitDetail: long(300, 'exit'),
};
export const openOrder = { account: 'A', clientOrderId: 'c'.repeat(48), brokerOrderId: 'b', symbol: 'ABCDEF', side: 'buy' as const, qty: 123456, status: 'accepted' as const, filledQty: 0, avgFillPrice: null, fee: 0, filledAt: null, rejectReason: null };
const performance = { sessions: 260, totalReturn: -0.5, annualisedReturn: -0.9, sharpe: -12.34, sortino: -12.34, maxDrawdown: 0.99, volatility: 1.2 };
const postmortem: Postmortem = {
  council: 'main',
  week: '2024-03-04',
  from: '2024-03-01',
  to: '2024-03-08',
  weekFrom: '2024-03-01',
  weeks: 52,
  dates: times(260, (i) => `d${i}`),
  accounts: times(ACCOUNTS, (i) => ({
    account: `ACCOUNT_${i}_LONGNAME`,
    role: i === 0 ? 'council' : 'member',
    seat: i === 0 ? null : `SEAT${i}`,
    equity: 12345678.9,
    weekPnl: -1234567.89,
    weekReturn: -0.5,
    pnl: -1234567.89,
    performance,
    trades: { trades: 999, hitRate: 0.5, averageWin: 123456.78, averageLoss: -123456.78, profitFactor: 99.99, expectancy: -123456.78, holdingDays: 99.9, pnl: -1234567.89 },
    turnover: 99.9,
    fees: 12345.67,
    exposure: 1.99,
    timeInMarket: 1,
    beta: -1.23,
    alpha: -1.23,
    informationRatio: -12.34,
    calmar: -12.34,
    drawdownSessions: { sessions: 2500, ongoing: true },
    scaled: { spy: performance, equalWeight: performance },
    usage,
    pnlPerTokenDollar: -1234.56,
  })),
  curves: [],
  benchmark: { name: 'SPY buy-and-hold', symbols: ['SPY'], weekReturn: 0.01, performance, equity: [] },
  equalWeight: { name: 'Equal-weight universe', symbols: times(20, (i) => `S${i}`), weekReturn: 0.01, performance, equity: [] },
  deliberation: { council: -0.5, best: { account: 'ACCOUNT_1_LONGNAME', totalReturn: 0.5 }, median: 0.1, vsBest: -1, vsMedian: -0.6, weekly: { weeks: 521, mean: -0.0123, low: -0.0234, high: 0.0123, verdict: 'inconclusive' } },
  riskFree: { source: 'FRED DTB3 (3-month T-bill), last value before each session, / 252 per session', cashInterest: false, returns: [] },
  ledger: { fills: [], trips: [] },
  scaledBenchmarks: { exposure: 0.1, spy: [], equalWeight: [] },
  marks: [],
  calibration: times(SEATS, (i) => ({ reviewer: `SEAT${i}`, pitches: 999, meanScore: 9.9, correlation: -0.99 })),
  killShots: times(40, (i) => ({ week: '2024-03-04', reviewer: `SEAT${i % SEATS}`, target: 'SEAT0', trade: 'SHORT ABCDEFGH', killShot: long(400, 'kill'), flipCondition: long(300, 'flip'), realised: -0.5 })),
  usage,
};

/** The largest notice of each type. Keyed by type, so a new notice type fails to compile until it has a case. */
export const LARGEST: { [K in Notice['type']]: Extract<Notice, { type: K }> } = {
  run_started: { type: 'run_started', week: '2024-03-04', runId: 'r'.repeat(36), query: long(500, 'q'), seats: SEATS, resumed: true, asOf: '2024-03-04T13:00:00Z' },
  research_ready: {
    type: 'research_ready',
    week: '2024-03-04',
    runId: 'r',
    lastSession: '2024-03-01',
    sources: times(3, () => ({ model: long(60, 'model'), kind: 'llm' as const, ok: false, error: long(500, 'err') })),
    pack: {
      regime: { riskAppetite: 'risk-off', rates: 'rising', usd: 'strong', inflation: 'rising', growth: 'slowing', volatility: 'stressed', summary: long(600, 'sum') },
      narratives: times(3, () => ({ title: long(120, 'title'), detail: long(500, 'detail'), cites: times(6, (i) => `W${100 + i}`) })),
      consensus: times(6, () => ({ view: long(200, 'view'), stance: 'contrarian' as const, evidence: long(300, 'ev'), cites: times(6, (i) => `S${10 + i}`) })),
      candidates: times(5, () => ({ symbol: 'ABCDEFGH', direction: 'SHORT' as const, reason: long(300, 'reason') })),
      calendar: times(12, () => ({ date: '2024-03-07', event: long(200, 'event'), cites: times(6, (i) => `S${10 + i}`) })),
      confidence: times(5, () => long(300, 'conf')),
      sources: times(60, (i) => ({ id: `S${i + 1}`, title: long(200, 'headline'), source: long(80, 'src'), publishedAt: '2024-03-04T12:59:00.000Z', url: `https://example.com/${long(470, 'u')}` })),
      provenance: { news: long(300, 'news'), calendar: long(600, 'cal') },
    },
    droppedCitations: 99,
  },
  stage_progress: { type: 'stage_progress', week: '2024-03-04', runId: 'r', stage: 'reviews', done: SEATS, total: SEATS },
  pitches_ready: { type: 'pitches_ready', week: '2024-03-04', runId: 'r', pitches: times(SEATS, (i) => ({ label: String.fromCharCode(65 + i), status: 'ok' as const, kind: 'llm' as const, pitch, error: null })) },
  reviews_ready: {
    type: 'reviews_ready',
    week: '2024-03-04',
    runId: 'r',
    rows: times(SEATS, (i) => ({ label: String.fromCharCode(65 + i), instrument: 'ABCDEFGH', direction: 'SHORT' as const, averages: rubric, overall: 10, reviewers: SEATS - 1, killShots: times(SEATS - 1, (j) => long(400, `kill${j}`)) })),
    abstained: times(SEATS, () => long(300, 'abst')),
  },
  decision_ready: {
    type: 'decision_ready',
    week: '2024-03-04',
    runId: 'r',
    decision: {
      instrument: 'ABCDEFGH',
      direction: 'SHORT',
      conviction: -2,
      horizon: '1w',
      rationale: long(1500, 'rat'),
      dissent: long(1000, 'dis'),
      monitoring: { checkpoints: times(6, () => '15:50'), indicators: times(6, () => condition), watch: times(5, () => long(300, 'watch')) },
      invalidation: { rule: long(400, 'rule'), conditions: times(4, () => condition) },
    },
    chair: { model: long(60, 'chair'), kind: 'llm', failures: times(3, () => ({ model: long(60, 'm'), error: long(500, 'e') })) },
    identities: times(SEATS, (i) => ({ label: String.fromCharCode(65 + i), seat: `SEAT${i}`, model: long(60, 'model'), kind: 'llm' as const, account: `ACCOUNT_${i}`, status: 'abstained' as const, error: long(500, 'err') })),
    proposal: { id: '2024-03-04-abcdef', status: 'PENDING', expiresAt: '2024-03-04T21:00:00Z', targets, orders },
    usage,
  },
  no_quorum: { type: 'no_quorum', week: '2024-03-04', runId: 'r', valid: 2, required: 3, abstentions: times(SEATS, (i) => ({ seat: `SEAT${i}`, error: long(2000, 'err') })) },
  proposal_approved: { type: 'proposal_approved', week: '2024-03-04', proposalId: 'p'.repeat(64), by: `discord:${'9'.repeat(200)}`, at: '2024-03-04T13:00:00Z', via: long(100, 'via') },
  proposal_rejected: { type: 'proposal_rejected', week: '2024-03-04', proposalId: 'p'.repeat(64), by: 'slack:U0123', at: '2024-03-04T13:00:00Z', reason: long(5000, 'reason') },
  proposal_expired: { type: 'proposal_expired', week: '2024-03-04', proposalId: 'p'.repeat(64), at: '2024-03-04T21:00:00Z', reason: long(2000, 'reason') },
  execution_report: { type: 'execution_report', week: '2024-03-04', proposalId: 'p'.repeat(64), orders: orderLines, complete: false },
  approval_refused: { type: 'approval_refused', proposalId: 'p'.repeat(64), by: `discord:${'9'.repeat(200)}`, reason: long(3000, 'reason') },
  run_failed: { type: 'run_failed', week: '2024-03-04', runId: null, errorId: 'abcdef12', message: long(10_000, 'msg') },
  checkpoint_report: {
    type: 'checkpoint_report',
    week: '2024-03-04',
    at: '2024-03-06T20:50:00Z',
    halted: true,
    positions: times(ACCOUNTS * 3, () => position),
    news: { since: '2024-03-06T19:00:00Z', error: null, items: times(10, () => ({ headline: long(160, 'headline'), source: long(80, 'src'), publishedAt: '2024-03-06T20:00:00Z', url: long(500, 'url'), symbols: times(8, () => 'ABCDEFGH') })) },
  },
  exit_report: {
    type: 'exit_report',
    week: '2024-03-04',
    at: '2024-03-06T20:50:00Z',
    requireApproval: true,
    exits: times(ACCOUNTS * 3, (i) => ({ account: `ACCOUNT_${i}`, symbol: 'ABCDEF', side: 'buy' as const, qty: 123456, reason: 'invalidation' as const, detail: long(300, 'detail'), proposalId: `exit-${i}`, status: 'failed' as const, orders: orderLines, note: long(500, 'note') })),
  },
  halt_changed: { type: 'halt_changed', halted: true, by: `discord:${'9'.repeat(200)}`, at: '2024-03-04T13:00:00Z', canceledOrders: 99_999 },
  reconciliation_report: {
    type: 'reconciliation_report',
    at: '2024-03-04T13:00:00Z',
    accounts: times(ACCOUNTS, (i) => ({
      account: `ACCOUNT_${i}`,
      unrecordedOrders: times(20, () => ({ proposalId: 'p'.repeat(64), clientOrderId: 'c'.repeat(48), symbol: 'ABCDEF', side: 'buy' as const, qty: 123456, status: 'partially_filled' })),
      endedOrders: times(20, () => ({ proposalId: 'p'.repeat(64), clientOrderId: 'c'.repeat(48), symbol: 'ABCDEF', status: 'canceled' })),
      foreignOpenOrders: times(20, () => ({ clientOrderId: 'c'.repeat(48), symbol: 'ABCDEF', side: 'sell' as const, qty: 123456 })),
      positions: times(20, () => ({ symbol: 'ABCDEF', broker: 123456, recorded: 654321 })),
      error: null,
    })),
  },
  postmortem_ready: { type: 'postmortem_ready', week: '2024-03-04', postmortem, charts: times(4, (i) => ({ fileName: `chart-${i}.png`, title: long(200, 'title'), png: new Uint8Array(8), path: null })) },
};

