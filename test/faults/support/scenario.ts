/**
 * One fault scenario for the spawned `council` command: a database of its own, a fake Alpaca holding the
 * six paper accounts, the bundled CSV bars (a replay, so council time is the week's Monday), and helpers
 * that read back what the broker and the event store hold.
 */
import { bundledBarsDir } from '../../../src/market/csv.ts';
import { proposalStream } from '../../../src/pipeline/run.ts';
import { weekStream } from '../../../src/pipeline/week.ts';
import { createEventStore } from '../../../src/store/event-store.ts';
import type { StoredEvent } from '../../../src/store/port.ts';
import { ACCOUNTS, alpacaEnv, keyOf } from '../../brokers/env.ts';
import { type FakeAlpaca, startFakeAlpaca } from '../../fakes/alpaca.ts';
import { type CliResult, council } from '../../support/cli.ts';
import { type ScenarioDatabase, scenarioDatabase } from './database.ts';

export { ACCOUNTS, keyOf };

export interface PlannedOrder {
  account: string;
  symbol: string;
  side: 'buy' | 'sell';
  qty: number;
  clientOrderId: string;
}

export interface Scenario {
  db: ScenarioDatabase;
  fake: FakeAlpaca;
  /** Runs `council <args>` against this scenario's database and broker. */
  cli(args: string[], extra?: Record<string, string>): Promise<CliResult>;
  /** The week's and the proposal's streams, read once no `council` process holds the database. */
  streams(week: string, proposalId: string): Promise<{ week: StoredEvent[]; proposal: StoredEvent[] }>;
  dispose(): Promise<void>;
}

export async function startScenario(label: string, fillMode: 'hold' | 'fill' | 'partial' = 'fill'): Promise<Scenario> {
  const db = await scenarioDatabase(label);
  const fake = await startFakeAlpaca();
  const env = {
    ...alpacaEnv(fake, db.env.COUNCIL_DATA_DIR ?? '', { fillMode }),
    ...db.env,
    MARKET_DATA_DIR: bundledBarsDir(),
    LOG_LEVEL: 'warn',
  };
  return {
    db,
    fake,
    cli: (args, extra = {}) => council(args, { ...env, ...extra }),
    async streams(week, proposalId) {
      const opened = await db.open();
      try {
        const store = createEventStore(opened);
        return { week: await store.read(weekStream('main', week)), proposal: await store.read(proposalStream(proposalId)) };
      } finally {
        await opened.close();
      }
    },
    async dispose() {
      await fake.close();
      await db.dispose();
    },
  };
}

/** How many events of each type a stream holds, for exact comparison. */
export function countTypes(events: readonly StoredEvent[], ignore: readonly string[] = []): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const e of events) if (!ignore.includes(e.type)) counts[e.type] = (counts[e.type] ?? 0) + 1;
  return counts;
}

/** What an order means to an account, without the ids that differ from run to run. */
export const orderShape = (o: Pick<PlannedOrder, 'account' | 'symbol' | 'side' | 'qty'>) => `${o.account} ${o.side} ${o.qty} ${o.symbol}`;

/** Every POST /v2/orders the fake received, grouped by client order id. */
export function postsByClientOrderId(fake: FakeAlpaca): Map<string, number> {
  const counts = new Map<string, number>();
  for (const post of fake.posts()) {
    const id = String(post.body?.client_order_id);
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

/** Each account's orders and positions at the fake broker, as plain data. */
export function brokerBook(fake: FakeAlpaca): Record<string, { orders: string[]; positions: Record<string, number> }> {
  return Object.fromEntries(
    ACCOUNTS.map((account) => {
      const book = fake.accounts.get(keyOf(account));
      return [
        account,
        {
          orders: (book?.orders ?? []).map((o) => o.client_order_id).sort(),
          positions: Object.fromEntries([...(book?.positions ?? [])].map(([symbol, p]) => [symbol, p.qty])),
        },
      ];
    }),
  );
}

/** The book each account should hold once every planned order has filled. */
export function expectedBook(orders: readonly PlannedOrder[]): ReturnType<typeof brokerBook> {
  const book: ReturnType<typeof brokerBook> = Object.fromEntries(ACCOUNTS.map((a) => [a, { orders: [], positions: {} }]));
  for (const o of orders) {
    const entry = book[o.account];
    if (!entry) continue;
    entry.orders.push(o.clientOrderId);
    entry.orders.sort();
    entry.positions[o.symbol] = (entry.positions[o.symbol] ?? 0) + (o.side === 'buy' ? o.qty : -o.qty);
  }
  return book;
}
