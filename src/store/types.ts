/**
 * The control-plane store's records and repositories: the contract between src/store/ (which
 * implements it on PGlite and PostgreSQL with one schema) and src/control/ (which uses it).
 *
 * Records use snake_case field names on purpose: they mirror the columns and LiteLLM's JSON wire
 * format field for field, so an admin handler can answer with a record without a mapping layer
 * where a field could be forgotten. Timestamps are ISO-8601 strings (UTC) and money is a number of
 * US dollars; every record is plain, structured-clonable data.
 *
 * Secrets are never stored raw: keys are kept as the SHA-256 hex digest of the raw key (`token`),
 * user passwords as scrypt hashes, and model credentials as AES-256-GCM ciphertext produced by
 * src/control/ before the store sees them.
 */

export type UserRole = 'proxy_admin' | 'proxy_admin_viewer' | 'internal_user' | 'internal_user_viewer';
export const USER_ROLES: readonly UserRole[] = ['proxy_admin', 'proxy_admin_viewer', 'internal_user', 'internal_user_viewer'];

export type TeamRole = 'admin' | 'user';
export const TEAM_ROLES: readonly TeamRole[] = ['admin', 'user'];

export type JsonObject = Record<string, unknown>;

/** A virtual key (LiteLLM's LiteLLM_VerificationToken). */
export interface KeyRecord {
  /** SHA-256 hex digest of the raw key: the key's identity (LiteLLM's `token`, the seed's token_id). */
  token: string;
  /** Abbreviation shown in lists: `sk-...` + the raw key's last 4 characters. */
  key_name: string;
  key_alias: string | null;
  user_id: string | null;
  team_id: string | null;
  /** Model allowlist; [] = every model. Entries may end in `*` (`openai/*`). */
  models: string[];
  max_budget: number | null;
  soft_budget: number | null;
  /** "30s", "30m", "30h", "30d", "1mo"; null = the budget never resets. */
  budget_duration: string | null;
  budget_reset_at: string | null;
  spend: number;
  tpm_limit: number | null;
  rpm_limit: number | null;
  max_parallel_requests: number | null;
  model_rpm_limit: Record<string, number>;
  model_tpm_limit: Record<string, number>;
  model_max_budget: JsonObject;
  temp_budget_increase: number | null;
  temp_budget_expiry: string | null;
  metadata: JsonObject;
  tags: string[];
  permissions: JsonObject;
  /** Routes this key may call ([] = the inference routes its role allows). */
  allowed_routes: string[];
  /** Client addresses or CIDRs this key may be used from ([] = anywhere). AILB addition. */
  allowed_ips: string[];
  /** Model name aliases applied to requests made with this key. */
  aliases: Record<string, string>;
  guardrails: string[];
  blocked: boolean;
  /** When the key stops working; null = never. */
  expires: string | null;
  key_type: string;
  auto_rotate: boolean;
  /** "30d" etc.; with auto_rotate the scheduled job regenerates the key every interval. */
  rotation_interval: string | null;
  /** When the rotation job next regenerates this key (null when auto_rotate is off). */
  key_rotation_at: string | null;
  last_rotation_at: string | null;
  rotation_count: number;
  budget_id: string | null;
  /** After a regenerate with a grace period: the old digest, valid until previous_token_expires. */
  previous_token: string | null;
  previous_token_expires: string | null;
  created_at: string;
  updated_at: string;
  created_by: string | null;
  updated_by: string | null;
}

/** Fields a caller may change on a key (everything but identity and timestamps). */
export type KeyPatch = Partial<Omit<KeyRecord, 'token' | 'created_at' | 'updated_at'>>;

export interface UserRecord {
  user_id: string;
  user_email: string | null;
  user_alias: string | null;
  user_role: UserRole;
  /** scrypt hash (`scrypt$N$r$p$salt$hash`), null when the user has no password; never sent out. */
  password_hash: string | null;
  models: string[];
  max_budget: number | null;
  soft_budget: number | null;
  budget_duration: string | null;
  budget_reset_at: string | null;
  spend: number;
  tpm_limit: number | null;
  rpm_limit: number | null;
  max_parallel_requests: number | null;
  model_max_budget: JsonObject;
  metadata: JsonObject;
  blocked: boolean;
  created_at: string;
  updated_at: string;
  created_by: string | null;
}

export type UserPatch = Partial<Omit<UserRecord, 'user_id' | 'created_at' | 'updated_at'>>;

export interface TeamRecord {
  team_id: string;
  team_alias: string | null;
  organization_id: string | null;
  models: string[];
  max_budget: number | null;
  soft_budget: number | null;
  budget_duration: string | null;
  budget_reset_at: string | null;
  spend: number;
  tpm_limit: number | null;
  rpm_limit: number | null;
  max_parallel_requests: number | null;
  model_aliases: Record<string, string>;
  metadata: JsonObject;
  tags: string[];
  blocked: boolean;
  /** Per-model budgets of the team (LiteLLM's model_max_budget, as on keys). */
  model_max_budget: JsonObject;
  /** Default budget/limits for each member of the team (null = none). */
  team_member_budget: number | null;
  /** The period of team_member_budget for members without a budget_duration of their own. */
  team_member_budget_duration: string | null;
  team_member_budget_reset_at: string | null;
  team_member_rpm_limit: number | null;
  team_member_tpm_limit: number | null;
  created_at: string;
  updated_at: string;
  created_by: string | null;
}

export type TeamPatch = Partial<Omit<TeamRecord, 'team_id' | 'created_at' | 'updated_at'>>;

export interface TeamMemberRecord {
  team_id: string;
  user_id: string;
  role: TeamRole;
  spend: number;
  /** max_budget_in_team; null: the team's team_member_budget. */
  max_budget: number | null;
  /** The period of the member's budget; null: the team's team_member_budget_duration. */
  budget_duration: string | null;
  budget_reset_at: string | null;
  tpm_limit: number | null;
  rpm_limit: number | null;
  created_at: string;
  updated_at: string;
}

export type TeamMemberPatch = Partial<
  Pick<TeamMemberRecord, 'role' | 'max_budget' | 'budget_duration' | 'budget_reset_at' | 'tpm_limit' | 'rpm_limit' | 'spend'>
>;

/** An end user, named by the request body's `user` field (LiteLLM's LiteLLM_EndUserTable). */
export interface CustomerRecord {
  user_id: string;
  alias: string | null;
  blocked: boolean;
  budget_id: string | null;
  max_budget: number | null;
  budget_duration: string | null;
  budget_reset_at: string | null;
  spend: number;
  tpm_limit: number | null;
  rpm_limit: number | null;
  allowed_model_region: string | null;
  default_model: string | null;
  metadata: JsonObject;
  created_at: string;
  updated_at: string;
}

export type CustomerPatch = Partial<Omit<CustomerRecord, 'user_id' | 'created_at' | 'updated_at'>>;

/** A reusable budget (LiteLLM's LiteLLM_BudgetTable), referenced by budget_id. */
export interface BudgetRecord {
  budget_id: string;
  max_budget: number | null;
  soft_budget: number | null;
  max_parallel_requests: number | null;
  tpm_limit: number | null;
  rpm_limit: number | null;
  budget_duration: string | null;
  budget_reset_at: string | null;
  model_max_budget: JsonObject;
  created_at: string;
  updated_at: string;
  created_by: string | null;
}

export type BudgetPatch = Partial<Omit<BudgetRecord, 'budget_id' | 'created_at' | 'updated_at'>>;

/** A deployment added through /model/new (store_model_in_db). */
export interface ModelRecord {
  model_id: string;
  model_name: string;
  /** litellm_params as JSON, encrypted with AES-256-GCM by src/control/ (base64 envelope). */
  litellm_params_encrypted: string;
  model_info: JsonObject;
  created_at: string;
  updated_at: string;
  created_by: string | null;
}

export type ModelPatch = Partial<Pick<ModelRecord, 'model_name' | 'litellm_params_encrypted' | 'model_info'>>;

/** One management mutation. `before`/`after` are already redacted by the caller. */
export interface AuditRecord {
  id: string;
  changed_at: string;
  /** Who: the acting user id, `master_key`, or the acting key's token when it has no user. */
  changed_by: string;
  /** SHA-256 digest of the key that made the call (the master key's digest for the master key). */
  changed_by_api_key: string;
  /** The `litellm-changed-by` header, when sent. */
  changed_by_header: string | null;
  /** e.g. `key.generate`, `team.member_add`, `model.delete`. */
  action: string;
  /** `key`, `user`, `team`, `customer`, `budget`, `model`. */
  target_type: string;
  target_id: string;
  before: JsonObject | null;
  after: JsonObject | null;
  call_id: string;
}

export interface AuditFilter {
  changed_by?: string;
  action?: string;
  target_type?: string;
  target_id?: string;
  /** ISO timestamps, inclusive. */
  since?: string;
  until?: string;
  page: number;
  size: number;
}

export interface Page<T> {
  rows: T[];
  total: number;
}

export interface KeyListFilter {
  user_id?: string;
  team_id?: string;
  key_alias?: string;
  /** Only keys of these users or teams (for callers who may see only their own). */
  visible_to?: { user_id: string | null; team_ids: string[] };
  /** Column to sort by: created_at (default), updated_at, spend, key_alias, expires, max_budget. */
  sort_by?: string;
  sort_order?: 'asc' | 'desc';
  page: number;
  size: number;
}

export interface ListFilter {
  page: number;
  size: number;
}

export interface KeyRepository {
  insert(record: KeyRecord): Promise<KeyRecord>;
  /** The key whose token is `token`, or whose previous_token is and whose grace has not ended at `now`. */
  findByToken(token: string, now?: Date): Promise<KeyRecord | null>;
  findByAlias(alias: string): Promise<KeyRecord | null>;
  /** Applies `patch`, sets updated_at; null when there is no such key. */
  update(token: string, patch: KeyPatch): Promise<KeyRecord | null>;
  /**
   * Regenerate: gives the key a new token (and key_name), keeping its id fields, spend and
   * settings; with `graceUntil` the old token stays valid as previous_token until then.
   */
  rotate(token: string, next: { token: string; key_name: string; graceUntil: string | null; patch?: KeyPatch }): Promise<KeyRecord | null>;
  /** Deletes the keys with these tokens; returns the tokens that existed. */
  delete(tokens: readonly string[]): Promise<string[]>;
  list(filter: KeyListFilter): Promise<Page<KeyRecord>>;
  listByUser(userId: string): Promise<KeyRecord[]>;
  listByTeam(teamId: string): Promise<KeyRecord[]>;
  /** Keys with auto_rotate whose key_rotation_at is at or before `now`. */
  dueForRotation(now: Date): Promise<KeyRecord[]>;
}

export interface UserRepository {
  insert(record: UserRecord): Promise<UserRecord>;
  get(userId: string): Promise<UserRecord | null>;
  findByEmail(email: string): Promise<UserRecord | null>;
  update(userId: string, patch: UserPatch): Promise<UserRecord | null>;
  delete(userIds: readonly string[]): Promise<string[]>;
  list(filter: ListFilter & { role?: UserRole; user_ids?: string[] }): Promise<Page<UserRecord>>;
}

export interface TeamRepository {
  insert(record: TeamRecord): Promise<TeamRecord>;
  get(teamId: string): Promise<TeamRecord | null>;
  update(teamId: string, patch: TeamPatch): Promise<TeamRecord | null>;
  /** Deletes the teams and their memberships; returns the ids that existed. */
  delete(teamIds: readonly string[]): Promise<string[]>;
  list(filter: ListFilter & { user_id?: string }): Promise<Page<TeamRecord>>;
  addMember(member: TeamMemberRecord): Promise<TeamMemberRecord>;
  updateMember(teamId: string, userId: string, patch: TeamMemberPatch): Promise<TeamMemberRecord | null>;
  removeMember(teamId: string, userId: string): Promise<boolean>;
  members(teamId: string): Promise<TeamMemberRecord[]>;
  membership(teamId: string, userId: string): Promise<TeamMemberRecord | null>;
  /** Every membership of a user. */
  teamsOf(userId: string): Promise<TeamMemberRecord[]>;
}

export interface CustomerRepository {
  insert(record: CustomerRecord): Promise<CustomerRecord>;
  get(userId: string): Promise<CustomerRecord | null>;
  update(userId: string, patch: CustomerPatch): Promise<CustomerRecord | null>;
  delete(userIds: readonly string[]): Promise<string[]>;
  list(filter: ListFilter): Promise<Page<CustomerRecord>>;
}

export interface BudgetRepository {
  insert(record: BudgetRecord): Promise<BudgetRecord>;
  get(budgetId: string): Promise<BudgetRecord | null>;
  update(budgetId: string, patch: BudgetPatch): Promise<BudgetRecord | null>;
  delete(budgetIds: readonly string[]): Promise<string[]>;
  list(filter: ListFilter): Promise<Page<BudgetRecord>>;
}

export interface ModelRepository {
  insert(record: ModelRecord): Promise<ModelRecord>;
  get(modelId: string): Promise<ModelRecord | null>;
  update(modelId: string, patch: ModelPatch): Promise<ModelRecord | null>;
  delete(modelIds: readonly string[]): Promise<string[]>;
  all(): Promise<ModelRecord[]>;
}

export interface AuditRepository {
  insert(record: AuditRecord): Promise<void>;
  list(filter: AuditFilter): Promise<Page<AuditRecord>>;
}

export type PromptTokensSource = 'provider' | 'counted';

/**
 * One request's spend log row (LiteLLM's LiteLLM_SpendLogs, field for field, plus AILB's
 * prompt_tokens_source). The times keep LiteLLM's camelCase JSON names (startTime, endTime,
 * completionStartTime); their columns are snake_case (start_time…), mapped in spend-logs.ts.
 */
export interface SpendLogRecord {
  /** Unique per request; with startTime the row's identity (a retried insert is skipped). */
  request_id: string;
  /** e.g. `acompletion`, `aembedding`, `anthropic_messages`. */
  call_type: string;
  /** SHA-256 hex digest of the virtual key ('' when none). */
  api_key: string;
  /** US dollars. */
  spend: number;
  total_tokens: number;
  prompt_tokens: number;
  completion_tokens: number;
  /** ISO-8601; the partition key (UTC day). */
  startTime: string;
  endTime: string;
  /** First streamed token (time to first token); null when not streamed. */
  completionStartTime: string | null;
  model: string;
  model_id: string | null;
  /** The public model name the client asked for. */
  model_group: string | null;
  api_base: string | null;
  /** The internal user that owns the key. */
  user: string | null;
  metadata: JsonObject;
  /** As LiteLLM writes it: 'True', 'False' or ''. */
  cache_hit: string;
  request_tags: string[];
  team_id: string | null;
  /** The request body's `user` field (LiteLLM's customer). */
  end_user: string | null;
  requester_ip_address: string | null;
  custom_llm_provider: string | null;
  request_duration_ms: number | null;
  /** 'success' or 'failure'. */
  status: string;
  /** Whether prompt_tokens came from the provider's usage or from AILB's own count. AILB addition. */
  prompt_tokens_source: PromptTokensSource;
}

export interface SpendLogFilter {
  api_key?: string;
  user?: string;
  team_id?: string;
  end_user?: string;
  request_id?: string;
  model_group?: string;
  /** ISO times on startTime: `start` inclusive, `end` exclusive. */
  start?: string;
  end?: string;
  page: number;
  size: number;
}

/**
 * A page of spend logs, newest first. No total: counting every matching row of a table with
 * hundreds of millions of rows costs more than the page; `has_more` says whether a next page exists.
 */
export interface SpendLogPage {
  rows: SpendLogRecord[];
  has_more: boolean;
}

export type SpendGroupBy = 'api_key' | 'user' | 'team_id' | 'end_user' | 'model_group';
export const SPEND_GROUP_BY: readonly SpendGroupBy[] = ['api_key', 'user', 'team_id', 'end_user', 'model_group'];

/** Totals of one entity's rows in a time range. */
export interface SpendSum {
  /** The api_key, user, team_id, end_user or model_group; null for rows without one. */
  entity: string | null;
  spend: number;
  requests: number;
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/** Who a stored spend-log row charges, and how much: the columns `insertBatchCharges` returns. */
export interface SpendCharge {
  api_key: string;
  user: string | null;
  team_id: string | null;
  end_user: string | null;
  spend: number;
}

/**
 * Spend to add to each entity's `spend` column, US dollars on the picodollar grid (src/spend/money.ts),
 * summed over a batch (src/store/spend-totals.ts builds it). Entities with nothing to add are absent.
 */
export interface SpendTotals {
  /** By key digest; a digest that is now a key's previous_token charges that key. */
  readonly keys: ReadonlyMap<string, number>;
  readonly users: ReadonlyMap<string, number>;
  readonly teams: ReadonlyMap<string, number>;
  /** By team id, then user id: the key's user's membership of the key's team. */
  readonly teamMembers: ReadonlyMap<string, ReadonlyMap<string, number>>;
  /** By end user (the request's `user` field); a missing customer row is created. */
  readonly endUsers: ReadonlyMap<string, number>;
}

/** One partition of spend_logs: `day` is its UTC day (YYYY-MM-DD), null for the default partition. */
export interface SpendLogPartition {
  name: string;
  day: string | null;
}

export interface SpendLogRepository {
  /**
   * Inserts the rows with one statement; rows already stored (same request_id and startTime)
   * are skipped, so a batch retried after an ambiguous failure counts once. Returns how many
   * rows were new.
   */
  insertBatch(rows: readonly SpendLogRecord[]): Promise<number>;
  /** insertBatch, returning what each new row charges (rows already stored are skipped and not returned). */
  insertBatchCharges(rows: readonly SpendLogRecord[]): Promise<SpendCharge[]>;
  /**
   * Adds `totals` to the `spend` of keys, users, teams, team members and end users (customers,
   * created when missing), one statement per table, each sum rounded to the picodollar grid.
   * Takes the schema's transaction-scoped spend lock first, so concurrent callers (batches in
   * flight, other instances) never deadlock on each other's rows: call it inside
   * store.transaction, after the insert whose rows it charges.
   */
  addSpend(totals: SpendTotals): Promise<void>;
  /** Makes the partitions of these UTC days (YYYY-MM-DD) where missing; returns the days it made. */
  ensurePartitions(days: readonly string[]): Promise<string[]>;
  /** The partitions, daily ones by day, then the default partition. */
  partitions(): Promise<SpendLogPartition[]>;
  /**
   * Retention (general_settings.maximum_spend_logs_retention_period): drops every daily partition
   * that ends at or before the start of the UTC day `days` days before `now`, and deletes the
   * default partition's rows older than that. Returns the dropped partitions' names.
   */
  dropPartitionsOlderThan(days: number, now?: Date): Promise<string[]>;
  list(filter: SpendLogFilter): Promise<SpendLogPage>;
  /** Totals per entity of the rows with start ≤ startTime < end, highest spend first. */
  sumByEntity(groupBy: SpendGroupBy, start: string, end: string): Promise<SpendSum[]>;
}

/** The repositories, bound to one connection or transaction. */
export interface Repositories {
  readonly keys: KeyRepository;
  readonly users: UserRepository;
  readonly teams: TeamRepository;
  readonly customers: CustomerRepository;
  readonly budgets: BudgetRepository;
  readonly models: ModelRepository;
  readonly audit: AuditRepository;
  readonly spendLogs: SpendLogRepository;
}

export type StoreBackendKind = 'pglite' | 'postgres';

export interface Store extends Repositories {
  readonly backend: StoreBackendKind;
  /** Where the data lives, for the startup line (a directory, or the URL without its password). */
  readonly location: string;
  /** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(work: (tx: Repositories) => Promise<T>): Promise<T>;
  /**
   * Sends `payload` to every listener of this store (every instance on the same database and
   * schema, this one included). PostgreSQL: NOTIFY; PGlite: delivered in-process.
   */
  notify(payload: string): Promise<void>;
  /** Calls `onPayload` for every notify; resolves once listening. Returns a function that stops it. */
  listen(onPayload: (payload: string) => void): Promise<() => Promise<void>>;
  /** Resolves when the database answers a trivial query; rejects otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface StoreOptions {
  /** `postgres://…` or `postgresql://…` for PostgreSQL; null for PGlite. */
  readonly databaseUrl: string | null;
  /** PGlite data directory (`<AILB_DATA_DIR>/pglite`), or `memory://` for a throwaway database. */
  readonly dataDir: string;
  /** SQL schema to use (created when missing); default `public`. Tests use one schema each. */
  readonly schema?: string;
  /** Connection pool size for PostgreSQL (general_settings.database_connection_pool_limit). */
  readonly poolSize?: number;
  /**
   * PGlite: a dumpDataDir() tarball a new database starts from instead of being created (tests
   * use one made once per machine; creating a database takes seconds).
   */
  readonly pgliteInitialDataDir?: string;
  /** Called with progress lines worth showing on the console (e.g. PGlite's first start). */
  readonly onNotice?: (line: string) => void;
}
