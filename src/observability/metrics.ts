/**
 * Every metric the gateway exports, declared in one list (docs/metrics.md mirrors it; a test
 * checks the two agree).
 *
 * Each event-loop thread owns a private prom-client Registry with these metrics; the main thread
 * gathers every thread's `getMetricsAsJSON()` and merges them with prom-client's
 * AggregatorRegistry, so /metrics on any thread reports the whole process.
 */
import client from 'prom-client';

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
] as const;

export type MetricName = (typeof METRIC_DEFINITIONS)[number]['name'];

/** The metrics of one event-loop thread, with hot-path children cached per label set. */
export class ThreadMetrics {
  readonly registry = new client.Registry();
  private readonly requests: client.Counter<string>;
  private readonly duration: client.Histogram<string>;
  private readonly overhead: client.Histogram<string>;
  private readonly upstreamErrors: client.Counter<string>;
  private readonly clientAborts: client.Counter<string>;
  private readonly inflight: client.Gauge<string>;
  private readonly tokens: client.Counter<string>;
  readonly configReloads: client.Counter<string>;
  private readonly requestChildren = new Map<string, client.Counter.Internal>();
  private readonly durationChildren = new Map<string, client.Histogram.Internal<string>>();
  private readonly overheadChildren = new Map<string, client.Histogram.Internal<string>>();

  constructor() {
    const registers = [this.registry];
    const def = (name: MetricName) => {
      const d = METRIC_DEFINITIONS.find((m) => m.name === name)!;
      return { name: d.name, help: d.help, labelNames: [...d.labels] as string[], registers };
    };
    this.requests = new client.Counter(def('ailb_requests_total'));
    this.duration = new client.Histogram({ ...def('ailb_request_duration_seconds'), buckets: LATENCY_BUCKETS });
    this.overhead = new client.Histogram({ ...def('ailb_gateway_overhead_seconds'), buckets: OVERHEAD_BUCKETS });
    this.upstreamErrors = new client.Counter(def('ailb_upstream_errors_total'));
    this.clientAborts = new client.Counter(def('ailb_client_aborts_total'));
    // Summed across threads by the aggregator, which is what a gauge of in-flight work wants.
    this.inflight = new client.Gauge({ ...def('ailb_inflight_requests'), aggregator: 'sum' });
    this.configReloads = new client.Counter(def('ailb_config_reloads_total'));
    this.tokens = new client.Counter(def('ailb_tokens_total'));
  }

  requestStarted(): void {
    this.inflight.inc();
  }

  /** Records a finished request. `overheadS` is NaN when the request never reached an upstream. */
  requestFinished(route: string, model: string, status: number, durationS: number, overheadS: number): void {
    this.inflight.dec();
    const key = `${route}\u0000${model}\u0000${status}`;
    let counter = this.requestChildren.get(key);
    if (counter === undefined) {
      counter = this.requests.labels(route, model, String(status));
      this.requestChildren.set(key, counter);
    }
    counter.inc();
    let duration = this.durationChildren.get(route);
    if (duration === undefined) {
      duration = this.duration.labels(route);
      this.durationChildren.set(route, duration);
    }
    duration.observe(durationS);
    if (!Number.isNaN(overheadS)) {
      let overhead = this.overheadChildren.get(route);
      if (overhead === undefined) {
        overhead = this.overhead.labels(route);
        this.overheadChildren.set(route, overhead);
      }
      overhead.observe(overheadS);
    }
  }

  /** Adds tokens of one request; zero counts are skipped. */
  tokensUsed(model: string, type: 'prompt' | 'completion', source: 'provider' | 'counted', count: number): void {
    if (count > 0) this.tokens.labels(model, type, source).inc(count);
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
