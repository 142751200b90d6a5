/**
 * What one event-loop thread derives from a GatewayConfig before serving with it: deployment
 * groups (with their routing strategy and the router's policy, src/router/), precomputed upstream
 * headers, connection pools and response bodies that never change.
 *
 * Each deployment's router state (cooldown, in flight, latency, usage, health) is not held here
 * but in the process-wide counter store, named by deployment id: every thread and every runtime
 * generation reads the same state (src/router/state.ts).
 *
 * A Runtime is immutable once built. Hot reload builds a new one and swaps a single reference;
 * requests already running keep the Runtime they started with. Connection pools are shared between
 * generations by origin, so a reload does not drop keep-alive connections, and a pool whose origin
 * disappears is closed once its in-flight requests finish.
 */
import { hash } from 'node:crypto';
import { OriginPool } from '../upstream/origin-pool.js';
import type { GatewayConfig, ModelDeployment } from '../config/types.js';
import { DeploymentGroup } from '../router/group.js';
import { HealthChecks } from '../router/health.js';
import { setRouterView } from '../router/metrics.js';
import { RouterPolicy } from '../router/policy.js';
import { DeploymentState } from '../router/state.js';
import { deploymentPricing, type DeploymentPricing } from '../spend/pricing.js';
import { lookupAdapter } from '../providers/registry.js';
import type { ProviderAdapter } from '../providers/types.js';

export class DeploymentRuntime {
  readonly spec: ModelDeployment;
  readonly pool: OriginPool;
  /** Request path prefix from api_base (e.g. `/v1`), joined with the route's upstream path. */
  readonly pathPrefix: string;
  /** Header lines sent upstream after Host (each ending in CRLF), rendered once per config. */
  readonly headerBlock: string;
  /** The upstream model name as JSON string contents (escaped, no quotes); null for wildcards. */
  readonly upstreamModelJson: Buffer | null;
  /** For a wildcard deployment: the part of the public name before and after its `*`. */
  readonly wildcardPrefix: string;
  readonly wildcardSuffix: string;
  /** Token prices: model_info overrides, else genai-prices (docs/cost.md). */
  readonly pricing: DeploymentPricing;
  /** Cooldown, load and latency state, shared by every thread (src/router/state.ts). */
  readonly state: DeploymentState;
  /**
   * model_info.max_input_tokens, else the model's context window from the pricing data, for the
   * pre-call context-window check (router_settings.enable_pre_call_checks); -1 when unknown.
   */
  readonly maxInputTokens: number;
  /** The provider's adapter (src/providers/registry.ts); null for an OpenAI-compatible provider. */
  readonly adapter: ProviderAdapter | null;
  /** The wire format the upstream speaks: clients of the same format are passed through. */
  readonly wire: 'openai' | 'anthropic' | 'other';
  /** drop_params (the deployment's, else litellm_settings'): parameters the provider cannot take are left out. */
  readonly dropParams: boolean;
  /** The group this deployment serves in, and its index there (set once, when the group is built). */
  group: DeploymentGroup;
  index: number;

  constructor(spec: ModelDeployment, pool: OriginPool, dropParams = false) {
    this.spec = spec;
    this.pool = pool;
    this.adapter = lookupAdapter(spec.provider) ?? null;
    this.wire = this.adapter?.wire ?? 'openai';
    const ownDrop = spec.litellmParams.drop_params;
    this.dropParams = typeof ownDrop === 'boolean' ? ownDrop : dropParams;
    const base = new URL(spec.apiBase);
    this.pathPrefix = base.pathname.replace(/\/+$/, '');
    this.headerBlock = renderHeaderBlock(spec);
    this.upstreamModelJson = spec.upstreamModel.includes('*') ? null : jsonStringContents(spec.upstreamModel);
    const star = spec.modelName.indexOf('*');
    this.wildcardPrefix = star < 0 ? '' : spec.modelName.slice(0, star);
    this.wildcardSuffix = star < 0 ? '' : spec.modelName.slice(star + 1);
    this.pricing = deploymentPricing(spec);
    this.state = new DeploymentState(spec.id);
    const maxInput = spec.modelInfo.max_input_tokens;
    this.maxInputTokens = typeof maxInput === 'number' && Number.isFinite(maxInput) && maxInput >= 0 ? maxInput : (this.pricing.contextWindow ?? -1);
    this.group = null as unknown as DeploymentGroup;
    this.index = -1;
  }

  /** Called by the DeploymentGroup constructor. */
  joinGroup(group: DeploymentGroup, index: number): void {
    this.group = group;
    this.index = index;
  }

  /** The upstream model for a public name this deployment matched (fills the `*` of a wildcard). */
  upstreamModelFor(publicName: string): string {
    if (this.upstreamModelJson !== null) return this.spec.upstreamModel;
    const matched = publicName.slice(this.wildcardPrefix.length, publicName.length - this.wildcardSuffix.length);
    return this.spec.upstreamModel.replace('*', matched);
  }
}

interface WildcardGroup {
  readonly prefix: string;
  readonly suffix: string;
  readonly group: DeploymentGroup;
}

export class Runtime {
  readonly config: GatewayConfig;
  /** The master key, or null when none is set (then every request is let in). */
  readonly masterKey: string | null;
  readonly maxBodyBytes: number;
  /** Header names (lower case) a client key may arrive in, in order of precedence. */
  readonly keyHeaders: readonly string[];
  /** Pre-rendered body of GET /v1/models. */
  readonly modelsBody: string;
  /** Public model names, in config order (what /v1/models lists). */
  readonly modelNames: readonly string[];
  /** Retries, fallbacks, cooldowns and strategies of this config generation. */
  readonly router: RouterPolicy;
  /** Every deployment group once (aliases not repeated), exact groups then wildcards. */
  readonly deploymentGroups: readonly DeploymentGroup[];
  /** Health checks of every deployment: background ones when configured, and GET /health. */
  readonly health: HealthChecks;
  private readonly groups: Map<string, DeploymentGroup>;
  private readonly wildcards: readonly WildcardGroup[];
  readonly pools: ReadonlyMap<string, OriginPool>;

  constructor(config: GatewayConfig, previousPools: ReadonlyMap<string, OriginPool> = new Map()) {
    this.config = config;
    this.masterKey = config.generalSettings.masterKey;
    this.maxBodyBytes = Math.floor(config.generalSettings.maxRequestSizeMb * 1024 * 1024);
    this.keyHeaders = keyHeaderNames(config.generalSettings.litellmKeyHeaderName);

    const pools = new Map<string, OriginPool>();
    const groups = new Map<string, DeploymentRuntime[]>();
    const wildcardGroups = new Map<string, DeploymentRuntime[]>();
    for (const spec of config.modelList) {
      const origin = new URL(spec.apiBase).origin;
      let pool = pools.get(origin) ?? previousPools.get(origin);
      if (pool === undefined) pool = createPool(origin);
      pools.set(origin, pool);
      const deployment = new DeploymentRuntime(spec, pool, config.litellmSettings.dropParams);
      const target = spec.modelName.includes('*') ? wildcardGroups : groups;
      const list = target.get(spec.modelName);
      if (list === undefined) target.set(spec.modelName, [deployment]);
      else list.push(deployment);
    }
    this.router = new RouterPolicy(config);
    const exactGroups = new Map<string, DeploymentGroup>();
    for (const [name, deployments] of groups) exactGroups.set(name, new DeploymentGroup(name, deployments, this.router));
    const all = [...exactGroups.values()];
    for (const [alias, groupName] of Object.entries(config.routerSettings.modelGroupAlias)) {
      const group = exactGroups.get(groupName);
      if (group !== undefined && !exactGroups.has(alias)) exactGroups.set(alias, group);
    }
    this.groups = exactGroups;
    // Longest prefix first, so `openai/gpt-4*` wins over `openai/*` and both over `*`.
    this.wildcards = [...wildcardGroups.entries()]
      .map(([name, deployments]) => ({
        prefix: deployments[0].wildcardPrefix,
        suffix: deployments[0].wildcardSuffix,
        group: new DeploymentGroup(name, deployments, this.router),
      }))
      .sort((a, b) => b.prefix.length + b.suffix.length - (a.prefix.length + a.suffix.length));
    for (const wildcard of this.wildcards) all.push(wildcard.group);
    this.deploymentGroups = all;
    this.pools = pools;
    this.modelNames = [...exactGroups.keys()];
    this.modelsBody = renderModelList(this.modelNames);
    this.health = new HealthChecks(this);
    if (this.router.backgroundHealthChecks) this.health.startBackground(this.router.healthCheckIntervalMs);
    setRouterView(this);
  }

  /** The deployment group serving a public model name (exact name, alias, then wildcard); null when none does. */
  groupFor(model: string): DeploymentGroup | null {
    const exact = this.groups.get(model);
    if (exact !== undefined) return exact;
    for (const wildcard of this.wildcards) {
      if (
        model.length >= wildcard.prefix.length + wildcard.suffix.length &&
        model.startsWith(wildcard.prefix) &&
        model.endsWith(wildcard.suffix)
      ) {
        return wildcard.group;
      }
    }
    return null;
  }

  /** The deployments serving a public model name; empty when none does. */
  deploymentsFor(model: string): readonly DeploymentRuntime[] {
    const group = this.groupFor(model);
    return group === null ? NONE : group.deployments;
  }

  /**
   * Closes the pools of `previous` that this runtime no longer uses, once their requests end, and
   * stops its background health checks.
   */
  releasePoolsOf(previous: Runtime): void {
    previous.health.stop();
    for (const [origin, pool] of previous.pools) {
      if (this.pools.get(origin) !== pool) void pool.close();
    }
  }

  /** Stops the health checks and closes every pool; in-flight requests finish first. */
  async close(): Promise<void> {
    this.health.stop();
    await Promise.all([...this.pools.values()].map((pool) => pool.close()));
  }
}

const NONE: readonly DeploymentRuntime[] = [];

function createPool(origin: string): OriginPool {
  // Per thread; enough for many concurrent streams to one provider without queueing.
  return new OriginPool(origin, { maxConnections: 256, keepAliveMs: 30_000, connectTimeoutMs: 10_000 });
}

/**
 * The deployment's upstream headers as HTTP/1.1 lines. Values come from config; a CR or LF in one
 * would let it inject headers, so such a value is refused here.
 */
function renderHeaderBlock(spec: ModelDeployment): string {
  const headers: [string, string][] = [['content-type', 'application/json']];
  if (spec.apiKey !== null && spec.apiKey !== '') headers.push([spec.authHeader, spec.authScheme + spec.apiKey]);
  if (spec.organization !== null) headers.push(['openai-organization', spec.organization]);
  for (const [name, value] of Object.entries(spec.extraHeaders)) headers.push([name, value]);
  let block = '';
  for (const [name, value] of headers) {
    if (/[\r\n]/.test(value) || !/^[!#$%&'*+.^_`|~0-9a-z-]+$/i.test(name)) {
      throw new Error(`deployment ${spec.id}: header '${name}' has a name or value that cannot be sent (CR, LF or invalid characters)`);
    }
    block += `${name}: ${value}\r\n`;
  }
  return block;
}

/** Header names a client key is read from, LiteLLM's set plus the configured custom one. */
function keyHeaderNames(custom: string | null): string[] {
  const names = ['authorization', 'x-api-key', 'api-key', 'x-goog-api-key', 'ocp-apim-subscription-key', 'x-litellm-api-key'];
  if (custom !== null && custom !== '') names.unshift(custom.toLowerCase());
  return names;
}

export function renderModelList(names: readonly string[]): string {
  const created = 1_700_000_000;
  const data = names.map((id) => ({ id, object: 'model', created, owned_by: 'ailb' }));
  return JSON.stringify({ object: 'list', data });
}

export function jsonStringContents(value: string): Buffer {
  const quoted = JSON.stringify(value);
  return Buffer.from(quoted.slice(1, -1), 'utf8');
}

/** SHA-256 of a string's UTF-8 bytes. One-shot `crypto.hash` (no Hash object): half the cost of createHash per request. */
export function sha256(value: string): Buffer {
  return hash('sha256', value, 'buffer');
}
