/**
 * The gateway's resolved configuration: what the loader (src/config/load.ts) produces from a
 * LiteLLM-format config.yaml (or from the environment when there is no file), after
 * `os.environ/NAME` references are substituted, defaults applied and every value validated.
 *
 * Contract: a GatewayConfig is plain data (structured-clonable, so the main thread can post it to
 * every event-loop thread) and is treated as immutable once built; hot reload replaces the whole
 * object.
 */

export interface GatewayConfig {
  /** Absolute path of the file it came from, or null when built from the environment. */
  readonly source: string | null;
  readonly modelList: readonly ModelDeployment[];
  readonly routerSettings: RouterSettings;
  readonly litellmSettings: LitellmSettings;
  readonly generalSettings: GeneralSettings;
  readonly ailbSettings: AilbSettings;
  /** `environment_variables` from the file, already exported into process.env by the loader. */
  readonly environmentVariables: Readonly<Record<string, string>>;
  /** `guardrails` entries, validated; applied by the guardrail stages. */
  readonly guardrails: readonly GuardrailConfig[];
  /** Where budget alerts go: general_settings.alerting (LiteLLM) and ailb_settings.alerting, resolved. */
  readonly alerting: AlertingSettings;
  /** Proxy-wide limits and budgets and how budgets reserve (src/config/limits.ts, docs/counters.md). */
  readonly limits: LimitSettings;
  /** Retries, fallbacks, cooldowns, per-group strategies and health checks (src/config/router-policy.ts). */
  readonly routerPolicy: RouterPolicySettings;
}

/** One entry of model_list: a deployment serving the public name `modelName`. */
export interface ModelDeployment {
  /** Public model name clients send; several deployments with one name form a group. May contain `*`. */
  readonly modelName: string;
  /** model_info.id, or a stable hash of the entry when absent. Reported as x-ailb-model-id. */
  readonly id: string;
  /** Provider prefix of litellm_params.model (`openai`, `groq`, …). */
  readonly provider: string;
  /** The model name sent upstream: litellm_params.model without the provider prefix. May contain `*`. */
  readonly upstreamModel: string;
  /** Base URL requests go to, without a trailing slash, e.g. `https://api.openai.com/v1`. */
  readonly apiBase: string;
  /** Credential sent upstream, or null for providers that need none (local servers). */
  readonly apiKey: string | null;
  /** Header that carries the credential, lower case (`authorization`, `api-key`, …). */
  readonly authHeader: string;
  /** Prefix before the key in that header (`Bearer ` or ``). */
  readonly authScheme: string;
  readonly apiVersion: string | null;
  readonly organization: string | null;
  /** Whole-request timeout for non-streaming calls, ms. */
  readonly timeoutMs: number;
  /** Timeout to first byte and between chunks for streaming calls, ms. */
  readonly streamTimeoutMs: number;
  readonly rpm: number | null;
  readonly tpm: number | null;
  readonly weight: number;
  readonly order: number | null;
  readonly maxRetries: number | null;
  /** Extra headers sent upstream on every call (lower-case names). */
  readonly extraHeaders: Readonly<Record<string, string>>;
  /** model_info as written (id, mode, base_model, prices, limits, access_groups…). */
  readonly modelInfo: Readonly<Record<string, unknown>>;
  /** litellm_params as written, after env substitution (provider-specific keys live here). */
  readonly litellmParams: Readonly<Record<string, unknown>>;
}

export type RoutingStrategy =
  | 'simple-shuffle'
  | 'least-busy'
  | 'usage-based-routing'
  | 'usage-based-routing-v2'
  | 'latency-based-routing'
  | 'cost-based-routing'
  | 'round-robin';

export interface RouterSettings {
  readonly routingStrategy: RoutingStrategy;
  readonly numRetries: number;
  readonly retryAfterS: number;
  /** Default upstream timeout (s) when a deployment sets none. */
  readonly timeoutS: number;
  readonly streamTimeoutS: number | null;
  readonly allowedFails: number;
  readonly cooldownTimeS: number;
  readonly maxFallbacks: number;
  /** Alias → model group. LiteLLM's `{model, hidden}` form is reduced to its `model`. */
  readonly modelGroupAlias: Readonly<Record<string, string>>;
  /** Group → groups to try, in order, when the group fails after its retries. */
  readonly fallbacks: Readonly<Record<string, readonly string[]>>;
  /** Group → groups to try when the request exceeds the group's context window. */
  readonly contextWindowFallbacks: Readonly<Record<string, readonly string[]>>;
  /** Group → groups to try when the provider refuses the content. */
  readonly contentPolicyFallbacks: Readonly<Record<string, readonly string[]>>;
  /** Groups tried for a group that has no fallbacks of its own. */
  readonly defaultFallbacks: readonly string[];
  /**
   * Every key under router_settings plus the router keys set in litellm_settings (router_settings
   * wins), as written after env substitution; defaults are not filled in here.
   */
  readonly raw: Readonly<Record<string, unknown>>;
}

export interface LitellmSettings {
  readonly dropParams: boolean;
  readonly requestTimeoutS: number | null;
  readonly timezone: string;
  readonly raw: Readonly<Record<string, unknown>>;
}

export interface GeneralSettings {
  /** general_settings.master_key, else AILB_MASTER_KEY, else LITELLM_MASTER_KEY; null = none set. */
  readonly masterKey: string | null;
  readonly maxRequestSizeMb: number;
  readonly databaseUrl: string | null;
  readonly litellmKeyHeaderName: string | null;
  /**
   * LiteLLM's disable_spend_logs: no spend_logs row is written; the spend of keys, users, teams,
   * team members and end users is still counted (as LiteLLM does).
   */
  readonly disableSpendLogs: boolean;
  readonly raw: Readonly<Record<string, unknown>>;
}

/** AILB's own keys (`ailb_settings`). */
export interface AilbSettings {
  /** How long SIGTERM waits for in-flight requests and streams before closing them, s. */
  readonly drainTimeoutS: number;
  /** Watch the config file and reload it on change. */
  readonly hotReload: boolean;
  /** Count every chat request's prompt tokens natively (x-ailb-prompt-tokens, limits, cost estimates). */
  readonly countPromptTokens: boolean;
}

/** Proxy-wide limits and budgets, from litellm_settings, general_settings and ailb_settings. */
export interface LimitSettings {
  /** litellm_settings.max_budget: the proxy's own budget, USD; null = none. */
  readonly maxBudget: number | null;
  /** litellm_settings.budget_duration of the proxy's budget ("1d", "30d"…), validated; null = never resets. */
  readonly budgetDuration: string | null;
  /** litellm_settings.max_end_user_budget: the budget of an end user whose record sets none, USD. */
  readonly maxEndUserBudget: number | null;
  /** general_settings.global_max_parallel_requests: requests in flight in the whole process. */
  readonly globalMaxParallelRequests: number | null;
  /** ailb_settings.budget_reservation_max_tokens: output tokens a budget reserves when max_tokens is absent. */
  readonly budgetReservationMaxTokens: number;
  /**
   * ailb_settings.redis_failure_mode: with Redis configured and unavailable, admit on the local
   * counters only ('open', LiteLLM's behaviour) or refuse with 503 ('closed').
   */
  readonly redisFailureMode: 'open' | 'closed';
  /** ailb_settings.redis_key_prefix: the prefix (hash tag) of the counters' keys in Redis. */
  readonly redisKeyPrefix: string;
  /** litellm_settings.timezone, for budget periods. */
  readonly timeZone: string;
  /** Whether a proxy-wide limit or budget is set (then every request reserves, the master key's too). */
  readonly proxyWide: boolean;
}

/** LiteLLM's exception classes, as retry_policy and allowed_fails_policy name them (without the suffix). */
export type RouterErrorClassName =
  | 'BadRequestError'
  | 'AuthenticationError'
  | 'TimeoutError'
  | 'RateLimitError'
  | 'ContentPolicyViolationError'
  | 'InternalServerError';

/** A count per error class (retries or allowed failures); an absent class has no count of its own. */
export type ErrorClassCounts = Readonly<Partial<Record<RouterErrorClassName, number>>>;

/** One `router_settings.routing_groups` entry: model groups routed by their own strategy. */
export interface RoutingGroupSettings {
  readonly name: string;
  /** Model group names (model_name values) this strategy applies to. */
  readonly models: readonly string[];
  readonly strategy: RoutingStrategy;
  /** routing_strategy_args.lowest_latency_buffer for these groups; null = the global one. */
  readonly lowestLatencyBuffer: number | null;
}

/**
 * The router keys beyond RouterSettings' basic ones, validated (router_settings, litellm_settings,
 * general_settings and ailb_settings keys; docs/config.md#router).
 */
export interface RouterPolicySettings {
  /** Whether num_retries was written (router_settings or litellm_settings): then a group of one deployment is retried on itself. */
  readonly numRetriesSet: boolean;
  /** router_settings.retry_policy. */
  readonly retryPolicy: ErrorClassCounts;
  /** router_settings.model_group_retry_policy: group → its own retry_policy. */
  readonly modelGroupRetryPolicy: Readonly<Record<string, ErrorClassCounts>>;
  /** router_settings.allowed_fails_policy. */
  readonly allowedFailsPolicy: ErrorClassCounts;
  /** Whether allowed_fails was written (then a 429 counts like any failure instead of cooling at once). */
  readonly allowedFailsSet: boolean;
  /** router_settings.disable_cooldowns. */
  readonly disableCooldowns: boolean;
  /** router_settings.enable_pre_call_checks; AILB's default is on (the prompt is counted exactly). */
  readonly enablePreCallChecks: boolean;
  /** routing_strategy_args.lowest_latency_buffer (latency-based routing), ≥ 0. */
  readonly lowestLatencyBuffer: number;
  /** router_settings.routing_groups. */
  readonly routingGroups: readonly RoutingGroupSettings[];
  /** ailb_settings.when_all_cooling: what a group whose every deployment is cooling down does. */
  readonly whenAllCooling: 'least_recently_failed' | 'refuse';
  /** general_settings.background_health_checks. */
  readonly backgroundHealthChecks: boolean;
  /** general_settings.health_check_interval, s. */
  readonly healthCheckIntervalS: number;
}

/** A budget alert payload: AILB's JSON event, or Slack's incoming-webhook `{"text": …}`. */
export type AlertFormat = 'json' | 'slack';

export interface AlertWebhook {
  /** http(s) URL the alert is POSTed to. */
  readonly url: string;
  readonly format: AlertFormat;
}

/** Budget alert delivery (src/spend/alerts.ts, docs/budgets.md). */
export interface AlertingSettings {
  /** Every webhook that receives budget alerts, without duplicates; empty = budget alerts off. */
  readonly webhooks: readonly AlertWebhook[];
  /** Time allowed to one POST, s. */
  readonly timeoutS: number;
  /** POSTs tried per alert and webhook before it is given up (1 = no retry). */
  readonly maxAttempts: number;
  /** Alerts each webhook may have waiting; past it the oldest is dropped. */
  readonly queueSize: number;
  /**
   * Variables general_settings.alerting names that were not set (e.g. `SLACK_WEBHOOK_URL`), so
   * that channel sends nothing; logged once when alerting starts.
   */
  readonly missingEnv: readonly string[];
}

export type GuardrailMode = 'pre_call' | 'during_call' | 'post_call' | 'logging_only';

/** One `guardrails[]` entry. */
export interface GuardrailConfig {
  /** guardrail_name: how requests and keys refer to it. */
  readonly name: string;
  /** litellm_params.guardrail: the integration (`presidio`, `lakera`, `aporia`, …). */
  readonly guardrail: string;
  /** litellm_params.mode, as a list (LiteLLM accepts one mode or several). */
  readonly modes: readonly GuardrailMode[];
  /** litellm_params.default_on: run on every request without being asked for. Default false. */
  readonly defaultOn: boolean;
  /** litellm_params as written, after env substitution (integration-specific keys live here). */
  readonly litellmParams: Readonly<Record<string, unknown>>;
  readonly guardrailInfo: Readonly<Record<string, unknown>>;
}

/** A problem found in a config file, with where it is. */
export interface ConfigIssue {
  /** Dotted path of the key, e.g. `model_list[2].litellm_params.rpm`. */
  readonly path: string;
  readonly message: string;
  /** 1-based line and column in the file, when known. */
  readonly line: number | null;
  readonly column: number | null;
}
