/**
 * The store's schema, as ordered migrations. Each runs once per database schema, in its own
 * transaction, under the advisory lock taken by migrate.ts, and unchanged on PGlite and
 * PostgreSQL. Never edit a migration that has shipped: add the next version instead.
 *
 * Conventions: money is `double precision` (US dollars), limits `bigint` or `integer`, times
 * `timestamptz`, maps and free-form objects `jsonb` (never null: `{}`), lists `text[]` (`{}`).
 * Column names equal the record field names in types.ts (store.test checks both ways).
 */

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

const INITIAL = `
CREATE TABLE keys (
  token                  text PRIMARY KEY,
  key_name               text NOT NULL,
  key_alias              text UNIQUE,
  user_id                text,
  team_id                text,
  models                 text[] NOT NULL DEFAULT '{}',
  max_budget             double precision,
  soft_budget            double precision,
  budget_duration        text,
  budget_reset_at        timestamptz,
  spend                  double precision NOT NULL DEFAULT 0,
  tpm_limit              bigint,
  rpm_limit              bigint,
  max_parallel_requests  integer,
  model_rpm_limit        jsonb NOT NULL DEFAULT '{}',
  model_tpm_limit        jsonb NOT NULL DEFAULT '{}',
  model_max_budget       jsonb NOT NULL DEFAULT '{}',
  temp_budget_increase   double precision,
  temp_budget_expiry     timestamptz,
  metadata               jsonb NOT NULL DEFAULT '{}',
  tags                   text[] NOT NULL DEFAULT '{}',
  permissions            jsonb NOT NULL DEFAULT '{}',
  allowed_routes         text[] NOT NULL DEFAULT '{}',
  allowed_ips            text[] NOT NULL DEFAULT '{}',
  aliases                jsonb NOT NULL DEFAULT '{}',
  guardrails             text[] NOT NULL DEFAULT '{}',
  blocked                boolean NOT NULL DEFAULT false,
  expires                timestamptz,
  key_type               text NOT NULL DEFAULT 'default',
  auto_rotate            boolean NOT NULL DEFAULT false,
  rotation_interval      text,
  key_rotation_at        timestamptz,
  last_rotation_at       timestamptz,
  rotation_count         integer NOT NULL DEFAULT 0,
  budget_id              text,
  previous_token         text,
  previous_token_expires timestamptz,
  created_at             timestamptz NOT NULL DEFAULT now(),
  updated_at             timestamptz NOT NULL DEFAULT now(),
  created_by             text,
  updated_by             text
);
CREATE INDEX keys_user_id ON keys (user_id);
CREATE INDEX keys_team_id ON keys (team_id);
CREATE INDEX keys_previous_token ON keys (previous_token) WHERE previous_token IS NOT NULL;
CREATE INDEX keys_key_rotation_at ON keys (key_rotation_at) WHERE auto_rotate;

CREATE TABLE users (
  user_id                text PRIMARY KEY,
  user_email             text UNIQUE,
  user_alias             text,
  user_role              text NOT NULL
    CHECK (user_role IN ('proxy_admin', 'proxy_admin_viewer', 'internal_user', 'internal_user_viewer')),
  password_hash          text,
  models                 text[] NOT NULL DEFAULT '{}',
  max_budget             double precision,
  soft_budget            double precision,
  budget_duration        text,
  budget_reset_at        timestamptz,
  spend                  double precision NOT NULL DEFAULT 0,
  tpm_limit              bigint,
  rpm_limit              bigint,
  max_parallel_requests  integer,
  model_max_budget       jsonb NOT NULL DEFAULT '{}',
  metadata               jsonb NOT NULL DEFAULT '{}',
  blocked                boolean NOT NULL DEFAULT false,
  created_at             timestamptz NOT NULL DEFAULT now(),
  updated_at             timestamptz NOT NULL DEFAULT now(),
  created_by             text
);

CREATE TABLE teams (
  team_id                text PRIMARY KEY,
  team_alias             text,
  organization_id        text,
  models                 text[] NOT NULL DEFAULT '{}',
  max_budget             double precision,
  soft_budget            double precision,
  budget_duration        text,
  budget_reset_at        timestamptz,
  spend                  double precision NOT NULL DEFAULT 0,
  tpm_limit              bigint,
  rpm_limit              bigint,
  max_parallel_requests  integer,
  model_aliases          jsonb NOT NULL DEFAULT '{}',
  metadata               jsonb NOT NULL DEFAULT '{}',
  tags                   text[] NOT NULL DEFAULT '{}',
  blocked                boolean NOT NULL DEFAULT false,
  team_member_budget     double precision,
  team_member_rpm_limit  bigint,
  team_member_tpm_limit  bigint,
  created_at             timestamptz NOT NULL DEFAULT now(),
  updated_at             timestamptz NOT NULL DEFAULT now(),
  created_by             text
);

CREATE TABLE team_members (
  team_id                text NOT NULL REFERENCES teams (team_id) ON DELETE CASCADE,
  user_id                text NOT NULL,
  role                   text NOT NULL CHECK (role IN ('admin', 'user')),
  spend                  double precision NOT NULL DEFAULT 0,
  max_budget             double precision,
  tpm_limit              bigint,
  rpm_limit              bigint,
  created_at             timestamptz NOT NULL DEFAULT now(),
  updated_at             timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_user_id ON team_members (user_id);

CREATE TABLE customers (
  user_id                text PRIMARY KEY,
  alias                  text,
  blocked                boolean NOT NULL DEFAULT false,
  budget_id              text,
  max_budget             double precision,
  budget_duration        text,
  budget_reset_at        timestamptz,
  spend                  double precision NOT NULL DEFAULT 0,
  tpm_limit              bigint,
  rpm_limit              bigint,
  allowed_model_region   text,
  default_model          text,
  metadata               jsonb NOT NULL DEFAULT '{}',
  created_at             timestamptz NOT NULL DEFAULT now(),
  updated_at             timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE budgets (
  budget_id              text PRIMARY KEY,
  max_budget             double precision,
  soft_budget            double precision,
  max_parallel_requests  integer,
  tpm_limit              bigint,
  rpm_limit              bigint,
  budget_duration        text,
  budget_reset_at        timestamptz,
  model_max_budget       jsonb NOT NULL DEFAULT '{}',
  created_at             timestamptz NOT NULL DEFAULT now(),
  updated_at             timestamptz NOT NULL DEFAULT now(),
  created_by             text
);

CREATE TABLE models (
  model_id                  text PRIMARY KEY,
  model_name                text NOT NULL,
  litellm_params_encrypted  text NOT NULL,
  model_info                jsonb NOT NULL DEFAULT '{}',
  created_at                timestamptz NOT NULL DEFAULT now(),
  updated_at                timestamptz NOT NULL DEFAULT now(),
  created_by                text
);

CREATE TABLE audit_log (
  id                     text PRIMARY KEY,
  changed_at             timestamptz NOT NULL DEFAULT now(),
  changed_by             text NOT NULL,
  changed_by_api_key     text NOT NULL,
  changed_by_header      text,
  action                 text NOT NULL,
  target_type            text NOT NULL,
  target_id              text NOT NULL,
  "before"               jsonb,
  "after"                jsonb,
  call_id                text NOT NULL
);
CREATE INDEX audit_log_changed_at ON audit_log (changed_at);
CREATE INDEX audit_log_action ON audit_log (action);
CREATE INDEX audit_log_target ON audit_log (target_type, target_id);
`;

/**
 * Spend logs (docs/spend-logs.md): one row per request, LiteLLM's SpendLogs fields with
 * snake_case columns (startTime → start_time…), range-partitioned by start_time into UTC days
 * (`spend_logs_pYYYYMMDD`, made by spend_logs_ensure_partition) plus a default partition that
 * catches any row whose day has none. The primary key must include the partition key, so it is
 * (request_id, start_time): a retried row has both and is skipped by ON CONFLICT DO NOTHING.
 * Indexes created on the parent are created on every partition, present and future.
 */
const SPEND_LOGS = `
CREATE TABLE spend_logs (
  request_id             text NOT NULL,
  call_type              text NOT NULL DEFAULT '',
  api_key                text NOT NULL DEFAULT '',
  spend                  double precision NOT NULL DEFAULT 0,
  total_tokens           bigint NOT NULL DEFAULT 0,
  prompt_tokens          bigint NOT NULL DEFAULT 0,
  completion_tokens      bigint NOT NULL DEFAULT 0,
  start_time             timestamptz NOT NULL,
  end_time               timestamptz NOT NULL,
  completion_start_time  timestamptz,
  model                  text NOT NULL DEFAULT '',
  model_id               text,
  model_group            text,
  api_base               text,
  "user"                 text,
  metadata               jsonb NOT NULL DEFAULT '{}',
  cache_hit              text NOT NULL DEFAULT '',
  request_tags           text[] NOT NULL DEFAULT '{}',
  team_id                text,
  end_user               text,
  requester_ip_address   text,
  custom_llm_provider    text,
  request_duration_ms    bigint,
  status                 text NOT NULL DEFAULT 'success',
  prompt_tokens_source   text NOT NULL DEFAULT 'provider' CHECK (prompt_tokens_source IN ('provider', 'counted')),
  PRIMARY KEY (request_id, start_time)
) PARTITION BY RANGE (start_time);
CREATE TABLE spend_logs_default PARTITION OF spend_logs DEFAULT;
CREATE INDEX spend_logs_start_time ON spend_logs (start_time);
CREATE INDEX spend_logs_api_key ON spend_logs (api_key, start_time);
CREATE INDEX spend_logs_user ON spend_logs ("user", start_time);
CREATE INDEX spend_logs_team_id ON spend_logs (team_id, start_time);
CREATE INDEX spend_logs_end_user ON spend_logs (end_user, start_time);
CREATE INDEX spend_logs_model_group ON spend_logs (model_group, start_time);

-- Makes the partition of one UTC day when it is missing; true when this call made it. Safe under
-- concurrency: a transaction-scoped advisory lock per schema serialises the makers, so
-- "missing?" and "make" cannot interleave. Rows of that day already caught by the default
-- partition (it would refuse the new bound otherwise) are moved into the new partition in the
-- same transaction, then the partition is attached.
CREATE FUNCTION spend_logs_ensure_partition(day date) RETURNS boolean LANGUAGE plpgsql AS $fn$
DECLARE
  part text := 'spend_logs_p' || to_char(day, 'YYYYMMDD');
  lo_at timestamptz := (to_char(day, 'YYYY-MM-DD') || ' 00:00:00+00')::timestamptz;
  hi_at timestamptz := (to_char(day + 1, 'YYYY-MM-DD') || ' 00:00:00+00')::timestamptz;
  lo text := quote_literal(to_char(day, 'YYYY-MM-DD') || ' 00:00:00+00');
  hi text := quote_literal(to_char(day + 1, 'YYYY-MM-DD') || ' 00:00:00+00');
BEGIN
  PERFORM pg_advisory_xact_lock(1095322690, hashtext(current_schema() || '.spend_logs'));
  IF EXISTS (SELECT 1 FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
             WHERE i.inhparent = 'spend_logs'::regclass AND c.relname = part) THEN
    RETURN false;
  END IF;
  IF EXISTS (SELECT 1 FROM spend_logs_default WHERE start_time >= lo_at AND start_time < hi_at) THEN
    EXECUTE format('CREATE TABLE %I (LIKE spend_logs INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', part);
    EXECUTE format('WITH moved AS (DELETE FROM spend_logs_default WHERE start_time >= %s AND start_time < %s RETURNING *) '
                   'INSERT INTO %I SELECT * FROM moved', lo, hi, part);
    EXECUTE format('ALTER TABLE spend_logs ATTACH PARTITION %I FOR VALUES FROM (%s) TO (%s)', part, lo, hi);
  ELSE
    EXECUTE format('CREATE TABLE %I PARTITION OF spend_logs FOR VALUES FROM (%s) TO (%s)', part, lo, hi);
  END IF;
  RETURN true;
END
$fn$;
`;

/**
 * Per-model budgets of teams (`model_max_budget`, as keys and users have), and budget periods of
 * team members: a membership's own `budget_duration` / `budget_reset_at`, and the team's default
 * period for its members (`team_member_budget_duration` / `team_member_budget_reset_at`).
 */
const MEMBER_PERIODS = `
ALTER TABLE teams ADD COLUMN model_max_budget jsonb NOT NULL DEFAULT '{}';
ALTER TABLE teams ADD COLUMN team_member_budget_duration text;
ALTER TABLE teams ADD COLUMN team_member_budget_reset_at timestamptz;
ALTER TABLE team_members ADD COLUMN budget_duration text;
ALTER TABLE team_members ADD COLUMN budget_reset_at timestamptz;
`;

/**
 * The spend-log indexes on nullable columns (user, team, end user) hold only the rows that have a
 * value: a query naming one (`"user" = $1`) implies IS NOT NULL, so it still uses the index (in
 * generic plans too: `=` is strict), while a row without a user, team or end user costs those
 * three indexes nothing (docs/spend-logs.md#indexes). Dropping the parent's index drops every
 * partition's; creating it on the parent creates it on every partition, present and future.
 */
const PARTIAL_SPEND_INDEXES = `
DROP INDEX spend_logs_user;
DROP INDEX spend_logs_team_id;
DROP INDEX spend_logs_end_user;
CREATE INDEX spend_logs_user ON spend_logs ("user", start_time) WHERE "user" IS NOT NULL;
CREATE INDEX spend_logs_team_id ON spend_logs (team_id, start_time) WHERE team_id IS NOT NULL;
CREATE INDEX spend_logs_end_user ON spend_logs (end_user, start_time) WHERE end_user IS NOT NULL;
`;

/** Every migration, oldest first; versions strictly increase. */
export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'initial control-plane tables', sql: INITIAL },
  { version: 2, name: 'spend logs, partitioned by day', sql: SPEND_LOGS },
  { version: 3, name: 'team per-model budgets and team-member budget periods', sql: MEMBER_PERIODS },
  { version: 4, name: 'spend-log indexes on user, team and end user hold only rows that have one', sql: PARTIAL_SPEND_INDEXES },
];
