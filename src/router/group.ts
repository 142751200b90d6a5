/**
 * A deployment group (the deployments sharing one model_name) and its routing strategy: which
 * deployment serves the next attempt. Built once per config generation and thread; the state it
 * decides on (cooldowns, in-flight counts, latencies, usage) is process-wide (state.ts), so every
 * thread decides on the same facts.
 *
 * A pick takes, in order:
 * 1. `order` tiers: deployments with the lowest `order` first; a higher tier is used only when no
 *    deployment of a lower one can be tried. Deployments without `order` come last.
 * 2. Within a tier, the strategy ranks the deployments the request may use (not tried yet by this
 *    request, and large enough for its prompt when pre-call checks are on).
 * 3. The ranked choice must be available (circuit closed, or half-open with its probe free); if
 *    not it is skipped and the strategy chooses again.
 * 4. When every deployment it could use is cooling down and `fallthrough` is set, the one that
 *    failed longest ago (ailb_settings.when_all_cooling: least_recently_failed).
 *
 * A group of one deployment never cools down and has nothing to choose: its pick reads no state.
 * Picks allocate nothing: the strategies walk the tier arrays and read counters.
 */
import { GatewayError } from '../errors.js';
import { CounterKind, UNLIMITED } from '../native/index.js';
import type { DeploymentRuntime } from '../pipeline/runtime.js';
import { pricesAt } from '../spend/pricing.js';
import { Strategy, type RouterPolicy } from './policy.js';
import { routerCounters } from './state.js';

/** Why a deployment was passed over during a pick (DeploymentGroup.skip). */
const SKIP_COOLING = 1;
const SKIP_OVER_LIMIT = 2;

const ONE_ID = new Int32Array(1);
const ONE_AMOUNT = new Float64Array(1);

export class DeploymentGroup {
  /** The group's model_name (for a wildcard group, its pattern). */
  readonly name: string;
  readonly deployments: readonly DeploymentRuntime[];
  readonly size: number;
  readonly strategy: Strategy;
  readonly policy: RouterPolicy;
  /** Cooldowns apply: several deployments, and cooldowns not disabled. */
  readonly breaker: boolean;
  /** Attempts are counted in flight (least-busy), timed (latency-based), counted per minute (usage- and cost-based). */
  readonly tracksInflight: boolean;
  readonly tracksLatency: boolean;
  readonly tracksUsage: boolean;
  private readonly latencyBuffer: number;
  private readonly tiers: readonly (readonly DeploymentRuntime[])[];
  /** simple-shuffle weight by deployment index: `weight` when any sets one, else rpm, else tpm, else 1. */
  private readonly weights: Float64Array;
  /** Deployments skipped during the current pick (unavailable); cleared before the pick returns. */
  private readonly skip: Uint8Array;
  private skipped = false;
  /** cost-based: each deployment's price per input + output token, unless prices change with time. */
  private readonly prices: Float64Array;
  private readonly pricesVary: boolean;
  /** Process-wide round-robin sequence; -1 unless round-robin. */
  private readonly sequenceId: number;

  constructor(name: string, deployments: readonly DeploymentRuntime[], policy: RouterPolicy) {
    this.name = name;
    this.deployments = deployments;
    this.size = deployments.length;
    this.policy = policy;
    this.strategy = policy.strategyFor(name);
    this.latencyBuffer = policy.latencyBufferFor(name);
    const several = deployments.length > 1;
    this.breaker = several && policy.cooldowns;
    this.tracksInflight = several && this.strategy === Strategy.LeastBusy;
    this.tracksLatency = several && this.strategy === Strategy.LatencyBased;
    const limited = deployments.some((d) => d.spec.rpm !== null || d.spec.tpm !== null);
    this.tracksUsage = several && (this.strategy === Strategy.UsageBased || (this.strategy === Strategy.CostBased && limited));
    deployments.forEach((d, index) => d.joinGroup(this, index));

    const orders = [...new Set(deployments.map((d) => d.spec.order ?? Number.POSITIVE_INFINITY))].sort((a, b) => a - b);
    this.tiers = orders.map((order) => deployments.filter((d) => (d.spec.order ?? Number.POSITIVE_INFINITY) === order));
    this.weights = shuffleWeights(deployments);
    this.skip = new Uint8Array(deployments.length);
    const now = Date.now();
    this.prices = Float64Array.from(deployments, (d) => priceOf(d, now));
    this.pricesVary = deployments.some((d) => d.pricing.variants.length > 1 || d.pricing.source === 'wildcard');
    if (this.strategy === Strategy.RoundRobin && several) {
      const s = routerCounters();
      this.sequenceId = s.intern(`router:group:${name}:sequence`);
      s.configure(this.sequenceId, { kind: CounterKind.Accumulator, limit: UNLIMITED });
    } else {
      this.sequenceId = -1;
    }
  }

  /**
   * The deployment for the next attempt, or null when none may be tried.
   * - `stream`: whether the request streams (latency-based ranks streams by time to first byte).
   * - `fit`: prompt tokens + max_tokens to check against max_input_tokens; -1: no check.
   * - `tried`: deployments this request already tried in this group (by index), or null.
   * - `fallthrough`: when all are cooling down, take the least recently failed one.
   */
  pick(stream: boolean, fit: number, tried: Uint8Array | null, fallthrough: boolean, random: () => number): DeploymentRuntime | null {
    if (this.size === 1) {
      const only = this.deployments[0];
      return (tried === null || tried[0] === 0) && fits(only, fit) ? only : null;
    }
    const now = Date.now();
    let cooling = false;
    for (let t = 0; t < this.tiers.length; t++) {
      const tier = this.tiers[t];
      for (;;) {
        const d = this.choose(tier, stream, fit, tried, now, random);
        if (d === null) break;
        if (!this.breaker || d.state.available(now)) {
          this.clearSkips();
          return d;
        }
        this.skip[d.index] = SKIP_COOLING;
        this.skipped = true;
        cooling = true;
      }
    }
    const last = fallthrough && cooling ? this.leastRecentlyFailed(now) : null;
    this.clearSkips();
    return last;
  }

  private clearSkips(): void {
    if (this.skipped) {
      this.skip.fill(0);
      this.skipped = false;
    }
  }

  /** Whether `d` may be used by this request: not tried, not skipped in this pick, large enough. */
  private eligible(d: DeploymentRuntime, fit: number, tried: Uint8Array | null): boolean {
    return (tried === null || tried[d.index] === 0) && this.skip[d.index] === 0 && fits(d, fit);
  }

  private choose(tier: readonly DeploymentRuntime[], stream: boolean, fit: number, tried: Uint8Array | null, now: number, random: () => number): DeploymentRuntime | null {
    switch (this.strategy) {
      case Strategy.RoundRobin:
        return this.roundRobin(tier, fit, tried, now);
      case Strategy.LeastBusy:
        return this.leastBusy(tier, fit, tried, now, random);
      case Strategy.LatencyBased:
        return this.lowestLatency(tier, stream, fit, tried, now, random);
      case Strategy.CostBased:
        return this.cheapest(tier, fit, tried, now, random);
      case Strategy.UsageBased:
        return this.mostHeadroom(tier, fit, tried, now, random);
      default:
        return this.shuffle(tier, fit, tried, random);
    }
  }

  /** simple-shuffle: random, weighted. */
  private shuffle(tier: readonly DeploymentRuntime[], fit: number, tried: Uint8Array | null, random: () => number): DeploymentRuntime | null {
    const weights = this.weights;
    let total = 0;
    let last: DeploymentRuntime | null = null;
    for (let i = 0; i < tier.length; i++) {
      const d = tier[i];
      if (!this.eligible(d, fit, tried)) continue;
      total += weights[d.index];
      last = d;
    }
    if (last === null || total <= 0) return last;
    let point = random() * total;
    for (let i = 0; i < tier.length; i++) {
      const d = tier[i];
      if (!this.eligible(d, fit, tried)) continue;
      point -= weights[d.index];
      if (point < 0) return d;
    }
    return last;
  }

  /** round-robin over the tier, one process-wide sequence per group. */
  private roundRobin(tier: readonly DeploymentRuntime[], fit: number, tried: Uint8Array | null, now: number): DeploymentRuntime | null {
    const s = routerCounters();
    ONE_ID[0] = this.sequenceId;
    ONE_AMOUNT[0] = 1;
    const handle = s.reserve(ONE_ID, ONE_AMOUNT, now);
    if (handle >= 0) s.settle(handle);
    const start = s.current(this.sequenceId, now) || 0;
    const n = tier.length;
    for (let k = 0; k < n; k++) {
      const d = tier[(start + k) % n];
      if (this.eligible(d, fit, tried)) return d;
    }
    return null;
  }

  /** least-busy: fewest requests in flight (ties: the first after a random start). */
  private leastBusy(tier: readonly DeploymentRuntime[], fit: number, tried: Uint8Array | null, now: number, random: () => number): DeploymentRuntime | null {
    const n = tier.length;
    const start = Math.floor(random() * n);
    let best: DeploymentRuntime | null = null;
    let bestLoad = Number.POSITIVE_INFINITY;
    for (let k = 0; k < n; k++) {
      const d = tier[(start + k) % n];
      if (!this.eligible(d, fit, tried)) continue;
      const load = d.state.inflight(now);
      if (load < bestLoad) {
        best = d;
        bestLoad = load;
      }
    }
    return best;
  }

  /**
   * latency-based: a deployment with no sample yet first (each gets measured), else the lowest
   * moving average: time per completion token for plain calls (time to first byte until a plain
   * call has been seen), time to first byte for streams. With lowest_latency_buffer b, a random
   * one of those within (1 + b) × the lowest.
   */
  private lowestLatency(tier: readonly DeploymentRuntime[], stream: boolean, fit: number, tried: Uint8Array | null, now: number, random: () => number): DeploymentRuntime | null {
    const n = tier.length;
    const start = Math.floor(random() * n);
    let best: DeploymentRuntime | null = null;
    let bestScore = Number.POSITIVE_INFINITY;
    for (let k = 0; k < n; k++) {
      const d = tier[(start + k) % n];
      if (!this.eligible(d, fit, tried)) continue;
      const score = latencyScore(d, stream, now);
      if (score === 0) return d;
      if (score < bestScore) {
        best = d;
        bestScore = score;
      }
    }
    if (best === null || this.latencyBuffer <= 0) return best;
    const ceiling = bestScore * (1 + this.latencyBuffer);
    let within = 0;
    for (let k = 0; k < n; k++) {
      const d = tier[k];
      if (this.eligible(d, fit, tried) && latencyScore(d, stream, now) <= ceiling) within++;
    }
    let chosen = Math.floor(random() * within);
    for (let k = 0; k < n; k++) {
      const d = tier[k];
      if (this.eligible(d, fit, tried) && latencyScore(d, stream, now) <= ceiling && chosen-- === 0) return d;
    }
    return best;
  }

  /**
   * cost-based: the lowest input + output token price, among those under their rpm/tpm this
   * minute (only the cheapest candidates' usage is read, until one has room).
   */
  private cheapest(tier: readonly DeploymentRuntime[], fit: number, tried: Uint8Array | null, now: number, random: () => number): DeploymentRuntime | null {
    const n = tier.length;
    for (;;) {
      const start = Math.floor(random() * n);
      let best: DeploymentRuntime | null = null;
      let bestCost = Number.POSITIVE_INFINITY;
      for (let k = 0; k < n; k++) {
        const d = tier[(start + k) % n];
        if (!this.eligible(d, fit, tried)) continue;
        const cost = this.pricesVary ? priceOf(d, now) : this.prices[d.index];
        if (best === null || cost < bestCost) {
          best = d;
          bestCost = cost;
        }
      }
      if (best === null || !this.tracksUsage || headroom(best, fit, now) >= 0) return best;
      this.skip[best.index] = SKIP_OVER_LIMIT;
      this.skipped = true;
    }
  }

  /** usage-based: the most rpm/tpm headroom left this minute; those that would pass a limit are left out. */
  private mostHeadroom(tier: readonly DeploymentRuntime[], fit: number, tried: Uint8Array | null, now: number, random: () => number): DeploymentRuntime | null {
    const n = tier.length;
    const start = Math.floor(random() * n);
    let best: DeploymentRuntime | null = null;
    let bestRoom = -1;
    let bestUsed = -1;
    for (let k = 0; k < n; k++) {
      const d = tier[(start + k) % n];
      if (!this.eligible(d, fit, tried)) continue;
      const room = headroom(d, fit, now);
      if (room < 0 || room < bestRoom) continue;
      if (room > bestRoom) {
        best = d;
        bestRoom = room;
        bestUsed = -1;
        continue;
      }
      // Equal room (e.g. no limits set): fewer tokens this minute wins; read only on a tie.
      if (bestUsed < 0) bestUsed = best!.state.tokensThisMinute(now);
      const used = d.state.tokensThisMinute(now);
      if (used < bestUsed) {
        best = d;
        bestUsed = used;
      }
    }
    return best;
  }

  /** Seconds until the first cooldown of the group ends (at least 1): the refusal's retry-after. */
  retryAfterS(now: number = Date.now()): number {
    let soonest = Number.POSITIVE_INFINITY;
    for (const d of this.deployments) {
      const left = d.state.coolingForMs(now);
      if (left > 0 && left < soonest) soonest = left;
    }
    return Number.isFinite(soonest) ? Math.max(1, Math.ceil(soonest / 1000)) : 60;
  }

  /** The 429 for a request this group can take nowhere now (LiteLLM's wording). */
  noDeploymentsError(model: string, retryAfterS: number): GatewayError {
    const now = Date.now();
    const cooling = this.deployments.filter((d) => d.state.coolingForMs(now) > 0).map((d) => d.spec.id);
    return new GatewayError(
      'no_deployments',
      `No deployments available for selected model, Try again in ${retryAfterS} seconds. Passed model=${model}. ` +
        `model_group=${this.name}, cooldown_list=${JSON.stringify(cooling)}`,
    );
  }

  /** Of the deployments this pick found cooling down, the one whose last failure is oldest. */
  private leastRecentlyFailed(now: number): DeploymentRuntime | null {
    let best: DeploymentRuntime | null = null;
    let oldest = Number.POSITIVE_INFINITY;
    for (const d of this.deployments) {
      if (this.skip[d.index] !== SKIP_COOLING) continue;
      const at = d.state.failedAt(now);
      if (at < oldest) {
        best = d;
        oldest = at;
      }
    }
    return best;
  }
}

/** Whether a prompt of `fit` tokens (prompt + max_tokens; -1: unknown) fits the deployment's max_input_tokens. */
export function fits(d: DeploymentRuntime, fit: number): boolean {
  return fit < 0 || d.maxInputTokens < 0 || fit <= d.maxInputTokens;
}

/** 0 when the deployment has no sample of the kind the request is ranked by. */
function latencyScore(d: DeploymentRuntime, stream: boolean, now: number): number {
  if (stream) return d.state.ttfbUs(now);
  const perToken = d.state.tokenNs(now);
  return perToken > 0 ? perToken : d.state.ttfbUs(now) * 1000;
}

/**
 * The share of its rpm and tpm a deployment has left this minute (the smaller of the two; 1 when
 * it sets neither), or -1 when this request would pass one of them.
 */
function headroom(d: DeploymentRuntime, fit: number, now: number): number {
  const { rpm, tpm } = d.spec;
  let room = 1;
  if (rpm !== null) {
    const used = d.state.requestsThisMinute(now);
    if (used + 1 > rpm) return -1;
    room = Math.min(room, (rpm - used) / Math.max(rpm, 1));
  }
  if (tpm !== null) {
    const used = d.state.tokensThisMinute(now);
    if (used + Math.max(fit, 0) > tpm) return -1;
    room = Math.min(room, (tpm - used) / Math.max(tpm, 1));
  }
  return room;
}

/** Input + output price per token (micro-dollars) of the base tier; unpriced deployments rank last. */
function priceOf(d: DeploymentRuntime, now: number): number {
  const prices = pricesAt(d.pricing, now);
  if (prices === null) return Number.POSITIVE_INFINITY;
  const base = prices.tiers[0];
  return base.inputMicros + base.outputMicros;
}

function shuffleWeights(deployments: readonly DeploymentRuntime[]): Float64Array {
  const weights = new Float64Array(deployments.length);
  const weighted = deployments.some((d) => d.spec.litellmParams.weight !== undefined);
  const byRpm = !weighted && deployments.every((d) => d.spec.rpm !== null);
  const byTpm = !weighted && !byRpm && deployments.every((d) => d.spec.tpm !== null);
  deployments.forEach((d, i) => {
    weights[i] = weighted ? d.spec.weight : byRpm ? d.spec.rpm! : byTpm ? d.spec.tpm! : 1;
  });
  return weights;
}
