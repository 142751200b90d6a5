/**
 * The router's rules for one config generation, resolved once from the config (LiteLLM's
 * router_settings semantics; docs/config.md#router): how many retries an error class gets, how
 * many failures a deployment may have before it cools down and for how long, which fallback
 * groups a failure moves to, how long to wait before a retry, and which strategy each group uses.
 */
import type { GatewayConfig, RoutingStrategy } from '../config/types.js';
import { ErrorClass, POLICY_KEYS, retriedByDefault } from './classify.js';
import type { CooldownRules } from './state.js';

/** Routing strategies, a closed list (config's names map onto it; the v1/v2 usage names share one). */
export const enum Strategy {
  SimpleShuffle = 0,
  RoundRobin = 1,
  LeastBusy = 2,
  LatencyBased = 3,
  CostBased = 4,
  UsageBased = 5,
}

export function strategyOf(name: RoutingStrategy): Strategy {
  switch (name) {
    case 'round-robin':
      return Strategy.RoundRobin;
    case 'least-busy':
      return Strategy.LeastBusy;
    case 'latency-based-routing':
      return Strategy.LatencyBased;
    case 'cost-based-routing':
      return Strategy.CostBased;
    case 'usage-based-routing':
    case 'usage-based-routing-v2':
      return Strategy.UsageBased;
    default:
      return Strategy.SimpleShuffle;
  }
}

/** Which fallback list a failure moved the request along (metric label). */
export const enum FallbackKind {
  General = 0,
  ContextWindow = 1,
  ContentPolicy = 2,
}

export const FALLBACK_KIND_NAMES: readonly string[] = ['general', 'context_window', 'content_policy'];

/** LiteLLM's retry backoff: 0.5 s doubling per retry, at most 8 s, minus up to 25 % jitter. */
const INITIAL_RETRY_DELAY_MS = 500;
const MAX_RETRY_DELAY_MS = 8000;
/** An upstream's retry-after is followed when it asks for at most this long (LiteLLM's bound). */
const MAX_RETRY_AFTER_MS = 60_000;

const NO_FALLBACKS: readonly string[] = [];

export class RouterPolicy implements CooldownRules {
  readonly numRetries: number;
  /** num_retries written in the config: a group of one deployment retries on itself. */
  readonly numRetriesSet: boolean;
  readonly retryAfterMs: number;
  readonly maxFallbacks: number;
  readonly cooldownMs: number;
  /** False with disable_cooldowns: failures never cool a deployment. */
  readonly cooldowns: boolean;
  readonly preCallChecks: boolean;
  /** When every deployment of a group is cooling: try the one that failed longest ago, or refuse. */
  readonly tryLeastRecentlyFailed: boolean;
  readonly backgroundHealthChecks: boolean;
  readonly healthCheckIntervalMs: number;
  private readonly retries: Int32Array;
  private readonly groupRetries: ReadonlyMap<string, Int32Array>;
  /** 1 for the classes retry_policy (or the group's own) names: retried on the same deployment too. */
  private readonly named: Uint8Array;
  private readonly groupNamed: ReadonlyMap<string, Uint8Array>;
  private readonly allowed: Int32Array;
  private readonly strategies: ReadonlyMap<string, { strategy: Strategy; buffer: number }>;
  private readonly defaultStrategy: Strategy;
  private readonly defaultBuffer: number;
  private readonly fallbacks: Readonly<Record<string, readonly string[]>>;
  private readonly contextWindowFallbacks: Readonly<Record<string, readonly string[]>>;
  private readonly contentPolicyFallbacks: Readonly<Record<string, readonly string[]>>;
  private readonly defaultFallbacks: readonly string[];

  constructor(config: GatewayConfig) {
    const r = config.routerSettings;
    const p = config.routerPolicy;
    this.numRetries = r.numRetries;
    this.numRetriesSet = p.numRetriesSet;
    this.retryAfterMs = r.retryAfterS * 1000;
    this.maxFallbacks = r.maxFallbacks;
    this.cooldownMs = r.cooldownTimeS * 1000;
    this.cooldowns = !p.disableCooldowns;
    this.preCallChecks = p.enablePreCallChecks;
    this.tryLeastRecentlyFailed = p.whenAllCooling === 'least_recently_failed';
    this.backgroundHealthChecks = p.backgroundHealthChecks;
    this.healthCheckIntervalMs = p.healthCheckIntervalS * 1000;

    const counts = (policy: Readonly<Record<string, number | undefined>>, fallback: (cls: ErrorClass) => number): Int32Array => {
      const out = new Int32Array(ErrorClass.Count);
      for (let cls = 0; cls < ErrorClass.Count; cls++) {
        const key = POLICY_KEYS[cls].find((k) => policy[k] !== undefined);
        out[cls] = key === undefined ? fallback(cls) : policy[key]!;
      }
      return out;
    };
    const named = (policy: Readonly<Record<string, number | undefined>>, inherited: Uint8Array | null): Uint8Array => {
      const out = new Uint8Array(ErrorClass.Count);
      for (let cls = 0; cls < ErrorClass.Count; cls++) {
        out[cls] = POLICY_KEYS[cls].some((k) => policy[k] !== undefined) || (inherited !== null && inherited[cls] === 1) ? 1 : 0;
      }
      return out;
    };
    const defaultRetries = (cls: ErrorClass) => (retriedByDefault(cls) ? r.numRetries : 0);
    this.retries = counts(p.retryPolicy, defaultRetries);
    this.named = named(p.retryPolicy, null);
    const groupRetries = new Map<string, Int32Array>();
    const groupNamed = new Map<string, Uint8Array>();
    for (const [group, policy] of Object.entries(p.modelGroupRetryPolicy)) {
      groupRetries.set(group, counts(policy, (cls) => this.retries[cls]));
      groupNamed.set(group, named(policy, this.named));
    }
    this.groupRetries = groupRetries;
    this.groupNamed = groupNamed;
    // LiteLLM: a 429 cools a deployment at once unless allowed_fails (or its policy) is written.
    const allowedFails = r.allowedFails;
    this.allowed = counts(p.allowedFailsPolicy, (cls) => (cls === ErrorClass.RateLimit && !p.allowedFailsSet ? -1 : allowedFails));

    this.defaultStrategy = strategyOf(r.routingStrategy);
    this.defaultBuffer = p.lowestLatencyBuffer;
    const strategies = new Map<string, { strategy: Strategy; buffer: number }>();
    for (const group of p.routingGroups) {
      for (const model of group.models) strategies.set(model, { strategy: strategyOf(group.strategy), buffer: group.lowestLatencyBuffer ?? p.lowestLatencyBuffer });
    }
    this.strategies = strategies;
    this.fallbacks = r.fallbacks;
    this.contextWindowFallbacks = r.contextWindowFallbacks;
    this.contentPolicyFallbacks = r.contentPolicyFallbacks;
    this.defaultFallbacks = r.defaultFallbacks;
  }

  /** Retries within `group` for a failure of class `cls` (retry_policy, model_group_retry_policy, num_retries). */
  retriesFor(group: string, cls: ErrorClass): number {
    const own = this.groupRetries.get(group);
    return (own ?? this.retries)[cls];
  }

  /**
   * Whether a failed attempt may be made again on the same deployment (a group of one, or no
   * other deployment left): only when retries were asked for — num_retries written in the config,
   * a retry_policy naming the class, or the deployment's own max_retries. The default num_retries
   * moves a call to the group's other deployments but does not call a failing deployment again.
   */
  repeatsAllowed(group: string, cls: ErrorClass, deploymentMaxRetries: number | null): boolean {
    if (this.numRetriesSet || (deploymentMaxRetries !== null && deploymentMaxRetries > 0)) return true;
    return (this.groupNamed.get(group) ?? this.named)[cls] === 1;
  }

  /** allowed_fails / allowed_fails_policy for `cls`; -1: cool down at the first one. */
  allowedFails(cls: ErrorClass): number {
    return this.allowed[cls];
  }

  strategyFor(group: string): Strategy {
    return this.strategies.get(group)?.strategy ?? this.defaultStrategy;
  }

  latencyBufferFor(group: string): number {
    return this.strategies.get(group)?.buffer ?? this.defaultBuffer;
  }

  /**
   * The groups a failure of `cls` in `group` falls back to, in order, and which list that is:
   * context_window_fallbacks / content_policy_fallbacks for their classes when the group has
   * some, else fallbacks (the group's own, else a `*` entry, else default_fallbacks). A malformed
   * request (BadRequestError) never falls back, as in LiteLLM.
   */
  fallbacksFor(group: string, cls: ErrorClass): { list: readonly string[]; kind: FallbackKind } {
    if (cls === ErrorClass.ContextWindow) {
      const own = this.contextWindowFallbacks[group];
      if (own !== undefined && own.length > 0) return { list: own, kind: FallbackKind.ContextWindow };
    } else if (cls === ErrorClass.ContentPolicy) {
      const own = this.contentPolicyFallbacks[group];
      if (own !== undefined && own.length > 0) return { list: own, kind: FallbackKind.ContentPolicy };
    } else if (cls === ErrorClass.BadRequest) {
      return { list: NO_FALLBACKS, kind: FallbackKind.General };
    }
    const list = this.fallbacks[group] ?? this.fallbacks['*'] ?? this.defaultFallbacks;
    return { list, kind: FallbackKind.General };
  }

  /** Whether `group` has any fallback at all (the route stage refuses at once when not). */
  hasFallbacks(group: string): boolean {
    return (this.fallbacks[group] ?? this.fallbacks['*'] ?? this.defaultFallbacks).length > 0;
  }

  /**
   * How long to wait before retrying on the same deployment: the upstream's retry-after when it
   * sent one of at most 60 s, else exponential backoff with jitter; never less than retry_after.
   * (A retry on another deployment goes at once.)
   */
  retryDelayMs(retryIndex: number, upstreamRetryAfterMs: number, random: () => number): number {
    if (upstreamRetryAfterMs > 0 && upstreamRetryAfterMs <= MAX_RETRY_AFTER_MS) return Math.max(upstreamRetryAfterMs, this.retryAfterMs);
    const base = Math.min(INITIAL_RETRY_DELAY_MS * 2 ** retryIndex, MAX_RETRY_DELAY_MS);
    return Math.max(base * (1 - 0.25 * random()), this.retryAfterMs);
  }
}
