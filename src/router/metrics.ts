/**
 * The router's metrics in one event-loop thread. The metrics themselves are declared in
 * METRIC_DEFINITIONS and created by ThreadMetrics (src/observability/metrics.ts), which binds them
 * here; the router counts its rare events (failed attempts, cooldowns, retries, fallbacks) into
 * them, and the deployment gauges are read from the process-wide router counters when /metrics is
 * scraped (every thread reads the same values, so the threads' gauges merge with `max`).
 *
 * The gauges report the deployments of the runtime this thread built last (setRouterView).
 */
import type { Counter, Gauge } from 'prom-client';
import { ERROR_CLASS_NAMES, type ErrorClass } from './classify.js';
import type { DeploymentGroup } from './group.js';
import { FALLBACK_KIND_NAMES, type FallbackKind } from './policy.js';
import { HealthCode, Phase } from './state.js';

export interface RouterView {
  readonly deploymentGroups: readonly DeploymentGroup[];
}

export interface RouterCounters {
  readonly failures: Counter<string>;
  readonly cooldowns: Counter<string>;
  readonly retries: Counter<string>;
  readonly fallbacks: Counter<string>;
}

let view: RouterView | null = null;
let counters: RouterCounters | null = null;

/** The runtime whose deployments the gauges report (the thread's newest). */
export function setRouterView(next: RouterView): void {
  view = next;
}

export function bindRouterMetrics(bound: RouterCounters): void {
  counters = bound;
}

export function countFailure(group: string, deployment: string, cls: ErrorClass): void {
  counters?.failures.labels(group, deployment, ERROR_CLASS_NAMES[cls]).inc();
}

export function countCooldown(group: string, deployment: string): void {
  counters?.cooldowns.labels(group, deployment).inc();
}

export function countRetry(model: string): void {
  counters?.retries.labels(model).inc();
}

export function countFallback(model: string, kind: FallbackKind): void {
  counters?.fallbacks.labels(model, FALLBACK_KIND_NAMES[kind]).inc();
}

/** ailb_deployment_state: 0 healthy (circuit closed), 1 half-open (probing), 2 cooling down. */
export function collectDeploymentState(gauge: Gauge<string>): void {
  gauge.reset();
  if (view === null) return;
  const now = Date.now();
  for (const group of view.deploymentGroups) {
    for (const d of group.deployments) {
      const phase = group.breaker ? d.state.phase(now) : Phase.Closed;
      gauge.labels(group.name, d.spec.id).set(phase === Phase.Open ? 2 : phase === Phase.HalfOpen ? 1 : 0);
    }
  }
}

/** ailb_deployment_inflight_requests, for groups that count them (least-busy). */
export function collectInflight(gauge: Gauge<string>): void {
  gauge.reset();
  if (view === null) return;
  const now = Date.now();
  for (const group of view.deploymentGroups) {
    if (!group.tracksInflight) continue;
    for (const d of group.deployments) gauge.labels(group.name, d.spec.id).set(d.state.inflight(now));
  }
}

/** ailb_deployment_latency_seconds, for latency-based groups, once measured. */
export function collectLatency(gauge: Gauge<string>): void {
  gauge.reset();
  if (view === null) return;
  const now = Date.now();
  for (const group of view.deploymentGroups) {
    if (!group.tracksLatency) continue;
    for (const d of group.deployments) {
      const ttfb = d.state.ttfbUs(now);
      const perToken = d.state.tokenNs(now);
      if (ttfb > 0) gauge.labels(group.name, d.spec.id, 'ttfb').set(ttfb / 1e6);
      if (perToken > 0) gauge.labels(group.name, d.spec.id, 'per_token').set(perToken / 1e9);
    }
  }
}

/** ailb_deployment_health: the last health check, 1 healthy, 0 not; deployments never checked are left out. */
export function collectHealth(gauge: Gauge<string>): void {
  gauge.reset();
  if (view === null) return;
  const now = Date.now();
  for (const group of view.deploymentGroups) {
    for (const d of group.deployments) {
      const code = d.state.health(now);
      if (code !== HealthCode.None) gauge.labels(group.name, d.spec.id).set(code === HealthCode.Healthy ? 1 : 0);
    }
  }
}
