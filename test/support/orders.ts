/** Broker orders as a test's stand-in broker answers them. */
import type { BrokerOrder, OrderRequest } from '../../src/brokers/port.ts';

/** `order` as a broker has just accepted it under `brokerOrderId`: working, nothing filled. */
export const acceptedOrder = (order: Omit<OrderRequest, 'at'>, brokerOrderId: string): BrokerOrder => ({
  ...order,
  brokerOrderId,
  status: 'accepted',
  filledQty: 0,
  avgFillPrice: null,
  fee: 0,
  filledAt: null,
  rejectReason: null,
});
