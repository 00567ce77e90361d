/**
 * The broker port. Each broker kind (the simulated broker, Alpaca, any other) is a `BrokerAdapter`: the
 * core every broker has, plus the optional capabilities it declares by implementing their interfaces
 * (`Settling` or `SettlingWithBooks`, `CancellingOne`, `Prewarming`, `Protecting`, `Streaming`, `Closing`), found with the type guards below. The council
 * trades through one `Broker`: the router (src/brokers/router.ts) that sends each account to its
 * adapter and answers every capability for every account.
 */

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
  /**
   * The protective legs of an order that opens or adds to a position: sent as one order, one-triggers-other
   * (a stop) or a bracket (a stop and a take-profit). The legs rest at the broker once the order fills.
   */
  protect?: ProtectiveLegs;
}

/** The exits a position carries at the broker. */
export interface ProtectiveLegs {
  /** A sell stop under a long, a buy stop over a short. */
  stopPrice: number;
  /** A limit on the profitable side; null for none (the order is then one-triggers-other, not a bracket). */
  takeProfitPrice: number | null;
}

/** One leg of an order with protective legs, as the broker holds it. */
export interface OrderLeg {
  kind: 'stop' | 'take_profit';
  brokerOrderId: string;
  /** The stop or limit price. */
  price: number;
  /** `held` until the parent fills, then working (`accepted`) until it fills, is canceled or expires. */
  status: OrderStatus | 'held';
  filledQty: number;
  avgFillPrice: number | null;
  filledAt: string | null;
  /** The fee charged for the leg's fill, dollars (absent: none, as on Alpaca). */
  fee?: number;
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
  /** The protective legs of an order sent with them (see OrderRequest.protect). */
  legs?: OrderLeg[];
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
  broker: BrokerKind;
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

/** A broker's kind: 'simulated', 'alpaca', or another adapter's name. Status shows it; orders record it. */
export type BrokerKind = string;

/** What every broker does for the accounts it holds. */
export interface BrokerCore {
  /** Throws OrderRejectedError or AmbiguousOrderError; never silently drops an order. */
  submit(order: OrderRequest): Promise<BrokerOrder>;
  findByClientOrderId(account: string, clientOrderId: string): Promise<BrokerOrder | undefined>;
  account(account: string, asOf: Date): Promise<AccountView>;
  cancelOpenOrders(account: string, at: Date): Promise<number>;
}

/** One kind of broker: the core, under its kind's name. */
export interface BrokerAdapter extends BrokerCore {
  readonly kind: BrokerKind;
}

/** A broker that fills only when told time has passed (the simulated broker fills at the next open). */
export interface Settling {
  /** Advances fills to `asOf`; returns the orders that changed. */
  settle(accounts: readonly string[], asOf: Date): Promise<BrokerOrder[]>;
}

/** What a settle changed and each account's book after it. */
export interface SettledBooks {
  /** The orders that changed, as `settle` answers them. */
  changed: BrokerOrder[];
  /** Each account's book as of the instant settled to, in the order the accounts were given. */
  books: AccountView[];
}

/**
 * A settling broker that answers the books with the settle: a checkpoint settles every account and then
 * views each, and a broker holding the ledgers it just settled need not read them again for the view.
 */
export interface SettlingWithBooks extends Settling {
  /** `settle(accounts, asOf)`, then `account(a, asOf)` for each, in one call. */
  settleAndView(accounts: readonly string[], asOf: Date): Promise<SettledBooks>;
}

/** A broker that cancels one working order (netting folds an unfilled exit into the next order of its symbol). */
export interface CancellingOne {
  /**
   * Answers the order as it stands afterwards: `canceled`, or `filled` when it filled first (then
   * nothing was canceled); undefined when the broker has no such order.
   */
  cancelOrder(account: string, clientOrderId: string, at: Date, reason: string): Promise<BrokerOrder | undefined>;
}

/** A broker that warms up what a submit will need, so the click does not wait for it. Neither method rejects. */
export interface Prewarming {
  /**
   * Starts the read-only checks `submit` will need for orders about to be sent (positions and
   * shortability of sells), so they overlap with recording the approval instead of adding a round trip
   * after it. A failed check is reported by the submit that needed it.
   */
  prepare(orders: readonly PlannedOrder[]): Promise<void>;
  /**
   * Orders that may be sent any time until `until` (a proposal waiting for its click): what their
   * submits will need is kept fresh meanwhile.
   */
  anticipate(orders: readonly PlannedOrder[], until: Date): Promise<void>;
}

/** A broker that holds protective legs: cancels them before an exit, replaces them after a resize. */
export interface Protecting {
  /**
   * Cancels every resting protective leg of `symbol` in `account`; answers the orders that held them as
   * they stand afterwards (a leg that filled first is answered filled: then the position is already out).
   */
  cancelLegs(account: string, symbol: string, at: Date): Promise<BrokerOrder[]>;
  /**
   * After a resize: cancels the position's legs and places one stop (and take-profit) for the whole
   * position, `qty` signed shares, idempotent by `clientOrderId`.
   */
  replaceLegs(request: { account: string; symbol: string; qty: number; legs: ProtectiveLegs; clientOrderId: string; at: Date }): Promise<BrokerOrder>;
}

/** One change of an order the broker pushed (Alpaca's trade_updates stream). */
export interface OrderUpdate {
  account: string;
  event: 'new' | 'fill' | 'partial_fill' | 'canceled' | 'expired' | 'rejected' | 'replaced';
  /** The order as it stands after the update; for a leg, the parent order with its legs. */
  order: BrokerOrder;
  /** Which leg changed, when one did. */
  leg: OrderLeg['kind'] | null;
  /** When the broker says it happened (ISO). */
  at: string;
}

/** A broker that pushes order updates as they happen. */
export interface Streaming {
  /**
   * Listens until the returned function is called. `onGap(account)` follows every reconnect: updates may
   * have been missed, so the account is reconciled by polling before its updates are trusted again.
   */
  watch(handlers: { onUpdate(update: OrderUpdate): void; onGap(account: string): void }): () => void;
}

/** A broker with background work to stop (the refreshes `anticipate` keeps going). */
export interface Closing {
  close(): void;
}

const has = (broker: object, method: string): boolean => typeof (broker as Record<string, unknown>)[method] === 'function';

export const isSettling = <B extends object>(broker: B): broker is B & Settling => has(broker, 'settle');
export const isSettlingWithBooks = <B extends object>(broker: B): broker is B & SettlingWithBooks => isSettling(broker) && has(broker, 'settleAndView');
export const isCancellingOne = <B extends object>(broker: B): broker is B & CancellingOne => has(broker, 'cancelOrder');
export const isPrewarming = <B extends object>(broker: B): broker is B & Prewarming => has(broker, 'prepare') && has(broker, 'anticipate');
export const isProtecting = <B extends object>(broker: B): broker is B & Protecting => has(broker, 'cancelLegs') && has(broker, 'replaceLegs');
export const isStreaming = <B extends object>(broker: B): broker is B & Streaming => has(broker, 'watch');
export const isClosing = <B extends object>(broker: B): broker is B & Closing => has(broker, 'close');

/**
 * What the council trades through: every account's broker behind one port (createBrokerRouter), each
 * capability answered for every account. An account whose broker lacks one gets its plain answer:
 * nothing to settle or warm up, a cancel that only looks the order up.
 */
export interface Broker extends BrokerCore, SettlingWithBooks, CancellingOne, Prewarming, Protecting, Streaming, Closing {
  /** The kind of broker `account` trades on. */
  kindOf(account: string): BrokerKind;
}
