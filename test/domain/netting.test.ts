/** One order per account and symbol per session (issue 15): a working exit or trim folds into the next order of its symbol. */
import { describe, expect, it } from 'vitest';
import { netWithWorking, type WorkingOrder } from '../../src/domain/sizing.ts';

const order = (side: 'buy' | 'sell', qty: number, symbol = 'IWM', account = 'CHATGPT') => ({
  account,
  symbol,
  side,
  qty,
  reason: `open LONG ${symbol} at conviction 1.5`,
  clamps: [],
  clientOrderId: `tc-2019-03-04-abc-${account}-${symbol}`.toLowerCase(),
});
const exit: WorkingOrder = { account: 'CHATGPT', clientOrderId: 'tc-x-2019-02-25-abc-chatgpt-iwm', symbol: 'IWM', side: 'sell', qty: 139 };

describe('Netting against working exits', () => {
  it('Given a horizon exit selling 139 IWM at Monday open, When the new proposal buys 139 IWM, Then nothing is placed and the exit is folded away', () => {
    const { orders, netted } = netWithWorking([order('buy', 139)], [exit]);
    expect(orders).toEqual([]);
    expect(netted).toEqual([{ ...exit, into: null }]);
  });

  it('Given the same exit, When the proposal buys 200, Then one buy of 61 carries both, with the reason', () => {
    const { orders, netted } = netWithWorking([order('buy', 200)], [exit]);
    expect(orders).toMatchObject([
      {
        side: 'buy',
        qty: 61,
        reason: 'buy 61 = buy 200 to open LONG IWM at conviction 1.5, netted with the working sell 139 (tc-x-2019-02-25-abc-chatgpt-iwm): one order instead of 2',
      },
    ]);
    expect(netted).toEqual([{ ...exit, into: orders[0]!.clientOrderId }]);
  });

  it('Given the exit, When the proposal flips to a short of 50, Then one sell of 189', () => {
    expect(netWithWorking([order('sell', 50)], [exit]).orders).toMatchObject([{ side: 'sell', qty: 189, reason: expect.stringMatching(/^sell 189 = sell 50 to /) }]);
  });

  it('When the working order is another account, another symbol or not an exit, Then nothing is netted', () => {
    const others: WorkingOrder[] = [
      { ...exit, account: 'GEMINI' },
      { ...exit, symbol: 'SPY' },
      { ...exit, clientOrderId: 'tc-2019-02-25-abc-chatgpt-iwm' },
    ];
    const { orders, netted } = netWithWorking([order('buy', 139)], others);
    expect(orders).toEqual([order('buy', 139)]);
    expect(netted).toEqual([]);
  });
});
