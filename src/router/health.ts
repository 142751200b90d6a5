/**
 * Deployment health checks: one cheap call per deployment (a chat completion of `ping` with
 * max_tokens 1; an embedding of `ping` for model_info.mode `embedding`; a completion for mode
 * `completion`), sent through the deployment's own connection pool with its own credentials.
 *
 * - Background checks (general_settings.background_health_checks, every health_check_interval
 *   seconds) run in one thread of the process: the thread whose runtime holds the process-wide
 *   `router:health:leader` gauge (limit 1). Every runtime with background checks tries to take it
 *   at each interval, so when the leader's runtime is replaced (a reload) or closed, another one
 *   takes over at its next tick.
 * - Results are kept in each deployment's `health` registers (state.ts), so every thread answers
 *   GET /health and /metrics from the same results.
 * - A check feeds the circuit breaker of a group of several deployments: a failure counts like a
 *   failed request, a success closes a cooled or half-open circuit.
 * - GET /health answers from the background results when background checks are on (deployments
 *   not checked yet are left out); otherwise it checks every deployment now.
 *
 * Wildcard deployments (`openai/*`) have no model to call and are not checked.
 */
import type { ExchangeHandler } from '../upstream/origin-pool.js';
import { UpstreamTimeoutError } from '../upstream/origin-pool.js';
import type { DeploymentRuntime } from '../pipeline/runtime.js';
import type { OpenAIChatRequest, UpstreamRequest, UpstreamTarget } from '../providers/types.js';
import { CounterKind } from '../native/index.js';
import { classifyStatus, ErrorClass } from './classify.js';
import type { DeploymentGroup } from './group.js';
import { countCooldown } from './metrics.js';
import type { RouterPolicy } from './policy.js';
import { HealthCode, Phase, routerCounters } from './state.js';

/** The most a check may take, whatever the deployment's timeout. */
const MAX_CHECK_MS = 60_000;

export interface HealthTarget {
  readonly deploymentGroups: readonly DeploymentGroup[];
  readonly router: RouterPolicy;
}

export class HealthChecks {
  private readonly target: HealthTarget;
  private timer: NodeJS.Timeout | null = null;
  private leaderHandle = -1;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(target: HealthTarget) {
    this.target = target;
  }

  get background(): boolean {
    return this.timer !== null;
  }

  /** Checks every `intervalMs` while this runtime leads (the first tick at once). */
  startBackground(intervalMs: number): void {
    if (this.timer !== null || this.stopped) return;
    this.timer = setInterval(() => this.tick(), intervalMs);
    this.timer.unref();
    setImmediate(() => this.tick());
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
    }
    if (this.leaderHandle >= 0) {
      routerCounters().release(this.leaderHandle);
      this.leaderHandle = -1;
    }
  }

  private tick(): void {
    if (this.stopped || this.running !== null) return;
    if (this.leaderHandle < 0) this.leaderHandle = takeLeadership();
    if (this.leaderHandle < 0) return;
    this.running = this.checkAll().finally(() => {
      this.running = null;
    });
  }

  /** Checks every deployment once, concurrently; results go to the shared registers. */
  async checkAll(): Promise<void> {
    const checks: Promise<void>[] = [];
    for (const group of this.target.deploymentGroups) {
      for (const d of group.deployments) {
        if (d.upstreamModelJson !== null) checks.push(this.checkOne(group, d));
      }
    }
    await Promise.all(checks);
  }

  private async checkOne(group: DeploymentGroup, d: DeploymentRuntime): Promise<void> {
    const code = await checkDeployment(d);
    const now = Date.now();
    d.state.recordHealth(code, now);
    if (!group.breaker) return;
    if (code === HealthCode.Healthy) {
      if (d.state.phase(now) !== Phase.Closed) d.state.close(now);
    } else if (d.state.failed(healthErrorClass(code), -1, this.target.router, now)) {
      countCooldown(group.name, d.spec.id);
    }
  }

  /**
   * GET /health's body: `{healthy_endpoints, unhealthy_endpoints, healthy_count, unhealthy_count}`
   * (LiteLLM's shape). Checks now unless background checks keep the results current.
   */
  async report(): Promise<string> {
    if (!this.background) await this.checkAll();
    const healthy: object[] = [];
    const unhealthy: object[] = [];
    const now = Date.now();
    for (const group of this.target.deploymentGroups) {
      for (const d of group.deployments) {
        if (d.upstreamModelJson === null) continue;
        const code = d.state.health(now);
        if (code === HealthCode.None) continue;
        const endpoint = {
          model: `${d.spec.provider}/${d.spec.upstreamModel}`,
          api_base: d.spec.apiBase,
          model_name: d.spec.modelName,
          model_id: d.spec.id,
          checked_at: new Date(d.state.healthCheckedAt(now)).toISOString(),
        };
        if (code === HealthCode.Healthy) healthy.push(endpoint);
        else unhealthy.push({ ...endpoint, error: healthError(code) });
      }
    }
    return JSON.stringify({ healthy_endpoints: healthy, unhealthy_endpoints: unhealthy, healthy_count: healthy.length, unhealthy_count: unhealthy.length });
  }
}

let leaderId = -1;

/** Takes the process-wide health-check leadership; its handle, or -1 when another runtime holds it. */
function takeLeadership(): number {
  const s = routerCounters();
  if (leaderId < 0) {
    leaderId = s.intern('router:health:leader');
    s.configure(leaderId, { kind: CounterKind.Gauge, limit: 1 });
  }
  const handle = s.reserve(new Int32Array([leaderId]), new Float64Array([1]));
  return handle >= 0 ? handle : -1;
}

function healthErrorClass(code: number): ErrorClass {
  if (code === HealthCode.Timeout) return ErrorClass.Timeout;
  if (code === HealthCode.Unreachable) return ErrorClass.Connection;
  return classifyStatus(code - HealthCode.StatusBase, '', '', '');
}

function healthError(code: number): string {
  if (code === HealthCode.Timeout) return 'Health check timed out';
  if (code === HealthCode.Unreachable) return 'Health check could not reach the deployment';
  return `Health check failed: the deployment answered with status ${code - HealthCode.StatusBase}`;
}

/** The check call's request for `d`: a one-token chat (or an embedding, or a completion, by model_info.mode). */
function checkRequest(d: DeploymentRuntime): UpstreamRequest | Promise<UpstreamRequest> {
  const mode = d.spec.modelInfo.mode;
  const model = d.spec.upstreamModel;
  const adapter = d.adapter;
  const target: UpstreamTarget = { deployment: d.spec, upstreamModel: model, stream: false, dropParams: true };
  const chat: OpenAIChatRequest = { model, messages: [{ role: 'user', content: 'ping' }], max_tokens: 1 };
  if (adapter !== null && adapter.wire !== 'openai') {
    // A provider of another wire format: its adapter makes the call (Anthropic's too, so the
    // check does not depend on the Anthropic front door).
    if (mode === 'embedding' && adapter.embeddings !== null) return adapter.embeddings.request({ model, input: 'ping' }, target);
    if (adapter.chat !== null) return adapter.chat.request(chat, target);
  }
  let path: string;
  let body: object;
  if (mode === 'embedding') {
    path = '/embeddings';
    body = { model, input: 'ping' };
  } else if (mode === 'completion') {
    path = '/completions';
    body = { model, prompt: 'ping', max_tokens: 1 };
  } else {
    path = '/chat/completions';
    body = chat;
  }
  const bytes = Buffer.from(JSON.stringify(body));
  if (adapter !== null && adapter.passthrough !== undefined) {
    const where = adapter.passthrough(path, target);
    return where instanceof Promise ? where.then((w) => ({ ...w, body: bytes })) : { ...where, body: bytes };
  }
  return { path: d.pathPrefix + path, headerBlock: d.headerBlock, body: bytes };
}

/** Sends one check call to `d`; resolves with its HealthCode (never rejects). */
export function checkDeployment(d: DeploymentRuntime): Promise<number> {
  let prepared: UpstreamRequest | Promise<UpstreamRequest>;
  try {
    prepared = checkRequest(d);
  } catch {
    return Promise.resolve(HealthCode.Unreachable);
  }
  if (prepared instanceof Promise) return prepared.then((request) => sendCheck(d, request), () => HealthCode.Unreachable);
  return sendCheck(d, prepared);
}

function sendCheck(d: DeploymentRuntime, request: UpstreamRequest): Promise<number> {
  const timeoutMs = Math.min(d.spec.timeoutMs, MAX_CHECK_MS);
  return new Promise((resolve) => {
    let status = 0;
    let timer: NodeJS.Timeout | null = null;
    const done = (code: number) => {
      if (timer !== null) clearTimeout(timer);
      timer = null;
      resolve(code);
    };
    const handler: ExchangeHandler = {
      onHead(code) {
        status = code;
      },
      onBody() {
        return true;
      },
      onComplete() {
        done(status >= 200 && status < 300 ? HealthCode.Healthy : HealthCode.StatusBase + status);
      },
      onError(error) {
        done(error instanceof UpstreamTimeoutError ? HealthCode.Timeout : HealthCode.Unreachable);
      },
    };
    const exchange = d.pool.request(
      { path: request.path, headerBlock: request.headerBlock, body: request.body, idleTimeoutMs: timeoutMs },
      handler,
    );
    timer = setTimeout(() => {
      timer = null;
      exchange.abort();
      resolve(HealthCode.Timeout);
    }, timeoutMs);
  });
}
