-- One row per order of a proposal, with what became of it at the broker. Since proposals carry target
-- positions, the orders placed are computed at the approval from the book then and recorded on
-- ProposalApproved (data.orders); those are the rows once approved. Before, and for proposals approved
-- before this, the orders planned on ProposalOpened.
create or replace view orders as
select
  p.data->>'proposalId' as proposal_id,
  o->>'account' as account,
  o->>'clientOrderId' as client_order_id,
  o->>'symbol' as symbol,
  lower(o->>'side') as side,
  (o->>'qty')::numeric as qty,
  case
    when f.filled_qty >= (o->>'qty')::numeric then 'FILLED'
    when f.filled_qty > 0 then 'PARTIALLY_FILLED'
    when r.found then 'REJECTED'
    when s.found then 'SUBMITTED'
    else 'PLANNED'
  end as status,
  s.broker_order_id,
  r.reason as reject_reason,
  coalesce(f.filled_qty, 0) as filled_qty,
  f.avg_price,
  p.stream
from events p
left join lateral (
  select a.data->'orders' as orders
  from events a
  where a.stream = p.stream and a.type = 'ProposalApproved' and jsonb_typeof(a.data->'orders') = 'array'
  order by a.version desc
  limit 1
) approved on true
cross join lateral jsonb_array_elements(
  coalesce(approved.orders, case when jsonb_typeof(p.data->'orders') = 'array' then p.data->'orders' else '[]'::jsonb end)
) as o
left join lateral (
  select true as found, e.data->>'brokerOrderId' as broker_order_id
  from events e
  where e.stream = p.stream and e.type = 'OrderSubmitted'
    and e.data->>'clientOrderId' = o->>'clientOrderId' and e.data->>'account' = o->>'account'
  order by e.version desc
  limit 1
) s on true
left join lateral (
  select true as found, e.data->>'reason' as reason
  from events e
  where e.stream = p.stream and e.type = 'OrderRejected'
    and e.data->>'clientOrderId' = o->>'clientOrderId' and e.data->>'account' = o->>'account'
  order by e.version desc
  limit 1
) r on true
left join lateral (
  select sum(fl.qty) as filled_qty, trim_scale(sum(fl.qty * fl.price) / nullif(sum(fl.qty), 0)) as avg_price
  from fills fl
  where fl.stream = p.stream and fl.client_order_id = o->>'clientOrderId' and fl.account = o->>'account'
) f on true
where p.type = 'ProposalOpened' and p.stream like 'proposal:%';
