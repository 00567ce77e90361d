-- What became of each scheduled slot: how many processes tried it, and how it ended
-- ('done', 'failed', or 'missed' when the missed-slot policy chose not to run it late).
alter table slot_claims add column if not exists attempts integer not null default 1;
alter table slot_claims add column if not exists outcome text;
alter table slot_claims add column if not exists error text;
create index if not exists slot_claims_job_completed on slot_claims (job, completed_at);
