/**
 * What the broker benches share: a week-of-2024-03-04 proposal opened straight into the store (no
 * council run), one SPY order per account, its targets what each account holds afterwards.
 */
import type { App } from '../src/app/index.ts';
import { partsOf } from '../src/compose.ts';
import { clientOrderId } from '../src/domain/sizing.ts';
import { nyDateTime } from '../src/market/time.ts';
import { proposalStream } from '../src/pipeline/run.ts';

export const BENCH_EXPIRY = nyDateTime('2024-03-04', '16:00');

export async function openSpyProposal(
  app: App,
  input: { proposalId: string; asOf: Date; accounts: readonly string[]; qty: number; price: number; sideOf?: (index: number) => 'buy' | 'sell' },
) {
  const { proposalId } = input;
  const orders = input.accounts.map((account, k) => ({
    account,
    symbol: 'SPY',
    side: input.sideOf?.(k) ?? ('buy' as const),
    qty: input.qty,
    reason: 'bench',
    clamps: [],
    clientOrderId: clientOrderId(proposalId, account, 'SPY'),
  }));
  await partsOf(app).store.append(proposalStream(proposalId), 0, [
    {
      type: 'ProposalOpened',
      data: {
        proposalId,
        council: 'main',
        week: '2024-03-04',
        runId: proposalId,
        asOf: input.asOf.toISOString(),
        expiresAt: BENCH_EXPIRY.toISOString(),
        decision: { instrument: 'SPY', direction: 'LONG', conviction: 1, horizon: '1w' },
        orders,
        // What each account holds afterwards: the approval computes these orders again from the book.
        targets: orders.map((o) => ({ account: o.account, symbol: o.symbol, qty: (o.side === 'buy' ? 1 : -1) * o.qty, price: input.price })),
      },
    },
  ]);
  return orders;
}
