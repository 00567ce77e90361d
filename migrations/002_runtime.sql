-- Runtime state that is not part of the event history: a cache of model answers, and scheduler slots
-- claimed with a lease so that two processes never run the same job slot.

create table if not exists llm_cache (
  prompt_hash text primary key,
  model text,
  response jsonb,
  created_at timestamptz default now()
);

create table if not exists slot_claims (
  job text,
  slot timestamptz,
  claimed_by text,
  claimed_at timestamptz default now(),
  lease_until timestamptz,
  completed_at timestamptz,
  primary key (job, slot)
);
