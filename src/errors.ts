/**
 * The one catalogue of coded errors the gateway can answer with.
 *
 * Every error a client can see is declared here once, with its HTTP status, the OpenAI/LiteLLM
 * error `type`, and whether retrying the same request elsewhere may help. docs/errors.md lists
 * every code; test/errors.test.ts fails when the two disagree.
 */

export interface ErrorSpec {
  /** HTTP status sent to the client. */
  readonly status: number;
  /** The `type` field of the OpenAI error envelope (LiteLLM's names where LiteLLM has one). */
  readonly type: string;
  /** Whether another attempt (same or other deployment) may succeed. */
  readonly retryable: boolean;
  /** Where the fault lies: the client's request, the gateway itself, or the upstream provider. */
  readonly source: 'downstream' | 'internal' | 'upstream';
  /** One line for docs/errors.md. */
  readonly description: string;
}

export const ERRORS = {
  invalid_json: {
    status: 400, type: 'invalid_request_error', retryable: false, source: 'downstream',
    description: 'The request body is not valid JSON (or not valid UTF-8).',
  },
  invalid_body: {
    status: 400, type: 'invalid_request_error', retryable: false, source: 'downstream',
    description: 'The body is JSON but a field has the wrong type or a required field is missing.',
  },
  unknown_model: {
    status: 400, type: 'invalid_request_error', retryable: false, source: 'downstream',
    description: 'No deployment serves the requested model name.',
  },
  body_too_large: {
    status: 413, type: 'invalid_request_error', retryable: false, source: 'downstream',
    description: 'The body exceeds general_settings.max_request_size_mb.',
  },
  auth_error: {
    status: 401, type: 'auth_error', retryable: false, source: 'downstream',
    description: 'The API key is missing or not valid.',
  },
  not_found: {
    status: 404, type: 'not_found_error', retryable: false, source: 'downstream',
    description: 'No route matches the method and path.',
  },
  expired_key: {
    status: 401, type: 'expired_key', retryable: false, source: 'downstream',
    description: 'The virtual key has passed its expiry time.',
  },
  key_blocked: {
    status: 401, type: 'auth_error', retryable: false, source: 'downstream',
    description: 'The virtual key is blocked (/key/block).',
  },
  team_blocked: {
    status: 401, type: 'team_blocked', retryable: false, source: 'downstream',
    description: "The key's team is blocked (/team/block).",
  },
  user_blocked: {
    status: 403, type: 'user_blocked', retryable: false, source: 'downstream',
    description: "The key's user is blocked.",
  },
  customer_blocked: {
    status: 403, type: 'customer_blocked', retryable: false, source: 'downstream',
    description: 'The end user named by the request\'s `user` field is blocked (/customer/block).',
  },
  key_model_access_denied: {
    status: 403, type: 'key_model_access_denied', retryable: false, source: 'downstream',
    description: "The model is not in the key's models allowlist; param is `model`.",
  },
  team_model_access_denied: {
    status: 403, type: 'team_model_access_denied', retryable: false, source: 'downstream',
    description: "The model is not in the key's team's models allowlist; param is `model`.",
  },
  user_model_access_denied: {
    status: 403, type: 'user_model_access_denied', retryable: false, source: 'downstream',
    description: "The model is not in the key's user's models allowlist; param is `model`.",
  },
  ip_not_allowed: {
    status: 403, type: 'ip_not_allowed', retryable: false, source: 'downstream',
    description: "The client address is not in the key's allowed_ips.",
  },
  route_not_allowed: {
    status: 403, type: 'route_not_allowed', retryable: false, source: 'downstream',
    description: "The route is not in the key's allowed_routes.",
  },
  rate_limit_exceeded: {
    status: 429, type: 'rate_limit_error', retryable: true, source: 'downstream',
    description: 'A rate limit (requests, tokens or requests in flight) of the key, its user, team or team membership, the end user, the key\'s model, the deployment or the proxy is used up; `retry-after` says when to come back.',
  },
  budget_exceeded: {
    status: 400, type: 'budget_exceeded', retryable: false, source: 'downstream',
    description: 'The spend of the key, its user, team or team membership, the end user or the proxy has reached its max_budget (until the budget resets or is raised).',
  },
  budget_reserved: {
    status: 429, type: 'rate_limit_error', retryable: true, source: 'downstream',
    description: 'What is left of a budget is held by calls still in flight; retry when they finish (they may leave some of it unused).',
  },
  forbidden: {
    status: 403, type: 'permission_denied', retryable: false, source: 'downstream',
    description: "The caller's role may not call this management route, or not on this target.",
  },
  record_not_found: {
    status: 404, type: 'not_found_error', retryable: false, source: 'downstream',
    description: 'The key, user, team, end user, budget or model named in a management call does not exist.',
  },
  already_exists: {
    status: 409, type: 'conflict_error', retryable: false, source: 'downstream',
    description: 'A management call would create a record whose id or alias is taken.',
  },
  store_unavailable: {
    status: 503, type: 'service_unavailable', retryable: true, source: 'internal',
    description: 'The control-plane store (PGlite or PostgreSQL) did not answer.',
  },
  counters_unavailable: {
    status: 503, type: 'service_unavailable', retryable: true, source: 'internal',
    description: 'Redis, which holds the limits shared by all instances, did not answer, and ailb_settings.redis_failure_mode is closed.',
  },
  shutting_down: {
    status: 503, type: 'service_unavailable', retryable: true, source: 'internal',
    description: 'The gateway is draining for shutdown and takes no new requests.',
  },
  internal_error: {
    status: 500, type: 'internal_server_error', retryable: false, source: 'internal',
    description: 'An unexpected fault in the gateway; the log has the details under the call id.',
  },
  upstream_error: {
    status: 502, type: 'api_error', retryable: true, source: 'upstream',
    description: 'The upstream answered with an error; its status is kept (4xx/5xx) and its message passed on.',
  },
  upstream_unreachable: {
    status: 502, type: 'api_connection_error', retryable: true, source: 'upstream',
    description: 'The upstream could not be reached (connection refused or reset, DNS failure, TLS failure).',
  },
  upstream_timeout: {
    status: 504, type: 'timeout', retryable: true, source: 'upstream',
    description: 'The upstream did not answer within the deployment timeout.',
  },
  no_deployments: {
    status: 429, type: 'rate_limit_error', retryable: true, source: 'upstream',
    description: 'No deployment of the model group can take the request now (all cooling down, or over their rpm/tpm) and no fallback could; `retry-after` says when one comes back.',
  },
  context_window_exceeded: {
    status: 400, type: 'invalid_request_error', retryable: false, source: 'downstream',
    description: "The prompt plus max_tokens is larger than every deployment's model_info.max_input_tokens and no context_window_fallbacks group fits it.",
  },
  upstream_stream_error: {
    status: 502, type: 'api_error', retryable: false, source: 'upstream',
    description: 'The upstream broke a stream after it had started; the client gets an error event, never a fake [DONE].',
  },
  unsupported_param: {
    status: 400, type: 'invalid_request_error', retryable: false, source: 'downstream',
    description: "The request sets a parameter the deployment's provider does not take (the message names it); set `drop_params: true` to leave such parameters out instead.",
  },
  upstream_bad_response: {
    status: 502, type: 'api_error', retryable: true, source: 'upstream',
    description: "The upstream answered with a success status but a body the gateway could not read in the provider's format.",
  },
  upstream_auth_failed: {
    status: 502, type: 'api_connection_error', retryable: true, source: 'upstream',
    description: "The gateway could not get a credential for the upstream (a cloud token exchange or request signing failed).",
  },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

/** An error the gateway answers with. Carries its catalogue code and the OpenAI `param`. */
export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly param: string | null;

  constructor(code: ErrorCode, message: string, options: { param?: string | null; status?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options.status ?? ERRORS[code].status;
    this.param = options.param ?? null;
  }

  get type(): string {
    return ERRORS[this.code].type;
  }

  get retryable(): boolean {
    return ERRORS[this.code].retryable;
  }

  /**
   * The Anthropic error envelope (`/v1/messages`): `{"type":"error","error":{"type","message"}}`
   * with Anthropic's type for the status.
   */
  toAnthropicBody(): string {
    return JSON.stringify({ type: 'error', error: { type: anthropicErrorType(this.status), message: this.message } });
  }

  /** The OpenAI error envelope LiteLLM clients expect: `code` is the HTTP status as a string. */
  toOpenAIBody(): string {
    return JSON.stringify({
      error: { message: this.message, type: this.type, param: this.param, code: String(this.status) },
    });
  }
}

/** Anthropic's error `type` for an HTTP status (https://docs.anthropic.com/en/api/errors). */
export function anthropicErrorType(status: number): string {
  switch (status) {
    case 400:
    case 413:
    case 422:
      return status === 413 ? 'request_too_large' : 'invalid_request_error';
    case 401:
      return 'authentication_error';
    case 402:
      return 'billing_error';
    case 403:
      return 'permission_error';
    case 404:
      return 'not_found_error';
    case 429:
      return 'rate_limit_error';
    case 504:
      return 'timeout_error';
    case 529:
      return 'overloaded_error';
    default:
      return status >= 500 ? 'api_error' : 'invalid_request_error';
  }
}
