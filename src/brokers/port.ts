/** The broker port: one interface for the simulated broker and Alpaca, addressed by account id. */

export type OrderSide = 'buy' | 'sell';
export type OrderStatus = 'accepted' | 'partially_filled' | 'filled' | 'canceled' | 'rejected' | 'expired';

export interface OrderRequest {
  account: string;
  clientOrderId: string;
  symbol: string;
  side: OrderSide;
  qty: number;
  /** When the order is sent (simulated time in replays). */
  at: Date;
}

export interface BrokerOrder {
  account: string;
  clientOrderId: string;
  brokerOrderId: string;
  symbol: string;
  side: OrderSide;
  qty: number;
  status: OrderStatus;
  filledQty: number;
  avgFillPrice: number | null;
  fee: number;
  filledAt: string | null;
  rejectReason: string | null;
}

export interface PositionView {
  symbol: string;
  qty: number;
  avgPrice: number;
  marketPrice: number | null;
  marketValue: number;
  unrealizedPl: number;
}

export interface AccountView {
  account: string;
  broker: 'simulated' | 'alpaca';
  equity: number;
  cash: number;
  buyingPower: number;
  positions: PositionView[];
  openOrders: BrokerOrder[];
}

/** The broker said no, definitively (buying power, not shortable, market closed...). Safe to record. */
export class OrderRejectedError extends Error {
  readonly code = 'ORDER_REJECTED';
  constructor(message: string) {
    super(message);
    this.name = 'OrderRejectedError';
  }
}

/** The broker may or may not have the order (timeout, 5xx): look it up by client order id before anything else. */
export class AmbiguousOrderError extends Error {
  readonly code = 'ORDER_AMBIGUOUS';
  constructor(message: string) {
    super(message);
    this.name = 'AmbiguousOrderError';
  }
}

export type PlannedOrder = Pick<OrderRequest, 'account' | 'symbol' | 'side' | 'qty'>;

export interface Broker {
  kindOf(account: string): 'simulated' | 'alpaca';
  /** Throws OrderRejectedError or AmbiguousOrderError; never silently drops an order. */
  submit(order: OrderRequest): Promise<BrokerOrder>;
  findByClientOrderId(account: string, clientOrderId: string): Promise<BrokerOrder | undefined>;
  account(account: string, asOf: Date): Promise<AccountView>;
  /** Advances fills to `asOf` (the simulated broker fills at the next open); returns orders that changed. */
  settle(accounts: readonly string[], asOf: Date): Promise<BrokerOrder[]>;
  cancelOpenOrders(account: string, at: Date): Promise<number>;
  /**
   * Optional: cancels one working order (netting folds an unfilled exit into the next order of the same
   * account and symbol). Answers the order as it stands afterwards: `canceled`, or `filled` when it
   * filled first (then nothing was canceled); undefined when the broker has no such order.
   */
  cancelOrder?(account: string, clientOrderId: string, at: Date, reason: string): Promise<BrokerOrder | undefined>;
  /**
   * Optional: starts the read-only checks `submit` will need for orders about to be sent (positions and
   * shortability of sells), so they overlap with recording the approval instead of adding a round trip
   * after it. Never rejects: a failed check is reported by the submit that needed it.
   */
  prepare?(orders: readonly PlannedOrder[]): Promise<void>;
  /**
   * Optional: orders that may be sent any time until `until` (a proposal waiting for its click). The
   * adapter keeps what their submits will need fresh meanwhile, so the click does not wait for it.
   * Never rejects.
   */
  anticipate?(orders: readonly PlannedOrder[], until: Date): Promise<void>;
  /** Optional: stops background work (the refreshes `anticipate` keeps going). */
  close?(): void;
}
