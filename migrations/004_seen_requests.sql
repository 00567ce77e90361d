-- Signed chat requests already acted on (issue 13, item 4): a Slack request's signature, a Slack
-- trigger id, a Discord interaction id. Every replica claims a request here before it acts, so a
-- captured request replayed within Slack's 5-minute signature window, or an interaction redelivered,
-- acts once. Rows older than 10 minutes are deleted as new ones arrive.
create table if not exists seen_requests (
  key text primary key,
  seen_at timestamptz not null
);
create index if not exists seen_requests_seen_at on seen_requests (seen_at);
