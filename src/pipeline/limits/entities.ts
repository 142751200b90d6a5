/**
 * One event-loop thread's view of every entity that has limits or a budget: the key, its user,
 * team and team membership, the end user, the key's per-model limits, the per-model budgets of the
 * key, user, team and end user, the deployment and the proxy itself. Each entity's counters are
 * interned once per thread and reconfigured only when the record they come from changes (a new
 * record object whose limits differ); an entity without limits gets nothing (and a key with none
 * of them is remembered as a plan with no entity, so its requests neither allocate nor reserve).
 *
 * Counter names (process-wide, the same in every thread): `<entity>:rpm`, `:tpm` (sliding 60 s
 * windows), `:parallel` (gauge), `:budget` (accumulator of micro-dollars, with `:budget:period`
 * and `:budget:lock` beside it, see src/limits/budget-account.ts), where <entity> is
 * `key:<token>`, `user:<user_id>`, `team:<team_id>`, `member:<team_id>:<user_id>`,
 * `end_user:<id>`, `key:<token>:model:<model>`, `deployment:<model_info.id>` or `global`. A
 * per-model budget (model_max_budget) of an owner (`key:<token>`, `user:<user_id>`, `team:<team_id>`,
 * `end_user:<id>`) is `<owner>:model:<entry>:budget`, and a key's entry's rpm_limit / tpm_limit are
 * `key:<token>:model_max_budget:<entry>:rpm` / `:tpm`, named after the model_max_budget entry that
 * governs the model asked for (so `openai/gpt-4o` and `gpt-4o` share the `gpt-4o` entry's counters).
 * With Redis the same names are used there, except budgets: `<entity>:budget@<period end>`
 * (BudgetAccount.sharedName).
 *
 * A key's plan also carries the x-litellm-key-* answer headers its record alone decides
 * (`keyHeaders`, made once per record), so that answers of a key without limits cost no
 * allocation.
 */
import type { AuthRecord, CustomerAuthRecord } from '../../control/auth-record.js';
import type { LimitSettings, ModelDeployment } from '../../config/types.js';
import { BudgetAccount, type BudgetTerms } from '../../limits/budget-account.js';
import { hasModelBudgets, modelBudgetFor } from '../../limits/model-budget.js';
import { CounterKind, CounterStore } from '../../native/index.js';
import type { JsonObject, KeyRecord, TeamMemberRecord, TeamRecord } from '../../store/types.js';

/** Rate-limit windows are 60 s, sliding (LiteLLM's rpm/tpm are per minute). */
export const WINDOW_MS = 60_000;

/**
 * Who a limit belongs to. The first six names are LiteLLM's rate-limit descriptor keys;
 * `model_budget` is one model_max_budget entry of a key, user, team or end user.
 */
export type EntityKind = 'key' | 'user' | 'team' | 'team_member' | 'end_user' | 'model_per_key' | 'model_budget' | 'deployment' | 'global';

/** Past this many entries a per-thread map is emptied (entities are rebuilt from the store's counters). */
const MAX_ENTRIES = 65_536;

/** Which record a model_max_budget belongs to. */
type ModelBudgetOwner = 'key' | 'user' | 'team' | 'end_user';

/**
 * Where the periods of per-model budgets are counted from. They have no stored reset instant, so
 * they follow the schedule from the Unix epoch: every thread, process and instance agrees on
 * them (`1d` at local midnight, `1mo` on the 1st, `1h` on the hour, as budget-window.ts lays
 * them out), and with Redis they share one counter per period.
 */
const MODEL_BUDGET_EPOCH = 0;

export class EntityLimits {
  readonly kind: EntityKind;
  /** Counter name prefix, e.g. `team:t1`. */
  readonly name: string;
  /** How refusals name it, e.g. `team t1`. */
  label: string;
  /** The id budget alerts give it (BudgetState.id). */
  readonly alertId: string;
  /** How a budget refusal names it, in LiteLLM's style (`Team=t1 `); '' for the proxy. */
  tag = '';
  /** Limits in force; -1 when not set. */
  rpm = -1;
  tpm = -1;
  parallel = -1;
  rpmId = -1;
  tpmId = -1;
  parallelId = -1;
  /** The counters' names (`<name>:rpm`…), for Redis. */
  readonly rpmName: string;
  readonly tpmName: string;
  readonly parallelName: string;
  budget: BudgetAccount | null = null;
  /** The whole 400 budget_exceeded message, where LiteLLM words it its own way; null: the usual one. */
  budgetExceededMessage: string | null = null;
  /** What this was last configured from: the record(s) and the config's limit settings. */
  source: unknown = null;
  source2: unknown = null;
  settings: LimitSettings | null = null;
  private readonly store: CounterStore;

  constructor(store: CounterStore, kind: EntityKind, name: string, label: string, alertId: string) {
    this.store = store;
    this.kind = kind;
    this.name = name;
    this.label = label;
    this.alertId = alertId;
    this.rpmName = `${name}:rpm`;
    this.tpmName = `${name}:tpm`;
    this.parallelName = `${name}:parallel`;
  }

  get active(): boolean {
    return this.rpm >= 0 || this.tpm >= 0 || this.parallel >= 0 || this.budget !== null;
  }

  setRates(rpm: number | null, tpm: number | null, parallel: number | null): void {
    const store = this.store;
    const r = rpm ?? -1;
    const t = tpm ?? -1;
    const p = parallel ?? -1;
    // Same kind and window with a new limit keeps what was counted (counters.md).
    if (r !== this.rpm) {
      if (r >= 0) {
        if (this.rpmId < 0) this.rpmId = store.intern(this.rpmName);
        store.configure(this.rpmId, { kind: CounterKind.SlidingWindow, limit: r, windowMs: WINDOW_MS });
      }
      this.rpm = r;
    }
    if (t !== this.tpm) {
      if (t >= 0) {
        if (this.tpmId < 0) this.tpmId = store.intern(this.tpmName);
        store.configure(this.tpmId, { kind: CounterKind.SlidingWindow, limit: t, windowMs: WINDOW_MS });
      }
      this.tpm = t;
    }
    if (p !== this.parallel) {
      if (p >= 0) {
        if (this.parallelId < 0) this.parallelId = store.intern(this.parallelName);
        store.configure(this.parallelId, { kind: CounterKind.Gauge, limit: p });
      }
      this.parallel = p;
    }
  }

  /**
   * Sets the budget's terms; null when the entity has neither max_budget nor soft_budget.
   * `accountName` is the accumulator's counter name (default `<name>:budget`).
   */
  setBudget(terms: BudgetTerms | null, now: number, accountName = `${this.name}:budget`): void {
    if (terms === null) {
      this.budget = null;
      return;
    }
    if (this.budget === null || this.budget.name !== accountName) this.budget = new BudgetAccount(this.store, accountName);
    this.budget.setTerms(terms, now);
  }
}

/** The entities a virtual key's requests reserve on, resolved once per AuthRecord object. */
export interface KeyPlan {
  readonly source: AuthRecord;
  readonly settings: LimitSettings;
  readonly key: EntityLimits | null;
  readonly user: EntityLimits | null;
  readonly team: EntityLimits | null;
  readonly member: EntityLimits | null;
  /** The key has model_rpm_limit or model_tpm_limit entries. */
  readonly modelLimits: boolean;
  /** model_max_budget entries that limit something: the key's (budgets, rpm and tpm), its user's and team's (budgets). */
  readonly keyModelBudgets: boolean;
  readonly userModelBudgets: boolean;
  readonly teamModelBudgets: boolean;
  /** None of the above: the key's requests reserve nothing of their own. */
  readonly empty: boolean;
  /**
   * The x-litellm-key-* headers the record decides (name, value, …): rpm and tpm limits, max
   * budget, and the spend when no accumulator counts it (the record's stored spend). A key whose
   * budget is counted gets its spend added per request (`key.budget`). Shared by every answer
   * of the key: never modified.
   */
  readonly keyHeaders: string[];
}

/** How messages name a key: its alias and abbreviation, or the abbreviation (`sk-...abcd`). */
export function keyLabel(key: KeyRecord): string {
  return key.key_alias === null ? key.key_name : `${key.key_alias} (${key.key_name})`;
}

function isoMs(text: string | null): number | null {
  if (text === null) return null;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? null : ms;
}

/**
 * LiteLLM's x-litellm-key-* headers of a key: the limits it sets, and its stored spend unless a
 * budget accumulator counts the spend (then the limits stage adds the spend of the period).
 */
function keyHeaders(key: KeyRecord, spendCounted: boolean): string[] {
  const out: string[] = [];
  if (key.tpm_limit !== null) out.push('x-litellm-key-tpm-limit', String(key.tpm_limit));
  if (key.rpm_limit !== null) out.push('x-litellm-key-rpm-limit', String(key.rpm_limit));
  if (key.max_budget !== null) out.push('x-litellm-key-max-budget', String(key.max_budget));
  if (!spendCounted) out.push('x-litellm-key-spend', String(key.spend));
  return out;
}

function hasEntries(map: object | null | undefined): boolean {
  if (map === null || map === undefined) return false;
  for (const _ in map) return true;
  return false;
}

/** Budget terms of a stored record (key, user, team, end user). */
function recordTerms(
  maxBudget: number | null,
  softBudget: number | null,
  duration: string | null,
  resetAt: string | null,
  spend: number,
  settings: LimitSettings,
  tempIncrease: number | null = null,
  tempExpiry: string | null = null,
): BudgetTerms | null {
  if (maxBudget === null && softBudget === null) return null;
  return {
    maxBudget,
    softBudget,
    tempIncrease,
    tempExpiry: isoMs(tempExpiry),
    duration,
    resetAt: isoMs(resetAt),
    storedSpend: spend,
    timeZone: settings.timeZone,
  };
}

export class ThreadLimits {
  readonly store = new CounterStore();
  private readonly plans = new Map<string, KeyPlan>();
  private readonly keys = new Map<string, EntityLimits>();
  private readonly users = new Map<string, EntityLimits>();
  private readonly teams = new Map<string, EntityLimits>();
  private readonly members = new Map<string, EntityLimits>();
  private readonly customers = new Map<string, EntityLimits>();
  private readonly models = new Map<string, Map<string, EntityLimits>>();
  /** Per-model budgets: owner kind → owner id → model asked for → the entity of the entry that governs it. */
  private readonly modelBudgets: Record<ModelBudgetOwner, Map<string, Map<string, EntityLimits>>> = {
    key: new Map(),
    user: new Map(),
    team: new Map(),
    end_user: new Map(),
  };
  private readonly deployments = new Map<string, EntityLimits>();
  private proxy: EntityLimits | null = null;

  /** The entities of a virtual key's requests; cached until the AuthRecord object or the config changes. */
  keyPlan(auth: AuthRecord, settings: LimitSettings): KeyPlan {
    const key = auth.key;
    const cached = this.plans.get(key.token);
    if (cached !== undefined && cached.source === auth && cached.settings === settings) return cached;
    const team = auth.team;
    const now = Date.now();
    const keyLimits = this.keyEntity(key, settings, now);
    const user = auth.user === null ? null : this.userEntity(auth.user, settings, now);
    const teamLimits = team === null ? null : this.teamEntity(team, settings, now);
    const member = auth.membership === null || team === null ? null : this.memberEntity(auth.membership, team, settings, now);
    const modelLimits = hasEntries(key.model_rpm_limit) || hasEntries(key.model_tpm_limit);
    const keyModelBudgets = hasModelBudgets(key.model_max_budget, true);
    const userModelBudgets = auth.user !== null && hasModelBudgets(auth.user.model_max_budget);
    const teamModelBudgets = team !== null && hasModelBudgets(team.model_max_budget);
    const plan: KeyPlan = {
      source: auth,
      settings,
      key: keyLimits,
      user,
      team: teamLimits,
      member,
      modelLimits,
      keyModelBudgets,
      userModelBudgets,
      teamModelBudgets,
      empty: keyLimits === null && user === null && teamLimits === null && member === null && !modelLimits
        && !keyModelBudgets && !userModelBudgets && !teamModelBudgets,
      keyHeaders: keyHeaders(key, keyLimits !== null && keyLimits.budget !== null),
    };
    bounded(this.plans).set(key.token, plan);
    return plan;
  }

  /**
   * The end user's entity, or null when nothing limits it. Its budget is its own max_budget, else
   * the shared budget its budget_id names (that budget's max_budget, soft_budget, budget_duration
   * and budget_reset_at; LiteLLM's litellm_budget_table), else litellm_settings.max_end_user_budget;
   * its rpm and tpm limits are its own, else the shared budget's, which also gives
   * max_parallel_requests. The spend is always the end user's own.
   */
  customer(record: CustomerAuthRecord, settings: LimitSettings): EntityLimits | null {
    const cached = this.customers.get(record.user_id);
    if (cached !== undefined && cached.source === record && cached.settings === settings) return cached.active ? cached : null;
    const now = Date.now();
    const shared = record.litellm_budget_table;
    const terms = record.max_budget === null && shared !== null
      ? recordTerms(shared.max_budget ?? settings.maxEndUserBudget, shared.soft_budget, shared.budget_duration, shared.budget_reset_at, record.spend, settings)
      : recordTerms(record.max_budget ?? settings.maxEndUserBudget, null, record.budget_duration, record.budget_reset_at, record.spend, settings);
    return this.sync(this.customers, record.user_id, record, null, settings, now, 'end_user', `end_user:${record.user_id}`, `end user ${record.user_id}`, `EndUser=${record.user_id} `,
      record.rpm_limit ?? shared?.rpm_limit ?? null, record.tpm_limit ?? shared?.tpm_limit ?? null, shared?.max_parallel_requests ?? null, terms);
  }

  /** The key's limits for one model (model_rpm_limit / model_tpm_limit for that name), or null when it has none for it. */
  model(key: KeyRecord, model: string, settings: LimitSettings): EntityLimits | null {
    let byModel = this.models.get(key.token);
    if (byModel === undefined) bounded(this.models).set(key.token, (byModel = new Map()));
    const cached = byModel.get(model);
    if (cached !== undefined && cached.source === key && cached.settings === settings) return cached.active ? cached : null;
    const rpm = key.model_rpm_limit?.[model];
    const tpm = key.model_tpm_limit?.[model];
    return this.sync(bounded(byModel), model, key, null, settings, 0, 'model_per_key', `key:${key.token}:model:${model}`, `model ${model} on key ${keyLabel(key)}`, '',
      typeof rpm === 'number' ? rpm : null, typeof tpm === 'number' ? tpm : null, null, null);
  }

  /**
   * The key's model_max_budget entry that governs `model`: its budget, and its rpm_limit and
   * tpm_limit (which LiteLLM enforces beside model_rpm_limit / model_tpm_limit); null when none.
   */
  keyModelBudget(key: KeyRecord, model: string, settings: LimitSettings): EntityLimits | null {
    const cached = this.cachedModelBudget('key', key.token, key, model, settings);
    if (cached !== undefined) return cached;
    // LiteLLM's words for a spent per-model budget: it names the key by digest; no alias is None.
    return this.modelBudget('key', key.token, `key ${keyLabel(key)}`, key, key.model_max_budget, model, settings,
      `LiteLLM Virtual Key: ${key.token}, key_alias: ${key.key_alias ?? 'None'}, exceeded budget for model=`);
  }

  /** The user's model_max_budget entry that governs `model` (its budget), or null. */
  userModelBudget(user: NonNullable<AuthRecord['user']>, model: string, settings: LimitSettings): EntityLimits | null {
    const cached = this.cachedModelBudget('user', user.user_id, user, model, settings);
    if (cached !== undefined) return cached;
    return this.modelBudget('user', user.user_id, `user ${user.user_id}`, user, user.model_max_budget, model, settings,
      `LiteLLM User: ${user.user_id}, exceeded budget for model=`);
  }

  /** The team's model_max_budget entry that governs `model` (its budget), or null. */
  teamModelBudget(team: TeamRecord, model: string, settings: LimitSettings): EntityLimits | null {
    const cached = this.cachedModelBudget('team', team.team_id, team, model, settings);
    if (cached !== undefined) return cached;
    return this.modelBudget('team', team.team_id, `team ${team.team_id}`, team, team.model_max_budget, model, settings,
      `LiteLLM Team: ${team.team_id}, exceeded budget for model=`);
  }

  /** The model_max_budget of the end user's budget row (budget_id) that governs `model` (its budget), or null. */
  endUserModelBudget(record: CustomerAuthRecord, model: string, settings: LimitSettings): EntityLimits | null {
    const entries = record.litellm_budget_table?.model_max_budget;
    if (entries === undefined || !hasEntries(entries)) return null;
    const cached = this.cachedModelBudget('end_user', record.user_id, record, model, settings);
    if (cached !== undefined) return cached;
    return this.modelBudget('end_user', record.user_id, `end user ${record.user_id}`, record, entries, model, settings,
      `LiteLLM End User: ${record.user_id}, exceeded budget for model=`);
  }

  /** The deployment's rpm / tpm (litellm_params), or null when it sets neither. */
  deployment(spec: ModelDeployment): EntityLimits | null {
    const cached = this.deployments.get(spec.id);
    if (cached !== undefined && cached.source === spec) return cached.active ? cached : null;
    return this.sync(this.deployments, spec.id, spec, null, null, 0, 'deployment', `deployment:${spec.id}`, `deployment ${spec.id} of model ${spec.modelName}`, '',
      spec.rpm, spec.tpm, null, null);
  }

  /** The proxy's own limits (global_max_parallel_requests, litellm_settings.max_budget), or null. */
  global(settings: LimitSettings): EntityLimits | null {
    const cached = this.proxy;
    if (cached !== null && cached.settings === settings) return cached.active ? cached : null;
    const now = Date.now();
    const entity = cached ?? new EntityLimits(this.store, 'global', 'global', 'the proxy', 'global');
    this.proxy = entity;
    entity.settings = settings;
    entity.setRates(null, null, settings.globalMaxParallelRequests);
    entity.setBudget(settings.maxBudget === null ? null : {
      maxBudget: settings.maxBudget,
      softBudget: null,
      tempIncrease: null,
      tempExpiry: null,
      duration: settings.budgetDuration,
      resetAt: null,
      storedSpend: null,
      timeZone: settings.timeZone,
    }, now);
    return entity.active ? entity : null;
  }

  private keyEntity(key: KeyRecord, settings: LimitSettings, now: number): EntityLimits | null {
    return this.sync(this.keys, key.token, key, null, settings, now, 'key', `key:${key.token}`, `key ${keyLabel(key)}`, `Key=${key.key_alias ?? key.key_name} `,
      key.rpm_limit, key.tpm_limit, key.max_parallel_requests,
      recordTerms(key.max_budget, key.soft_budget, key.budget_duration, key.budget_reset_at, key.spend, settings, key.temp_budget_increase, key.temp_budget_expiry));
  }

  private userEntity(user: NonNullable<AuthRecord['user']>, settings: LimitSettings, now: number): EntityLimits | null {
    return this.sync(this.users, user.user_id, user, null, settings, now, 'user', `user:${user.user_id}`, `user ${user.user_id}`, `User=${user.user_id} `,
      user.rpm_limit, user.tpm_limit, user.max_parallel_requests,
      recordTerms(user.max_budget, user.soft_budget, user.budget_duration, user.budget_reset_at, user.spend, settings));
  }

  private teamEntity(team: TeamRecord, settings: LimitSettings, now: number): EntityLimits | null {
    return this.sync(this.teams, team.team_id, team, null, settings, now, 'team', `team:${team.team_id}`, `team ${team.team_id}`, `Team=${team.team_id} `,
      team.rpm_limit, team.tpm_limit, team.max_parallel_requests,
      recordTerms(team.max_budget, team.soft_budget, team.budget_duration, team.budget_reset_at, team.spend, settings));
  }

  /**
   * The membership's own limits, else the team's team_member_* defaults. The budget's period is the
   * membership's budget_duration (from its budget_reset_at), else the team's
   * team_member_budget_duration (from team_member_budget_reset_at).
   */
  private memberEntity(member: TeamMemberRecord, team: TeamRecord, settings: LimitSettings, now: number): EntityLimits | null {
    const id = `${member.team_id}:${member.user_id}`;
    const own = member.budget_duration !== null;
    return this.sync(this.members, id, member, team, settings, now, 'team_member', `member:${id}`, `user ${member.user_id} in team ${member.team_id}`, `Team=${member.team_id} Member=${member.user_id} `,
      member.rpm_limit ?? team.team_member_rpm_limit, member.tpm_limit ?? team.team_member_tpm_limit, null,
      recordTerms(member.max_budget ?? team.team_member_budget, null,
        own ? member.budget_duration : team.team_member_budget_duration,
        own ? member.budget_reset_at : team.team_member_budget_reset_at,
        member.spend, settings));
  }

  /**
   * The per-model budget entity cached for (owner, model) while its record and the config are
   * the same ones (null: none applies); undefined when it must be resolved again. Allocates nothing.
   */
  private cachedModelBudget(owner: ModelBudgetOwner, id: string, source: unknown, model: string, settings: LimitSettings): EntityLimits | null | undefined {
    const cached = this.modelBudgets[owner].get(id)?.get(model);
    if (cached === undefined || cached.source !== source || cached.settings !== settings) return undefined;
    return cached.active ? cached : null;
  }

  /**
   * Resolves and caches the entity of `owner`'s model_max_budget entry that governs `model`, or
   * null when no entry covers it. Only a key's entries give rpm and tpm limits. A spent budget is
   * refused with `exceeded` followed by the model asked for.
   */
  private modelBudget(
    owner: ModelBudgetOwner,
    id: string,
    ownerLabel: string,
    source: unknown,
    entries: JsonObject,
    model: string,
    settings: LimitSettings,
    exceeded: string,
  ): EntityLimits | null {
    const owners = this.modelBudgets[owner];
    let byModel = owners.get(id);
    if (byModel === undefined) bounded(owners).set(id, (byModel = new Map()));
    const prefix = `${owner}:${id}`;
    const withRates = owner === 'key';
    const entry = modelBudgetFor(entries, model, withRates);
    // No entry covers the model: an entity without limits is cached, so the next request skips the lookup.
    if (entry === null) {
      return this.sync(bounded(byModel), model, source, null, settings, 0, 'model_budget', `${prefix}:model_max_budget`, '', '', null, null, null, null);
    }
    const terms: BudgetTerms | null = entry.maxBudget === null ? null : {
      maxBudget: entry.maxBudget,
      softBudget: null,
      tempIncrease: null,
      tempExpiry: null,
      duration: entry.duration,
      resetAt: entry.duration === null ? null : MODEL_BUDGET_EPOCH,
      storedSpend: null,
      timeZone: settings.timeZone,
    };
    const entity = this.sync(bounded(byModel), model, source, null, settings, Date.now(), 'model_budget',
      `${prefix}:model_max_budget:${entry.budgetModel}`, `model ${model} on ${ownerLabel}`, '',
      withRates ? entry.rpm : null, withRates ? entry.tpm : null, null, terms, `${prefix}:model:${entry.budgetModel}:budget`);
    if (entity !== null) entity.budgetExceededMessage = exceeded + model;
    return entity;
  }

  /**
   * The entity under `id` in `map`, configured from these values; null when it has no limit at
   * all (the entry stays, so that the next request with the same record is a map hit). An
   * existing entry is updated in place: its counters keep what they counted.
   */
  private sync(
    map: Map<string, EntityLimits>,
    id: string,
    source: unknown,
    source2: unknown,
    settings: LimitSettings | null,
    now: number,
    kind: EntityKind,
    name: string,
    label: string,
    tag: string,
    rpm: number | null,
    tpm: number | null,
    parallel: number | null,
    terms: BudgetTerms | null,
    budgetName?: string,
  ): EntityLimits | null {
    let entity = map.get(id);
    // A per-model budget whose governing entry changed is another entity (its counters are named after the entry).
    if (entity === undefined || entity.name !== name) {
      entity = new EntityLimits(this.store, kind, name, label, kind === 'model_per_key' || kind === 'model_budget' ? name : id);
      bounded(map).set(id, entity);
    }
    entity.label = label;
    entity.tag = tag;
    entity.source = source;
    entity.source2 = source2;
    entity.settings = settings;
    entity.setRates(rpm, tpm, parallel);
    entity.setBudget(terms, now, budgetName);
    return entity.active ? entity : null;
  }
}

/** `map`, emptied first when it has grown past MAX_ENTRIES (the counters themselves are kept). */
function bounded<K, V>(map: Map<K, V>): Map<K, V> {
  if (map.size >= MAX_ENTRIES) map.clear();
  return map;
}
