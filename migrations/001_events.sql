-- The event log, and the read models derived from it as views: the events are the truth, so a view can
-- be changed (create or replace) without migrating any data. Must run on PostgreSQL 15 and on PGlite
-- (PostgreSQL 18), and twice without harm.

create table if not exists events (
  global_position bigserial primary key,
  stream text not null,
  version int not null,
  type text not null,
  data jsonb not null,
  meta jsonb not null default '{}',
  recorded_at timestamptz not null default now(),
  unique (stream, version)
);

create index if not exists events_type_idx on events (type);
-- text_pattern_ops lets `stream like 'week:%'` use the index whatever the database collation.
create index if not exists events_stream_prefix_idx on events (stream text_pattern_ops);

-- Week streams are `week:<council>:<YYYY-MM-DD>`; the council may itself contain colons.

create or replace view research_packs as
select
  substring(stream from '^week:(.*):[^:]*$') as council,
  substring(stream from '[^:]*$') as week,
  data->>'runId' as run_id,
  data->'pack' as pack,
  stream, version, global_position, recorded_at
from events
where type = 'ResearchCompleted' and stream like 'week:%';

create or replace view pitches as
select
  substring(stream from '^week:(.*):[^:]*$') as council,
  substring(stream from '[^:]*$') as week,
  data->>'runId' as run_id,
  data->>'seat' as seat,
  data->>'model' as model,
  data->>'status' as status,
  nullif(data->'pitch', 'null'::jsonb) as pitch,
  data->'pitch'->>'instrument' as instrument,
  data->'pitch'->>'direction' as direction,
  (data->'pitch'->>'conviction')::numeric as conviction,
  data->>'error' as error,
  stream, version, global_position, recorded_at
from events
where type = 'PitchRecorded' and stream like 'week:%';

create or replace view reviews as
select
  substring(stream from '^week:(.*):[^:]*$') as council,
  substring(stream from '[^:]*$') as week,
  data->>'runId' as run_id,
  data->>'reviewer' as reviewer,
  data->>'seed' as seed,
  data->'labels' as labels,
  data->'scores' as scores,
  stream, version, global_position, recorded_at
from events
where type = 'ReviewRecorded' and stream like 'week:%';

create or replace view decisions as
select
  substring(stream from '^week:(.*):[^:]*$') as council,
  substring(stream from '[^:]*$') as week,
  data->>'runId' as run_id,
  data->'decision' as decision,
  data->'decision'->>'instrument' as instrument,
  data->'decision'->>'direction' as direction,
  (data->'decision'->>'conviction')::numeric as conviction,
  stream, version, global_position, recorded_at
from events
where type = 'DecisionMade' and stream like 'week:%';

-- One row per proposal stream. EXECUTED wins once ExecutionCompleted is recorded; otherwise the latest
-- of Approved/Rejected/Expired decides, and PENDING when none is.
create or replace view proposals as
select
  o.data->>'proposalId' as proposal_id,
  o.data->>'week' as week,
  o.data->'orders' as orders,
  case
    when exists (
      select 1 from events c where c.stream = o.stream and c.type = 'ExecutionCompleted'
    ) then 'EXECUTED'
    when d.type = 'ProposalApproved' then 'APPROVED'
    when d.type = 'ProposalRejected' then 'REJECTED'
    when d.type = 'ProposalExpired' then 'EXPIRED'
    else 'PENDING'
  end as status,
  d.data->>'by' as decided_by,
  d.data->>'at' as decided_at,
  d.data->>'reason' as reason,
  o.recorded_at as opened_at,
  last.version,
  last.recorded_at as updated_at,
  o.stream
from events o
left join lateral (
  select s.type, s.data
  from events s
  where s.stream = o.stream
    and s.type in ('ProposalApproved', 'ProposalRejected', 'ProposalExpired')
  order by s.version desc
  limit 1
) d on true
join lateral (
  select l.version, l.recorded_at
  from events l
  where l.stream = o.stream
  order by l.version desc
  limit 1
) last on true
where o.type = 'ProposalOpened' and o.stream like 'proposal:%';

-- One row per OrderFilled event. A partially filled order has several.
create or replace view fills as
select
  case when stream like 'proposal:%' then substr(stream, length('proposal:') + 1) end as proposal_id,
  data->>'account' as account,
  data->>'clientOrderId' as client_order_id,
  data->>'symbol' as symbol,
  lower(data->>'side') as side,
  (data->>'qty')::numeric as qty,
  (data->>'price')::numeric as price,
  coalesce((data->>'fee')::numeric, 0) as fee,
  (data->>'filledAt')::timestamptz as filled_at,
  stream, version, global_position, recorded_at
from events
where type = 'OrderFilled';

-- One row per order planned by a proposal, with what became of it at the broker.
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
cross join lateral jsonb_array_elements(
  case when jsonb_typeof(p.data->'orders') = 'array' then p.data->'orders' else '[]'::jsonb end
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

-- Net position per (account, symbol) from fills: buy +, sell -; flat rows are dropped.
-- avg_cost is the average-cost basis of the open position: it starts at the fill that last moved the
-- position off zero (or across it), grows with fills in the position's direction and is unchanged by
-- fills that reduce it.
create or replace view positions as
with signed as (
  select account, symbol, price, filled_at, global_position,
         case side when 'buy' then qty else -qty end as delta
  from fills
  where side in ('buy', 'sell')
),
running as (
  select signed.*,
         sum(delta) over (partition by account, symbol order by global_position) as after_qty
  from signed
),
opened as (
  select account, symbol, max(global_position) as opened_position
  from running
  where after_qty <> 0 and sign(after_qty) <> sign(after_qty - delta)
  group by account, symbol
),
net as (
  select account, symbol, sum(delta) as qty, max(filled_at) as last_fill_at
  from signed
  group by account, symbol
  having sum(delta) <> 0
),
lot as (
  select r.account, r.symbol, r.price,
         case when r.global_position = op.opened_position then abs(r.after_qty) else abs(r.delta) end as units
  from running r
  join opened op on op.account = r.account and op.symbol = r.symbol
  join net n on n.account = r.account and n.symbol = r.symbol
  where r.global_position >= op.opened_position and sign(r.delta) = sign(n.qty)
)
select
  n.account,
  n.symbol,
  n.qty,
  (select trim_scale(sum(l.units * l.price) / sum(l.units))
     from lot l where l.account = n.account and l.symbol = n.symbol) as avg_cost,
  n.last_fill_at
from net n;
