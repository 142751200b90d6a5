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
