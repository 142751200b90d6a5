/**
 * The local counter and histogram must export exactly what prom-client's own classes export for
 * the same observations: same Prometheus text, and the same result through the aggregator that
 * merges every thread's snapshot.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import client from 'prom-client';
import { LocalCounter, LocalHistogram } from '../../src/observability/local-metrics.js';

const BUCKETS = [0.001, 0.01, 0.1, 1];
const OBSERVATIONS: [number, string][] = [
  [0.0005, 'chat'], [0.001, 'chat'], [0.002, 'chat'], [0.5, 'chat'], [7, 'chat'], [0.01, 'embeddings'], [0, 'embeddings'],
];
const COUNTS: [string, string, number, number][] = [
  ['chat', 'gpt-4o', 200, 1], ['chat', 'gpt-4o', 200, 1], ['chat', 'gpt-4o', 429, 1], ['chat', 'claude', 200, 3], ['embeddings', 'e3', 500, 1],
];

function reference(): client.Registry {
  const registry = new client.Registry();
  const counter = new client.Counter({ name: 'requests_total', help: 'Requests.', labelNames: ['route', 'model', 'status'], registers: [registry] });
  const histogram = new client.Histogram({ name: 'duration_seconds', help: 'Durations.', labelNames: ['route'], buckets: BUCKETS, registers: [registry] });
  for (const [route, model, status, by] of COUNTS) counter.labels(route, model, String(status)).inc(by);
  for (const [value, route] of OBSERVATIONS) histogram.labels(route).observe(value);
  return registry;
}

function local(): client.Registry {
  const registry = new client.Registry();
  const counter = new LocalCounter({ name: 'requests_total', help: 'Requests.', labelNames: ['route', 'model', 'status'] }, registry);
  const histogram = new LocalHistogram({ name: 'duration_seconds', help: 'Durations.', labelNames: ['route'], buckets: BUCKETS }, registry);
  for (const [route, model, status, by] of COUNTS) counter.inc(route, model, status, by);
  for (const [value, route] of OBSERVATIONS) histogram.observe(value, route);
  return registry;
}

test('local metrics print the same Prometheus text as prom-client', async () => {
  assert.equal(await local().metrics(), await reference().metrics());
});

test('local metrics merge across threads like prom-client metrics', async () => {
  const merged = client.AggregatorRegistry.aggregate([await local().getMetricsAsJSON(), await local().getMetricsAsJSON()] as never);
  const expected = client.AggregatorRegistry.aggregate([await reference().getMetricsAsJSON(), await reference().getMetricsAsJSON()] as never);
  assert.equal(await merged.metrics(), await expected.metrics());
  assert.match(await merged.metrics(), /requests_total\{route="chat",model="gpt-4o",status="200"\} 4/);
});

test('a kept counter cell adds to its series', async () => {
  const registry = new client.Registry();
  const counter = new LocalCounter({ name: 'hits_total', help: 'Hits.', labelNames: ['route'] }, registry);
  const cell = counter.cell('chat');
  cell.value += 2;
  counter.inc('chat');
  assert.match(await registry.metrics(), /hits_total\{route="chat"\} 3/);
});
