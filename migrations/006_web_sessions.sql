-- The dashboard's sign-in (issue 19): one-time links already used, and sessions, shared by every replica.
-- A link is signed and carries its own expiry, so only its use is kept (by its nonce) until it has expired.
-- A session is kept by the SHA-256 of its cookie value: the table never holds a usable cookie.
create table if not exists web_links_used (
  nonce text primary key,
  principal text not null,
  used_at timestamptz not null,
  expires_at timestamptz not null
);
create index if not exists web_links_used_expires_at on web_links_used (expires_at);

create table if not exists web_sessions (
  id_hash text primary key,
  principal text not null,
  csrf text not null,
  created_at timestamptz not null,
  expires_at timestamptz not null,
  revoked_at timestamptz
);
create index if not exists web_sessions_principal on web_sessions (principal);
create index if not exists web_sessions_expires_at on web_sessions (expires_at);
