/**
 * What kind of failure an upstream attempt ended in, in LiteLLM's exception classes: the class
 * decides whether the call is retried (retry_policy), whether it counts towards the deployment's
 * cooldown (allowed_fails_policy) and which fallback list applies.
 */
import type { RouterErrorClassName } from '../config/types.js';

/** A closed list; `ErrorClass.Count` sizes per-class tables. */
export const enum ErrorClass {
  BadRequest = 0,
  Authentication = 1,
  NotFound = 2,
  Timeout = 3,
  RateLimit = 4,
  ContentPolicy = 5,
  ContextWindow = 6,
  InternalServer = 7,
  /** Connection refused or reset, DNS or TLS failure, a broken response. */
  Connection = 8,
  Count = 9,
}

/** LiteLLM's exception name of each class (metric labels, logs). */
export const ERROR_CLASS_NAMES: readonly string[] = [
  'BadRequestError', 'AuthenticationError', 'NotFoundError', 'Timeout', 'RateLimitError',
  'ContentPolicyViolationError', 'ContextWindowExceededError', 'InternalServerError', 'APIConnectionError',
];

/**
 * The retry_policy / allowed_fails_policy keys that apply to each class, most specific first
 * (LiteLLM's ContentPolicyViolationError and ContextWindowExceededError are BadRequestErrors).
 */
export const POLICY_KEYS: readonly (readonly RouterErrorClassName[])[] = [
  ['BadRequestError'],
  ['AuthenticationError'],
  [],
  ['TimeoutError'],
  ['RateLimitError'],
  ['ContentPolicyViolationError', 'BadRequestError'],
  ['BadRequestError'],
  ['InternalServerError'],
  ['InternalServerError'],
];

/** Classes retried num_retries times when no retry_policy says otherwise (the others are deterministic). */
export function retriedByDefault(cls: ErrorClass): boolean {
  return cls === ErrorClass.Authentication || cls === ErrorClass.Timeout || cls === ErrorClass.RateLimit || cls === ErrorClass.InternalServer || cls === ErrorClass.Connection;
}

/** Classes that count towards a deployment's cooldown: the deployment, not the request, is at fault. */
export function countsTowardsCooldown(cls: ErrorClass): boolean {
  return cls !== ErrorClass.BadRequest && cls !== ErrorClass.ContentPolicy && cls !== ErrorClass.ContextWindow;
}

const CONTEXT_WINDOW = /context[ _-]?(length|window)|maximum context|too many tokens|prompt is too long|input is too long|reduce the length/i;
const CONTENT_POLICY = /content[ _-]?(management[ _-]?)?polic|content[ _-]?filter|safety system/i;

/**
 * The class of an upstream error answer from its status and the error's `code`, `type` and
 * `message` (OpenAI's `context_length_exceeded`, `content_policy_violation`, Azure's
 * `content_filter`, and the wordings other providers use).
 */
export function classifyStatus(status: number, code: string, type: string, message: string): ErrorClass {
  if (status === 400 || status === 422 || status === 413) {
    if (code === 'context_length_exceeded' || status === 413 || CONTEXT_WINDOW.test(message)) return ErrorClass.ContextWindow;
    if (code === 'content_policy_violation' || code === 'content_filter' || type === 'content_policy_violation' || CONTENT_POLICY.test(message)) {
      return ErrorClass.ContentPolicy;
    }
    return ErrorClass.BadRequest;
  }
  if (status === 401 || status === 403) return ErrorClass.Authentication;
  if (status === 404) return ErrorClass.NotFound;
  if (status === 408) return ErrorClass.Timeout;
  if (status === 429) return ErrorClass.RateLimit;
  if (status >= 500) return ErrorClass.InternalServer;
  return ErrorClass.BadRequest;
}
