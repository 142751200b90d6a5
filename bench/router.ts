// Micro-benchmark: what the router's decision costs per request, for each strategy, in a group of
// 1 and of 10 deployments.
//
//   node dist/bench/router.js
//
// "pick" is DeploymentGroup.pick as the route stage calls it (strategy, `order` tiers, the
// cooldown check on the process-wide counters). "pick + attempt" adds the per-attempt bookkeeping
// the upstream stage does for that strategy on a successful call (half-open probe check, in-flight
// slot, request and token counts, latency samples), with the same DeploymentState calls. The
// baseline is the route stage before the router: a weighted random choice over a plain array,
// with no shared state (what "× baseline" compares to). Prints a markdown table to stdout.

import { parseConfigText } from '../src/config/load.js';
import { Runtime, type DeploymentRuntime } from '../src/pipeline/runtime.js';
import type { DeploymentGroup } from '../src/router/group.js';
import { Phase } from '../src/router/state.js';
import { medianRate } from './support/measure.js';

const STRATEGIES = ['simple-shuffle', 'round-robin', 'least-busy', 'latency-based-routing', 'cost-based-routing', 'usage-based-routing-v2'] as const;
const SIZES = [1, 10] as const;
const options = { rounds: 9, roundMs: 200, warmupMs: 400 };

let made = 0;

function groupOf(strategy: string, size: number): DeploymentGroup {
  made++;
  let models = '';
  for (let i = 0; i < size; i++) {
    models += `  - model_name: g
    litellm_params: { model: openai/m${i}, api_base: "http://127.0.0.1:9/v1", api_key: sk-x, rpm: 1000000000, tpm: 1000000000000, weight: ${1 + (i % 3)} }
    model_info: { id: "bench-${made}-${strategy}-${size}-${i}", input_cost_per_token: ${(1 + i) / 1e6}, output_cost_per_token: ${(2 + i) / 1e6} }
`;
  }
  const config = parseConfigText(`model_list:\n${models}router_settings: { routing_strategy: ${strategy} }\n`, 'bench-router.yaml', {}).config;
  const group = new Runtime(config).groupFor('g');
  if (group === null) throw new Error('no group');
  // Latency-based: every deployment measured once, so picks rank instead of exploring.
  if (group.tracksLatency) group.deployments.forEach((d, i) => d.state.observePerToken(10 + i, 10, Date.now()));
  return group;
}

function pick(group: DeploymentGroup): DeploymentRuntime {
  const d = group.size === 1 ? group.deployments[0] : group.pick(false, -1, null, true, Math.random);
  if (d === null) throw new Error('nothing picked');
  return d;
}

/** The upstream stage's bookkeeping around one successful attempt (proxy.ts enterDeployment/endAttempt). */
function attempt(group: DeploymentGroup, d: DeploymentRuntime): number {
  if (group.size === 1) return 0;
  const now = Date.now();
  const state = d.state;
  const phase = group.breaker ? state.phase(now) : Phase.Closed;
  const probe = phase === Phase.HalfOpen ? state.takeProbe(now) : -1;
  const inflight = group.tracksInflight ? state.enter(now) : -1;
  if (group.tracksUsage) state.countRequest(now);
  if (group.tracksLatency) state.observeTtfb(5, now);
  if (inflight >= 0) state.release(inflight);
  if (phase !== Phase.Closed) state.probeSucceeded(probe, now);
  if (group.tracksUsage) state.countTokens(1, now);
  if (group.tracksLatency) state.observePerToken(10, 10, now);
  return probe + inflight;
}

/** The route stage before the router (weighted random by `weight`, no state): the baseline. */
function baselineOf(size: number): () => number {
  const candidates = groupOf('simple-shuffle', size).deployments;
  return () => {
    if (candidates.length === 1) return candidates[0].index;
    let total = 0;
    for (const d of candidates) total += d.spec.weight;
    let point = Math.random() * total;
    for (const d of candidates) {
      point -= d.spec.weight;
      if (point < 0) return d.index;
    }
    return candidates[candidates.length - 1].index;
  };
}

const ns = (rate: number) => 1e9 / rate;
const rows: string[] = [];
for (const size of SIZES) {
  const baseline = ns(medianRate(baselineOf(size), options));
  rows.push(`| before the router: weighted random | ${size} | ${baseline.toFixed(1)} | – | 1.0× |`);
  for (const strategy of STRATEGIES) {
    const group = groupOf(strategy, size);
    const pickNs = ns(medianRate(() => pick(group).index, options));
    const fullNs = ns(medianRate(() => attempt(group, pick(group)), options));
    rows.push(`| ${strategy} | ${size} | ${pickNs.toFixed(1)} | ${fullNs.toFixed(1)} | ${(pickNs / baseline).toFixed(1)}× |`);
  }
}
console.log('### Routing decision per request (one thread; state on the process-wide native counters)\n');
console.log('| strategy | deployments | pick, ns | pick + attempt bookkeeping, ns | pick × baseline |');
console.log('| --- | ---: | ---: | ---: | ---: |');
for (const row of rows) console.log(row);
