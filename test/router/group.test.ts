/**
 * The router without HTTP: how each strategy picks within a group, `order` tiers, cooldown and the
 * half-open probe on the shared counters, what the config's router keys turn into, error classes
 * and the retry backoff. test/e2e/router.test.ts covers the same through the gateway.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { parseConfigText } from '../../src/config/load.js';
import { ConfigError } from '../../src/config/issues.js';
import { Runtime, type DeploymentRuntime } from '../../src/pipeline/runtime.js';
import { classifyStatus, ErrorClass } from '../../src/router/classify.js';
import type { DeploymentGroup } from '../../src/router/group.js';
import { FallbackKind } from '../../src/router/policy.js';
import { Phase } from '../../src/router/state.js';

/** A runtime whose deployment ids are unique to this call (the router's counters are process-wide). */
function runtimeOf(yaml: string): { runtime: Runtime; tag: string } {
  const tag = randomUUID().slice(0, 8);
  const text = yaml.replaceAll('{tag}', tag);
  return { runtime: new Runtime(parseConfigText(text, 'router-unit.yaml', {}).config), tag };
}

function deployment(id: string, model = 'g', params = '', info = ''): string {
  return `  - model_name: ${model}
    litellm_params: { model: openai/${id}, api_base: "http://127.0.0.1:9/v1", api_key: sk-x${params} }
    model_info: { id: "{tag}-${id}"${info} }
`;
}

function group(runtime: Runtime, name = 'g'): DeploymentGroup {
  const g = runtime.groupFor(name);
  assert.ok(g !== null, `group ${name}`);
  return g;
}

/** A deterministic random source (a fixed-seed LCG), so distributions are reproducible. */
function seeded(seed = 42): () => number {
  let x = seed;
  return () => {
    x = (x * 1664525 + 1013904223) >>> 0;
    return x / 2 ** 32;
  };
}

function shares(n: number, pick: () => DeploymentRuntime | null): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const d = pick();
    const key = d === null ? 'none' : d.spec.upstreamModel;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  for (const [key, count] of counts) counts.set(key, count / n);
  return counts;
}

describe('strategies', () => {
  test('simple-shuffle splits by weight', () => {
    const { runtime } = runtimeOf(`model_list:\n${deployment('a', 'g', ', weight: 1')}${deployment('b', 'g', ', weight: 3')}`);
    const g = group(runtime);
    const random = seeded();
    const s = shares(20_000, () => g.pick(false, -1, null, true, random));
    assert.ok(Math.abs(s.get('a')! - 0.25) < 0.01, `a got ${s.get('a')}`);
    assert.ok(Math.abs(s.get('b')! - 0.75) < 0.01, `b got ${s.get('b')}`);
  });

  test('simple-shuffle without weights splits by rpm', () => {
    const { runtime } = runtimeOf(`model_list:\n${deployment('a', 'g', ', rpm: 100')}${deployment('b', 'g', ', rpm: 300')}`);
    const g = group(runtime);
    const random = seeded(7);
    const s = shares(20_000, () => g.pick(false, -1, null, true, random));
    assert.ok(Math.abs(s.get('a')! - 0.25) < 0.01, `a got ${s.get('a')}`);
  });

  test('round-robin takes each deployment in turn', () => {
    const { runtime } = runtimeOf(`model_list:\n${deployment('a')}${deployment('b')}${deployment('c')}router_settings: { routing_strategy: round-robin }\n`);
    const g = group(runtime);
    const seen = Array.from({ length: 9 }, () => g.pick(false, -1, null, true, Math.random)!.spec.upstreamModel);
    for (let i = 3; i < 9; i++) assert.equal(seen[i], seen[i - 3]);
    assert.deepEqual(new Set(seen.slice(0, 3)), new Set(['a', 'b', 'c']));
  });

  test('least-busy takes the deployment with the fewest requests in flight', () => {
    const { runtime } = runtimeOf(`model_list:\n${deployment('a')}${deployment('b')}router_settings: { routing_strategy: least-busy }\n`);
    const g = group(runtime);
    const handles: [DeploymentRuntime, number][] = [];
    for (let i = 0; i < 10; i++) {
      const d = g.pick(false, -1, null, true, Math.random)!;
      handles.push([d, d.state.enter(Date.now())]);
    }
    const now = Date.now();
    const [a, b] = g.deployments;
    assert.equal(a.state.inflight(now), 5);
    assert.equal(b.state.inflight(now), 5);
    for (const [d, handle] of handles) d.state.release(handle);
    assert.equal(a.state.inflight(Date.now()), 0);
  });

  test('latency-based measures each deployment once, then takes the fastest (within the buffer)', () => {
    const { runtime } = runtimeOf(`model_list:\n${deployment('fast')}${deployment('slow')}router_settings: { routing_strategy: latency-based-routing }\n`);
    const g = group(runtime);
    const first = g.pick(false, -1, null, true, Math.random)!;
    first.state.observePerToken(first.spec.upstreamModel === 'fast' ? 10 : 100, 10, Date.now());
    const second = g.pick(false, -1, null, true, Math.random)!;
    assert.notEqual(second, first, 'an unmeasured deployment is tried first');
    second.state.observePerToken(second.spec.upstreamModel === 'fast' ? 10 : 100, 10, Date.now());
    const s = shares(200, () => g.pick(false, -1, null, true, Math.random));
    assert.equal(s.get('fast'), 1);
  });

  test('latency-based with lowest_latency_buffer spreads over the deployments within it', () => {
    const { runtime } = runtimeOf(`model_list:\n${deployment('a')}${deployment('b')}${deployment('c')}router_settings:\n  routing_strategy: latency-based-routing\n  routing_strategy_args: { lowest_latency_buffer: 0.5 }\n`);
    const g = group(runtime);
    const [a, b, c] = g.deployments;
    const now = Date.now();
    a.state.observeTtfb(100, now);
    b.state.observeTtfb(130, now);
    c.state.observeTtfb(400, now);
    const s = shares(2000, () => g.pick(true, -1, null, true, Math.random));
    assert.ok(s.get('a')! > 0.4 && s.get('b')! > 0.4, JSON.stringify([...s]));
    assert.equal(s.get('c'), undefined);
  });

  test('cost-based takes the cheapest priced deployment', () => {
    const { runtime } = runtimeOf(
      `model_list:\n${deployment('dear', 'g', '', ', input_cost_per_token: 0.00001, output_cost_per_token: 0.00003')}${deployment('cheap', 'g', '', ', input_cost_per_token: 0.000001, output_cost_per_token: 0.000002')}router_settings: { routing_strategy: cost-based-routing }\n`,
    );
    const g = group(runtime);
    const s = shares(100, () => g.pick(false, -1, null, true, Math.random));
    assert.equal(s.get('cheap'), 1);
  });

  test('usage-based leaves out a deployment whose rpm is used up this minute', () => {
    const { runtime } = runtimeOf(`model_list:\n${deployment('small', 'g', ', rpm: 2')}${deployment('big', 'g', ', rpm: 1000')}router_settings: { routing_strategy: usage-based-routing-v2 }\n`);
    const g = group(runtime);
    let small = 0;
    for (let i = 0; i < 50; i++) {
      const d = g.pick(false, -1, null, true, Math.random)!;
      d.state.countRequest(Date.now());
      if (d.spec.upstreamModel === 'small') small++;
    }
    assert.ok(small <= 2, `small got ${small}`);
  });

  test('routing_groups give a group its own strategy', () => {
    const { runtime } = runtimeOf(
      `model_list:\n${deployment('a')}${deployment('b')}${deployment('c', 'h')}${deployment('d', 'h')}router_settings:\n  routing_strategy: simple-shuffle\n  routing_groups:\n    - { group_name: rr, models: [h], routing_strategy: round-robin }\n`,
    );
    assert.equal(group(runtime, 'g').tracksInflight, false);
    const h = group(runtime, 'h');
    const seen = Array.from({ length: 4 }, () => h.pick(false, -1, null, true, Math.random)!.spec.upstreamModel);
    assert.equal(seen[0], seen[2]);
    assert.notEqual(seen[0], seen[1]);
  });

  test('order: the lowest order is used while it is available, the next tier when it is not', () => {
    const { runtime } = runtimeOf(`model_list:\n${deployment('first', 'g', ', order: 1')}${deployment('second', 'g', ', order: 2')}${deployment('unordered')}`);
    const g = group(runtime);
    assert.equal(shares(100, () => g.pick(false, -1, null, true, Math.random)).get('first'), 1);
    const first = g.deployments[0];
    first.state.open(60_000, Date.now());
    assert.equal(shares(100, () => g.pick(false, -1, null, true, Math.random)).get('second'), 1);
    const tried = new Uint8Array(3);
    tried[1] = 1;
    assert.equal(g.pick(false, -1, tried, false, Math.random)!.spec.upstreamModel, 'unordered');
    first.state.close(Date.now());
  });

  test('a prompt larger than max_input_tokens leaves the deployment out', () => {
    const { runtime } = runtimeOf(`model_list:\n${deployment('small', 'g', '', ', max_input_tokens: 100')}${deployment('large', 'g', '', ', max_input_tokens: 10000')}`);
    const g = group(runtime);
    assert.equal(shares(100, () => g.pick(false, 500, null, true, Math.random)).get('large'), 1);
    assert.equal(g.pick(false, 50_000, null, true, Math.random), null);
  });
});

describe('cooldown', () => {
  const yaml = `model_list:\n${deployment('a')}${deployment('b')}router_settings: { allowed_fails: 1, cooldown_time: 0.2 }\n`;

  test('more failures than allowed_fails in a minute cool a deployment; it gets no picks until the cooldown ends', async () => {
    const { runtime } = runtimeOf(yaml);
    const g = group(runtime);
    const [a] = g.deployments;
    const now = Date.now();
    assert.equal(a.state.failed(ErrorClass.InternalServer, -1, g.policy, now), false);
    assert.equal(a.state.failed(ErrorClass.InternalServer, -1, g.policy, now), true);
    assert.equal(a.state.phase(Date.now()), Phase.Open);
    assert.equal(shares(100, () => g.pick(false, -1, null, true, Math.random)).get('b'), 1);
    await new Promise((resolve) => setTimeout(resolve, 250));
    assert.equal(a.state.phase(Date.now()), Phase.HalfOpen);
    // One probe at a time: while it is out, the deployment is not available to others.
    const probe = a.state.claimProbe(Date.now());
    assert.ok(probe >= 0);
    assert.equal(a.state.available(Date.now()), false);
    assert.equal(a.state.claimProbe(Date.now()), -1);
    a.state.probeSucceeded(probe, Date.now());
    assert.equal(a.state.phase(Date.now()), Phase.Closed);
  });

  test('a failed probe cools the deployment again', async () => {
    const { runtime } = runtimeOf(yaml);
    const g = group(runtime);
    const [a] = g.deployments;
    a.state.open(1, Date.now());
    await new Promise((resolve) => setTimeout(resolve, 5));
    const probe = a.state.claimProbe(Date.now());
    assert.ok(probe >= 0);
    assert.equal(a.state.failed(ErrorClass.Timeout, probe, g.policy, Date.now()), true);
    assert.equal(a.state.phase(Date.now()), Phase.Open);
    assert.equal(a.state.claimProbe(Date.now()), -1);
  });

  test('a 429 cools at once; a bad request never does', () => {
    const { runtime } = runtimeOf(`model_list:\n${deployment('a')}${deployment('b')}`);
    const g = group(runtime);
    const [a, b] = g.deployments;
    assert.equal(a.state.failed(ErrorClass.RateLimit, -1, g.policy, Date.now()), true);
    for (let i = 0; i < 10; i++) assert.equal(b.state.failed(ErrorClass.BadRequest, -1, g.policy, Date.now()), false);
  });

  test('when every deployment cools, the least recently failed one is still tried (unless refused)', async () => {
    const { runtime } = runtimeOf(`model_list:\n${deployment('a')}${deployment('b')}`);
    const g = group(runtime);
    const [a, b] = g.deployments;
    b.state.failed(ErrorClass.RateLimit, -1, g.policy, Date.now() - 1000);
    a.state.failed(ErrorClass.RateLimit, -1, g.policy, Date.now());
    assert.equal(g.pick(false, -1, null, true, Math.random), b);
    assert.equal(g.pick(false, -1, null, false, Math.random), null);
    a.state.close(Date.now());
    b.state.close(Date.now());
  });
});

describe('policy', () => {
  test('retry_policy, model_group_retry_policy and allowed_fails_policy by error class', () => {
    const { runtime } = runtimeOf(`model_list:\n${deployment('a')}${deployment('b', 'h')}router_settings:
  num_retries: 4
  retry_policy: { RateLimitErrorRetries: 1, BadRequestErrorRetries: 2 }
  model_group_retry_policy: { h: { TimeoutErrorRetries: 7 } }
  allowed_fails_policy: { InternalServerErrorAllowedFails: 9 }
`);
    const p = runtime.router;
    assert.equal(p.retriesFor('g', ErrorClass.RateLimit), 1);
    assert.equal(p.retriesFor('g', ErrorClass.InternalServer), 4);
    assert.equal(p.retriesFor('g', ErrorClass.BadRequest), 2);
    assert.equal(p.retriesFor('g', ErrorClass.ContextWindow), 2, 'a ContextWindowExceededError is a BadRequestError');
    assert.equal(p.retriesFor('g', ErrorClass.NotFound), 0);
    assert.equal(p.retriesFor('h', ErrorClass.Timeout), 7);
    assert.equal(p.retriesFor('h', ErrorClass.RateLimit), 1);
    assert.equal(p.allowedFails(ErrorClass.InternalServer), 9);
    assert.equal(p.allowedFails(ErrorClass.Timeout), 3);
    assert.equal(p.allowedFails(ErrorClass.RateLimit), -1);
    assert.equal(p.repeatsAllowed('g', ErrorClass.Timeout, null), true, 'num_retries is written');
  });

  test('without num_retries written, only a deployment that sets max_retries or a named class is called again', () => {
    const { runtime } = runtimeOf(`model_list:\n${deployment('a')}router_settings: { retry_policy: { TimeoutErrorRetries: 1 } }\n`);
    const p = runtime.router;
    assert.equal(p.retriesFor('g', ErrorClass.InternalServer), 2);
    assert.equal(p.repeatsAllowed('g', ErrorClass.InternalServer, null), false);
    assert.equal(p.repeatsAllowed('g', ErrorClass.Timeout, null), true);
    assert.equal(p.repeatsAllowed('g', ErrorClass.InternalServer, 2), true);
  });

  test('fallback lists by error class', () => {
    const { runtime } = runtimeOf(`model_list:\n${deployment('a')}router_settings:
  fallbacks: [{ g: [f1, f2] }]
  context_window_fallbacks: [{ g: [big] }]
  default_fallbacks: [d1]
`);
    const p = runtime.router;
    assert.deepEqual(p.fallbacksFor('g', ErrorClass.InternalServer), { list: ['f1', 'f2'], kind: FallbackKind.General });
    assert.deepEqual(p.fallbacksFor('g', ErrorClass.ContextWindow), { list: ['big'], kind: FallbackKind.ContextWindow });
    assert.deepEqual(p.fallbacksFor('g', ErrorClass.ContentPolicy), { list: ['f1', 'f2'], kind: FallbackKind.General });
    assert.deepEqual(p.fallbacksFor('g', ErrorClass.BadRequest).list, []);
    assert.deepEqual(p.fallbacksFor('other', ErrorClass.Timeout).list, ['d1']);
  });

  test('backoff doubles from 0.5 s with up to 25 % jitter, follows retry-after up to 60 s, never below retry_after', () => {
    const { runtime } = runtimeOf(`model_list:\n${deployment('a')}router_settings: { retry_after: 0.7 }\n`);
    const p = runtime.router;
    assert.equal(p.retryDelayMs(0, -1, () => 0), 700);
    assert.equal(p.retryDelayMs(1, -1, () => 0), 1000);
    assert.equal(p.retryDelayMs(1, -1, () => 1), 750);
    assert.equal(p.retryDelayMs(10, -1, () => 0), 8000);
    assert.equal(p.retryDelayMs(0, 2000, () => 0), 2000);
    assert.equal(p.retryDelayMs(0, 120_000, () => 0), 700);
  });

  test('invalid router keys are config errors with their path', () => {
    assert.throws(
      () => parseConfigText(`model_list: []\nrouter_settings:\n  retry_policy: { TimeoutErrorRetries: -1 }\n  routing_groups: [{ group_name: x, models: [a], routing_strategy: fastest }]\nailb_settings: { when_all_cooling: panic }\n`, 'bad.yaml', {}),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        const paths = error.issues.map((issue) => issue.path);
        assert.ok(paths.includes('router_settings.retry_policy.TimeoutErrorRetries'), paths.join());
        assert.ok(paths.includes('router_settings.routing_groups[0].routing_strategy'), paths.join());
        assert.ok(paths.includes('ailb_settings.when_all_cooling'), paths.join());
        return true;
      },
    );
  });
});

test('error classes from the upstream status and error body', () => {
  assert.equal(classifyStatus(400, 'context_length_exceeded', '', ''), ErrorClass.ContextWindow);
  assert.equal(classifyStatus(400, '', '', "This model's maximum context length is 8192 tokens"), ErrorClass.ContextWindow);
  assert.equal(classifyStatus(400, 'content_policy_violation', '', ''), ErrorClass.ContentPolicy);
  assert.equal(classifyStatus(400, 'content_filter', '', ''), ErrorClass.ContentPolicy);
  assert.equal(classifyStatus(400, '', '', 'messages must be a list'), ErrorClass.BadRequest);
  assert.equal(classifyStatus(401, '', '', ''), ErrorClass.Authentication);
  assert.equal(classifyStatus(404, '', '', ''), ErrorClass.NotFound);
  assert.equal(classifyStatus(408, '', '', ''), ErrorClass.Timeout);
  assert.equal(classifyStatus(429, '', '', ''), ErrorClass.RateLimit);
  assert.equal(classifyStatus(503, '', '', ''), ErrorClass.InternalServer);
});
