/**
 * Every metric the gateway exports, declared in one list (docs/metrics.md mirrors it; a test
 * checks the two agree).
 *
 * Each event-loop thread owns a private prom-client Registry with these metrics; the main thread
 * gathers every thread's `getMetricsAsJSON()` and merges them with prom-client's
 * AggregatorRegistry, so /metrics on any thread reports the whole process. The spend-log
 * counters live on the main thread (src/spend/spend-metrics.ts) and are merged the same way.
 */
import client from 'prom-client';
import { LocalCounter, LocalHistogram } from './local-metrics.js';
import { bindRouterMetrics, collectDeploymentState, collectHealth, collectInflight, collectLatency } from '../router/metrics.js';

/** Buckets in seconds for whole-request latency: 1 ms to 5 min (LLM calls are slow). */
const LATENCY_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
/** Buckets in seconds for the gateway's own time: 10 µs to 100 ms. */
const OVERHEAD_BUCKETS = [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1];

export const METRIC_DEFINITIONS = [
  { name: 'ailb_requests_total', kind: 'counter', labels: ['route', 'model', 'status'], help: 'Requests answered, by route, public model name and HTTP status.' },
  { name: 'ailb_request_duration_seconds', kind: 'histogram', labels: ['route'], help: 'Time from request start to the last byte written to the client.' },
  { name: 'ailb_gateway_overhead_seconds', kind: 'histogram', labels: ['route'], help: 'Time spent in the gateway before the response headers were written, upstream time excluded.' },
  { name: 'ailb_upstream_errors_total', kind: 'counter', labels: ['model', 'deployment', 'kind'], help: 'Failed upstream calls by deployment and kind (status_4xx, status_5xx, unreachable, timeout, stream_broken).' },
  { name: 'ailb_client_aborts_total', kind: 'counter', labels: ['route'], help: 'Requests the client abandoned before the response ended.' },
  { name: 'ailb_inflight_requests', kind: 'gauge', labels: [], help: 'Requests currently being served.' },
  { name: 'ailb_tokens_total', kind: 'counter', labels: ['model', 'type', 'source'], help: 'Tokens of answered requests: type prompt or completion; source provider (the upstream reported usage) or counted (the gateway counted them: prompts, and streams without usage).' },
  { name: 'ailb_config_reloads_total', kind: 'counter', labels: ['result'], help: 'Config reloads, by result (ok, invalid).' },
  { name: 'ailb_spend_log_rows_total', kind: 'counter', labels: ['outcome'], help: 'Spend-log rows on the main thread, by outcome: queued (received from the threads), written (stored), duplicate (already stored, skipped), spilled (moved to a spill file), rejected (refused by the database as data).' },
  { name: 'ailb_deployment_state', kind: 'gauge', labels: ['model', 'deployment'], help: 'Circuit state of each deployment: 0 healthy (closed), 1 half-open (one probe request let through), 2 cooling down (no traffic).' },
  { name: 'ailb_deployment_failures_total', kind: 'counter', labels: ['model', 'deployment', 'class'], help: 'Failed upstream attempts by deployment and LiteLLM error class, retried ones included.' },
  { name: 'ailb_deployment_cooldowns_total', kind: 'counter', labels: ['model', 'deployment'], help: 'Times a deployment was put in cooldown.' },
  { name: 'ailb_deployment_inflight_requests', kind: 'gauge', labels: ['model', 'deployment'], help: 'Requests in flight per deployment, for least-busy groups.' },
  { name: 'ailb_deployment_latency_seconds', kind: 'gauge', labels: ['model', 'deployment', 'kind'], help: 'Moving average latency per deployment for latency-based groups: kind ttfb (time to first byte) or per_token (time per completion token).' },
  { name: 'ailb_deployment_health', kind: 'gauge', labels: ['model', 'deployment'], help: 'Result of the last health check: 1 healthy, 0 unhealthy.' },
  { name: 'ailb_redis_counter_failures_total', kind: 'counter', labels: ['operation'], help: 'Calls to the shared counters in Redis that failed or were skipped because Redis was unavailable, by operation: reserve (the request was admitted on the local counters, or refused with 503 when redis_failure_mode is closed), settle, release.' },
  { name: 'ailb_router_retries_total', kind: 'counter', labels: ['model'], help: 'Upstream attempts made again after a failure, within the same model group.' },
  { name: 'ailb_router_fallbacks_total', kind: 'counter', labels: ['model', 'kind'], help: 'Requests moved to a fallback model group, by list: general, context_window, content_policy.' },
] as const;

export type MetricName = (typeof METRIC_DEFINITIONS)[number]['name'];

/**
 * The metrics of one event-loop thread. The per-request ones (requests, durations, tokens,
 * in-flight) are local cells (local-metrics.ts) exported through the same registry; the rare
 * ones are plain prom-client metrics.
 */
export class ThreadMetrics {
  readonly registry = new client.Registry();
  private readonly requests: LocalCounter;
  private readonly duration: LocalHistogram;
  private readonly overhead: LocalHistogram;
  private readonly upstreamErrors: client.Counter<string>;
  private readonly clientAborts: client.Counter<string>;
  private readonly tokens: LocalCounter;
  readonly configReloads: client.Counter<string>;
  /** Failed or skipped calls to the shared counters in Redis, by operation (reserve, settle, release). */
  readonly redisCounterFailures: client.Counter<string>;
  /** Requests being served now; read into the gauge when the registry is collected. */
  private inflightCount = 0;

  constructor() {
    const registers = [this.registry];
    const def = (name: MetricName) => {
      const d = METRIC_DEFINITIONS.find((m) => m.name === name)!;
      return { name: d.name, help: d.help, labelNames: [...d.labels] as string[], registers };
    };
    this.requests = new LocalCounter(def('ailb_requests_total'), this.registry);
    this.duration = new LocalHistogram({ ...def('ailb_request_duration_seconds'), buckets: LATENCY_BUCKETS }, this.registry);
    this.overhead = new LocalHistogram({ ...def('ailb_gateway_overhead_seconds'), buckets: OVERHEAD_BUCKETS }, this.registry);
    this.upstreamErrors = new client.Counter(def('ailb_upstream_errors_total'));
    this.clientAborts = new client.Counter(def('ailb_client_aborts_total'));
    const metrics = this;
    // Summed across threads by the aggregator, which is what a gauge of in-flight work wants.
    new client.Gauge({
      ...def('ailb_inflight_requests'),
      aggregator: 'sum',
      collect() {
        this.set(metrics.inflightCount);
      },
    });
    this.configReloads = new client.Counter(def('ailb_config_reloads_total'));
    this.redisCounterFailures = new client.Counter(def('ailb_redis_counter_failures_total'));
    this.tokens = new LocalCounter(def('ailb_tokens_total'), this.registry);
    // The router counts its rare events into these (src/router/metrics.ts); the deployment gauges
    // read the process-wide router counters when scraped, the same in every thread: merged with max.
    bindRouterMetrics({
      failures: new client.Counter(def('ailb_deployment_failures_total')),
      cooldowns: new client.Counter(def('ailb_deployment_cooldowns_total')),
      retries: new client.Counter(def('ailb_router_retries_total')),
      fallbacks: new client.Counter(def('ailb_router_fallbacks_total')),
    });
    new client.Gauge({ ...def('ailb_deployment_state'), aggregator: 'max', collect() { collectDeploymentState(this); } });
    new client.Gauge({ ...def('ailb_deployment_inflight_requests'), aggregator: 'max', collect() { collectInflight(this); } });
    new client.Gauge({ ...def('ailb_deployment_latency_seconds'), aggregator: 'max', collect() { collectLatency(this); } });
    new client.Gauge({ ...def('ailb_deployment_health'), aggregator: 'max', collect() { collectHealth(this); } });
  }

  requestStarted(): void {
    this.inflightCount++;
  }

  /** Records a finished request. `overheadS` is NaN when the request never reached an upstream. */
  requestFinished(route: string, model: string, status: number, durationS: number, overheadS: number): void {
    this.inflightCount--;
    this.requests.inc(route, model, status);
    this.duration.observe(durationS, route);
    if (!Number.isNaN(overheadS)) this.overhead.observe(overheadS, route);
  }

  /** Adds tokens of one request; zero counts are skipped. */
  tokensUsed(model: string, type: 'prompt' | 'completion', source: 'provider' | 'counted', count: number): void {
    if (count > 0) this.tokens.inc(model, type, source, count);
  }

  upstreamError(model: string, deployment: string, kind: string): void {
    this.upstreamErrors.labels(model, deployment, kind).inc();
  }

  clientAborted(route: string): void {
    this.clientAborts.labels(route).inc();
  }
}

/** Merges the JSON snapshots of every thread into one Prometheus text exposition. */
export async function aggregateMetrics(snapshots: object[][]): Promise<string> {
  const merged = client.AggregatorRegistry.aggregate(snapshots);
  return merged.metrics();
}

export const PROMETHEUS_CONTENT_TYPE = client.prometheusContentType;
