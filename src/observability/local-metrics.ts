/**
 * Counters and histograms for the request path, exported through prom-client.
 *
 * Why not prom-client's own classes here: every `inc`/`observe` on them, even on a cached child,
 * builds a string from the label object to find the series (`hashObject`), and the histogram
 * searches its buckets linearly. Three such calls per request cost ~4% of a proxied request's CPU
 * and most of its garbage on the benchmark machine. These classes keep one cell per label set,
 * found by nested Maps keyed on the label values themselves (strings hash once and keep their
 * hash), and build prom-client's JSON shape only when /metrics is read.
 *
 * Contract: a metric is registered in a prom-client Registry (`registry.registerMetric`), so
 * `getMetricsAsJSON()`, `metrics()` and AggregatorRegistry.aggregate see it exactly like a
 * prom-client Counter or Histogram with the same name, labels and values.
 */
import type { Registry } from 'prom-client';

type LabelValue = string | number;

interface JsonValue {
  value: number;
  labels: Record<string, LabelValue>;
  metricName?: string;
}

interface MetricJson {
  help: string;
  name: string;
  type: 'counter' | 'histogram';
  values: JsonValue[];
  aggregator: 'sum';
}

/** A series' label values in label-name order; cells find their series through nested Maps. */
class SeriesTree<T> {
  private readonly root = new Map<LabelValue, unknown>();
  readonly series: { labels: LabelValue[]; cell: T }[] = [];
  private readonly depth: number;
  private readonly make: () => T;

  constructor(depth: number, make: () => T) {
    this.depth = depth;
    this.make = make;
  }

  /** The cell of the series with these label values (as many as the metric has labels). */
  find(a: LabelValue, b?: LabelValue, c?: LabelValue): T {
    // No array of the values on this path: it runs for every request.
    if (this.depth === 1) return this.leaf(this.root, a, a, b, c);
    const second = this.branch(this.root, a);
    if (this.depth === 2) return this.leaf(second, b!, a, b, c);
    return this.leaf(this.branch(second, b!), c!, a, b, c);
  }

  private branch(map: Map<LabelValue, unknown>, key: LabelValue): Map<LabelValue, unknown> {
    let next = map.get(key) as Map<LabelValue, unknown> | undefined;
    if (next === undefined) {
      next = new Map();
      map.set(key, next);
    }
    return next;
  }

  private leaf(map: Map<LabelValue, unknown>, key: LabelValue, a: LabelValue, b?: LabelValue, c?: LabelValue): T {
    let cell = map.get(key) as T | undefined;
    if (cell === undefined) {
      cell = this.make();
      map.set(key, cell);
      this.series.push({ labels: [a, b!, c!].slice(0, this.depth), cell });
    }
    return cell;
  }

  clear(): void {
    this.root.clear();
    this.series.length = 0;
  }
}

function labelObject(names: readonly string[], values: readonly LabelValue[]): Record<string, LabelValue> {
  const labels: Record<string, LabelValue> = {};
  for (let i = 0; i < names.length; i++) labels[names[i]] = String(values[i]);
  return labels;
}

interface Definition {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
}

/** A counter cell: add to `value` directly. */
export interface CounterCell {
  value: number;
}

export class LocalCounter {
  readonly name: string;
  readonly help: string;
  readonly type = 'counter';
  readonly aggregator = 'sum';
  private readonly labelNames: readonly string[];
  private readonly tree: SeriesTree<CounterCell>;

  constructor(definition: Definition, registry: Registry) {
    if (definition.labelNames.length < 1 || definition.labelNames.length > 3) throw new Error(`${definition.name}: 1 to 3 labels`);
    this.name = definition.name;
    this.help = definition.help;
    this.labelNames = definition.labelNames;
    this.tree = new SeriesTree(definition.labelNames.length, () => ({ value: 0 }));
    registry.registerMetric(this as never);
  }

  /** The cell for these label values; callers on a hot path may keep it. */
  cell(a: LabelValue, b?: LabelValue, c?: LabelValue): CounterCell {
    return this.tree.find(a, b, c);
  }

  inc(a: LabelValue, b?: LabelValue, c?: LabelValue, by = 1): void {
    this.tree.find(a, b, c).value += by;
  }

  async get(): Promise<MetricJson> {
    return {
      help: this.help,
      name: this.name,
      type: 'counter',
      values: this.tree.series.map(({ labels, cell }) => ({ value: cell.value, labels: labelObject(this.labelNames, labels) })),
      aggregator: 'sum',
    };
  }

  reset(): void {
    this.tree.clear();
  }
}

interface HistogramCell {
  /** Observations per bucket (not cumulative); the last slot is above the highest bound. */
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

export class LocalHistogram {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly labelNames: readonly string[];
  private readonly bounds: Float64Array;
  private readonly tree: SeriesTree<HistogramCell>;

  constructor(definition: Definition & { readonly buckets: readonly number[] }, registry: Registry) {
    if (definition.labelNames.length < 1 || definition.labelNames.length > 3) throw new Error(`${definition.name}: 1 to 3 labels`);
    this.name = definition.name;
    this.help = definition.help;
    this.labelNames = definition.labelNames;
    this.bounds = Float64Array.from([...definition.buckets].sort((x, y) => x - y));
    const slots = this.bounds.length + 1;
    this.tree = new SeriesTree(definition.labelNames.length, () => ({ counts: new Float64Array(slots), sum: 0, count: 0 }));
    registry.registerMetric(this as never);
  }

  observe(value: number, a: LabelValue, b?: LabelValue, c?: LabelValue): void {
    const cell = this.tree.find(a, b, c);
    // First bound >= value (Prometheus buckets are `le`), by binary search.
    const bounds = this.bounds;
    let lo = 0;
    let hi = bounds.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (bounds[mid] < value) lo = mid + 1;
      else hi = mid;
    }
    cell.counts[lo]++;
    cell.sum += value;
    cell.count++;
  }

  /** prom-client's histogram JSON: cumulative `_bucket` per bound and +Inf, then `_sum`, `_count`. */
  async get(): Promise<MetricJson> {
    const values: JsonValue[] = [];
    const bucketName = `${this.name}_bucket`;
    for (const { labels, cell } of this.tree.series) {
      const base = labelObject(this.labelNames, labels);
      let cumulative = 0;
      for (let i = 0; i < this.bounds.length; i++) {
        cumulative += cell.counts[i];
        values.push({ value: cumulative, labels: { le: this.bounds[i], ...base }, metricName: bucketName });
      }
      values.push({ value: cell.count, labels: { le: '+Inf', ...base }, metricName: bucketName });
      values.push({ value: cell.sum, labels: { ...base }, metricName: `${this.name}_sum` });
      values.push({ value: cell.count, labels: { ...base }, metricName: `${this.name}_count` });
    }
    return { help: this.help, name: this.name, type: 'histogram', values, aggregator: 'sum' };
  }

  reset(): void {
    this.tree.clear();
  }
}
