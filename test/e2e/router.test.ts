/**
 * The router through the gateway, against mock upstreams that fail on cue: fallbacks, retries
 * (counted in x-litellm-attempted-retries / -fallbacks), a 429 moving to the other deployment,
 * weights, pre-call context-window fallback, cooldowns, timeouts, latency-based and least-busy
 * routing, GET /health. Two event-loop threads, so the router's shared state is exercised across
 * threads. test/router/group.test.ts has the strategy and policy details without HTTP.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { MockOpenAI, sleep } from '../support/mock-openai.js';
import { MASTER_KEY, startTestGateway, type TestGateway } from '../support/gateway.js';

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly ms: number;
}

async function chat(gw: TestGateway, model: string, options: { content?: string; stream?: boolean; maxTokens?: number } = {}): Promise<Answer> {
  const body: Record<string, unknown> = { model, messages: [{ role: 'user', content: options.content ?? 'hello' }] };
  if (options.stream) body.stream = true;
  if (options.maxTokens !== undefined) body.max_tokens = options.maxTokens;
  const started = performance.now();
  const response = await fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, ms: performance.now() - started };
}

/** Upstream model names the mock received, in order. */
function modelsSeen(mock: MockOpenAI, from = 0): string[] {
  return mock.requests.slice(from).map((r) => String((JSON.parse(r.body.toString('utf8')) as { model: string }).model));
}

async function metrics(gw: TestGateway): Promise<string> {
  return (await fetch(`${gw.url}/metrics`)).text();
}

/** The value of one metric line (labels as written, in order), or null when absent. */
function metricValue(text: string, name: string, labels: string): number | null {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line === undefined ? null : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** A model_list entry; `id` gets the run's tag (router state is process-wide, so ids must not repeat). */
function entry(tag: string, name: string, id: string, apiBase: string, params = '', info = ''): string {
  return `  - model_name: ${name}
    litellm_params: { model: openai/${id}-model, api_base: "${apiBase}", api_key: sk-up${params} }
    model_info: { id: "${tag}-${id}"${info} }
`;
}

const HEAD = `general_settings:
  master_key: ${MASTER_KEY}
`;

describe('retries, fallbacks and timeouts', () => {
  const tag = randomUUID().slice(0, 8);
  const good = new MockOpenAI();
  const failing = new MockOpenAI();
  const limited = new MockOpenAI();
  const flaky = new MockOpenAI();
  const context = new MockOpenAI();
  const policy = new MockOpenAI();
  const hanging = new MockOpenAI();
  const slowStart = new MockOpenAI();
  const resetting = new MockOpenAI();
  const breaking = new MockOpenAI();
  const weighted = new MockOpenAI();
  let gw: TestGateway;

  before(async () => {
    const [g, f, l, fl, c, p, h, s, r, b, w] = await Promise.all(
      [good, failing, limited, flaky, context, policy, hanging, slowStart, resetting, breaking, weighted].map((m) => m.start()),
    );
    failing.otherwise = { kind: 'status', status: 500, body: '{"error":{"message":"primary is down","type":"server_error"}}' };
    context.otherwise = { kind: 'context-length' };
    policy.otherwise = { kind: 'content-policy' };
    hanging.otherwise = { kind: 'hang' };
    slowStart.otherwise = { kind: 'delay', ms: 2000 };
    resetting.otherwise = { kind: 'reset' };
    breaking.otherwise = { kind: 'break-stream', chunks: 2 };
    gw = await startTestGateway(`model_list:
${entry(tag, 'primary', 'primary', f)}${entry(tag, 'backup', 'backup', g)}${entry(tag, 'flaky', 'flaky', fl)}${entry(tag, 'rl', 'rl-a', l, ', order: 1')}${entry(tag, 'rl', 'rl-b', g, ', order: 2')}${entry(tag, 'w', 'w-a', w, ', weight: 1')}${entry(tag, 'w', 'w-b', w, ', weight: 3')}${entry(tag, 'small', 'small', g, '', ', max_input_tokens: 50')}${entry(tag, 'large', 'large', g, '', ', max_input_tokens: 100000')}${entry(tag, 'tiny', 'tiny', g, '', ', max_input_tokens: 20')}${entry(tag, 'ctxerr', 'ctxerr', c)}${entry(tag, 'strict', 'strict', p)}${entry(tag, 'lenient', 'lenient', g)}${entry(tag, 'slowpoke', 'slowpoke', h, ', timeout: 0.3')}${entry(tag, 'slow2', 'slow2-a', h, ', timeout: 0.3, order: 1')}${entry(tag, 'slow2', 'slow2-b', g, ', order: 2')}${entry(tag, 'slowstream', 'slowstream-a', s, ', stream_timeout: 0.3, order: 1')}${entry(tag, 'slowstream', 'slowstream-b', g, ', order: 2')}${entry(tag, 'reset', 'reset-a', r, ', order: 1')}${entry(tag, 'reset', 'reset-b', g, ', order: 2')}${entry(tag, 'broken', 'broken-a', b, ', order: 1')}${entry(tag, 'broken', 'broken-b', g, ', order: 2')}router_settings:
  fallbacks: [{ primary: [backup] }]
  context_window_fallbacks: [{ small: [large] }, { ctxerr: [large] }]
  content_policy_fallbacks: [{ strict: [lenient] }]
  model_group_retry_policy: { flaky: { InternalServerErrorRetries: 3 } }
${HEAD}`);
  });

  after(async () => {
    await gw.stop();
    await Promise.all([good, failing, limited, flaky, context, policy, hanging, slowStart, resetting, breaking, weighted].map((m) => m.stop()));
  });

  test('a failing group falls back to its fallback group, and the answer says so', async () => {
    const before = good.requests.length;
    const answer = await chat(gw, 'primary');
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.headers.get('x-litellm-attempted-fallbacks'), '1');
    assert.equal(answer.headers.get('x-litellm-attempted-retries'), '0');
    assert.equal(answer.headers.get('x-litellm-model-group'), 'backup');
    assert.equal(answer.headers.get('x-litellm-model-id'), `${tag}-backup`);
    // The fallback got the body made again for its own model; the failing one was called once.
    assert.deepEqual(modelsSeen(good, before), ['backup-model']);
    assert.equal(failing.requests.length, 1);
  });

  test('retries are counted in x-litellm-attempted-retries, and the upstream retry-after is honoured', async () => {
    const error = { kind: 'status' as const, status: 500, body: '{"error":{"message":"try again"}}', headers: { 'retry-after-ms': '20' } };
    flaky.enqueue(error, error);
    const answer = await chat(gw, 'flaky');
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.headers.get('x-litellm-attempted-retries'), '2');
    assert.equal(answer.headers.get('x-litellm-attempted-fallbacks'), '0');
    assert.equal(flaky.requests.length, 3);
    assert.ok(answer.ms < 400, `took ${answer.ms} ms (retry-after-ms: 20 should have been followed, not the 0.5 s backoff)`);
  });

  test('a client that gives up while a retry waits cancels the retry', async () => {
    flaky.enqueue({ kind: 'status', status: 503, body: '{"error":{"message":"overloaded"}}' });
    const before = flaky.requests.length;
    const controller = new AbortController();
    const pending = fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'flaky', messages: [{ role: 'user', content: 'hello' }] }),
      signal: controller.signal,
    }).catch((error: unknown) => error);
    await sleep(150);
    controller.abort();
    await pending;
    await sleep(700);
    assert.equal(flaky.requests.length, before + 1, 'no retry after the client left');
    assert.match(await metrics(gw), /ailb_requests_total\{route="chat_completions",model="flaky",status="499"\} 1/);
  });

  test('without a retry-after, a retry on the same deployment waits the exponential backoff', async () => {
    flaky.enqueue({ kind: 'status', status: 503, body: '{"error":{"message":"overloaded"}}' });
    const answer = await chat(gw, 'flaky');
    assert.equal(answer.status, 200);
    assert.equal(answer.headers.get('x-litellm-attempted-retries'), '1');
    assert.ok(answer.ms >= 350 && answer.ms < 1500, `took ${answer.ms} ms (0.5 s minus up to 25 % jitter expected)`);
  });

  test('retries that all fail answer with the last error and both counts', async () => {
    const error = { kind: 'status' as const, status: 500, body: '{"error":{"message":"still down"}}', headers: { 'retry-after-ms': '5' } };
    flaky.enqueue(error, error, error, error);
    const answer = await chat(gw, 'flaky');
    assert.equal(answer.status, 500);
    assert.match(answer.text, /still down/);
    assert.equal(answer.headers.get('x-litellm-attempted-retries'), '3');
  });

  test('a 429 moves the call to the other deployment of the group, which serves while the first cools down', async () => {
    limited.enqueue({ kind: 'status', status: 429, body: '{"error":{"message":"Rate limit reached","code":"rate_limit_exceeded"}}', headers: { 'retry-after': '30' } });
    const answer = await chat(gw, 'rl');
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.headers.get('x-litellm-model-id'), `${tag}-rl-b`);
    assert.equal(answer.headers.get('x-litellm-attempted-retries'), '1');
    assert.equal(limited.requests.length, 1);
    // order puts rl-a first, but it is cooling down now: the next calls go to rl-b without trying it.
    for (let i = 0; i < 5; i++) assert.equal((await chat(gw, 'rl')).headers.get('x-litellm-model-id'), `${tag}-rl-b`);
    assert.equal(limited.requests.length, 1);
    const text = await metrics(gw);
    assert.equal(metricValue(text, 'ailb_deployment_state', `model="rl",deployment="${tag}-rl-a"`), 2);
    assert.equal(metricValue(text, 'ailb_deployment_state', `model="rl",deployment="${tag}-rl-b"`), 0);
    assert.equal(metricValue(text, 'ailb_deployment_failures_total', `model="rl",deployment="${tag}-rl-a",class="RateLimitError"`), 1);
    assert.equal(metricValue(text, 'ailb_router_retries_total', 'model="rl"'), 1);
  });

  test('weights split traffic within a few percent', async () => {
    const total = 2000;
    const before = weighted.requests.length;
    let next = 0;
    const worker = async () => {
      while (next < total) {
        next++;
        assert.equal((await chat(gw, 'w')).status, 200);
      }
    };
    await Promise.all(Array.from({ length: 32 }, worker));
    const seen = modelsSeen(weighted, before);
    const shareA = seen.filter((m) => m === 'w-a-model').length / seen.length;
    assert.equal(seen.length, total);
    assert.ok(Math.abs(shareA - 0.25) < 0.03, `w-a got ${(shareA * 100).toFixed(1)} % (weight 1 of 4)`);
  });

  test('a prompt too long for the group goes to its context-window fallback without calling the small model', async () => {
    const before = good.requests.length;
    const answer = await chat(gw, 'small', { content: 'lorem ipsum dolor sit amet '.repeat(40) });
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.headers.get('x-litellm-model-group'), 'large');
    assert.equal(answer.headers.get('x-litellm-attempted-fallbacks'), '1');
    assert.deepEqual(modelsSeen(good, before), ['large-model']);
    // A short prompt fits and stays.
    const short = await chat(gw, 'small');
    assert.equal(short.headers.get('x-litellm-model-group'), 'small');
  });

  test('max_tokens counts towards the context window', async () => {
    const before = good.requests.length;
    const answer = await chat(gw, 'small', { maxTokens: 45 });
    assert.equal(answer.headers.get('x-litellm-model-group'), 'large');
    assert.deepEqual(modelsSeen(good, before), ['large-model']);
  });

  test('a prompt no deployment can take is refused before any upstream call', async () => {
    const before = good.requests.length;
    const answer = await chat(gw, 'tiny', { content: 'lorem ipsum dolor sit amet '.repeat(10) });
    assert.equal(answer.status, 400);
    const error = (JSON.parse(answer.text) as { error: { type: string; param: string; message: string } }).error;
    assert.equal(error.type, 'invalid_request_error');
    assert.equal(error.param, 'messages');
    assert.match(error.message, /max_input_tokens 20/);
    assert.equal(good.requests.length, before);
  });

  test("the upstream's context-length error moves the call to the context-window fallback", async () => {
    const answer = await chat(gw, 'ctxerr');
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.headers.get('x-litellm-model-group'), 'large');
    assert.equal(answer.headers.get('x-litellm-attempted-retries'), '0');
    assert.equal(context.requests.length, 1, 'a context-length error is not retried');
  });

  test("the upstream's content-policy refusal moves the call to the content-policy fallback", async () => {
    const answer = await chat(gw, 'strict');
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.headers.get('x-litellm-model-group'), 'lenient');
    assert.equal(policy.requests.length, 1);
    assert.match(await metrics(gw), /ailb_router_fallbacks_total\{model="strict",kind="content_policy"\} 1/);
  });

  test('a timeout is answered in time', async () => {
    const answer = await chat(gw, 'slowpoke');
    assert.equal(answer.status, 504);
    assert.ok(answer.ms >= 280 && answer.ms < 1000, `answered after ${answer.ms} ms (timeout 0.3 s)`);
  });

  test('a timeout moves the call to the next deployment in time', async () => {
    const answer = await chat(gw, 'slow2');
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.headers.get('x-litellm-model-id'), `${tag}-slow2-b`);
    assert.equal(answer.headers.get('x-litellm-attempted-retries'), '1');
    assert.ok(answer.ms < 1000, `answered after ${answer.ms} ms`);
  });

  test('a stream with a slow first byte is retried on the next deployment before anything reached the client', async () => {
    const answer = await chat(gw, 'slowstream', { stream: true });
    assert.equal(answer.status, 200);
    assert.equal(answer.headers.get('x-litellm-model-id'), `${tag}-slowstream-b`);
    assert.equal(answer.headers.get('x-litellm-attempted-retries'), '1');
    assert.match(answer.text, /piece2/);
    assert.match(answer.text, /data: \[DONE\]/);
    assert.ok(answer.ms < 1500, `answered after ${answer.ms} ms`);
  });

  test('a connection reset moves the call to the next deployment', async () => {
    const answer = await chat(gw, 'reset');
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.headers.get('x-litellm-model-id'), `${tag}-reset-b`);
    assert.equal(resetting.requests.length, 1);
  });

  test('a stream cut after it started ends with an error event and is not retried', async () => {
    const before = good.requests.length;
    const answer = await chat(gw, 'broken', { stream: true });
    assert.equal(answer.status, 200);
    assert.match(answer.text, /piece1/);
    assert.match(answer.text, /data: \{"error":\{"message":"Upstream stream ended early/);
    assert.doesNotMatch(answer.text, /\[DONE\]/);
    assert.equal(good.requests.length, before);
  });
});

describe('cooldowns', () => {
  const tag = randomUUID().slice(0, 8);
  const down = new MockOpenAI();
  const up = new MockOpenAI();
  const bothA = new MockOpenAI();
  const bothB = new MockOpenAI();
  let gw: TestGateway;

  before(async () => {
    const [d, u, a, b] = await Promise.all([down.start(), up.start(), bothA.start(), bothB.start()]);
    down.otherwise = { kind: 'status', status: 500, body: '{"error":{"message":"down"}}' };
    gw = await startTestGateway(`model_list:
${entry(tag, 'cool', 'cool-a', d)}${entry(tag, 'cool', 'cool-b', u)}${entry(tag, 'both', 'both-a', a)}${entry(tag, 'both', 'both-b', b)}router_settings: { allowed_fails: 1, cooldown_time: 30 }
${HEAD}`);
  });

  after(async () => {
    await gw.stop();
    await Promise.all([down.stop(), up.stop(), bothA.stop(), bothB.stop()]);
  });

  test('when every deployment cools down, the least recently failed one is still tried, and its success closes it', async () => {
    const fail = { kind: 'status' as const, status: 500, body: '{"error":{"message":"down"}}' };
    bothA.otherwise = fail;
    bothB.otherwise = fail;
    for (let i = 0; i < 10 && (bothA.requests.length < 2 || bothB.requests.length < 2); i++) assert.equal((await chat(gw, 'both')).status, 500);
    let text = await metrics(gw);
    assert.equal(metricValue(text, 'ailb_deployment_state', `model="both",deployment="${tag}-both-a"`), 2);
    assert.equal(metricValue(text, 'ailb_deployment_state', `model="both",deployment="${tag}-both-b"`), 2);
    bothA.otherwise = { kind: 'ok' };
    bothB.otherwise = { kind: 'ok' };
    const answer = await chat(gw, 'both');
    assert.equal(answer.status, 200, 'not "No deployments available": the least recently failed one was tried');
    text = await metrics(gw);
    const states = ['a', 'b'].map((x) => metricValue(text, 'ailb_deployment_state', `model="both",deployment="${tag}-both-${x}"`)).sort();
    assert.deepEqual(states, [0, 2], 'the deployment that answered is closed again; the other still cools');
  });

  test('a deployment past allowed_fails cools down and receives no traffic', async () => {
    for (let i = 0; i < 60 && down.requests.length < 2; i++) {
      const answer = await chat(gw, 'cool');
      assert.equal(answer.status, 200, 'each failure moved to the healthy deployment');
    }
    assert.equal(down.requests.length, 2, 'the second failure in a minute (allowed_fails 1) cools it');
    for (let i = 0; i < 40; i++) {
      const answer = await chat(gw, 'cool');
      assert.equal(answer.status, 200);
      assert.equal(answer.headers.get('x-litellm-attempted-retries'), '0');
    }
    assert.equal(down.requests.length, 2, 'no traffic while cooling down');
    const text = await metrics(gw);
    assert.equal(metricValue(text, 'ailb_deployment_state', `model="cool",deployment="${tag}-cool-a"`), 2);
    assert.equal(metricValue(text, 'ailb_deployment_cooldowns_total', `model="cool",deployment="${tag}-cool-a"`), 1);
  });
});

describe('half-open probes and groups with nothing left', () => {
  const tag = randomUUID().slice(0, 8);
  const recovering = new MockOpenAI();
  const steady = new MockOpenAI();
  const deadA = new MockOpenAI();
  const deadB = new MockOpenAI();
  const safe = new MockOpenAI();
  let gw: TestGateway;

  before(async () => {
    const [r, s, a, b, f] = await Promise.all([recovering.start(), steady.start(), deadA.start(), deadB.start(), safe.start()]);
    const down = { kind: 'status' as const, status: 503, body: '{"error":{"message":"down"}}' };
    deadA.otherwise = down;
    deadB.otherwise = down;
    gw = await startTestGateway(`model_list:
${entry(tag, 'half', 'half-a', r)}${entry(tag, 'half', 'half-b', s)}${entry(tag, 'dead', 'dead-a', a)}${entry(tag, 'dead', 'dead-b', b)}${entry(tag, 'deadfb', 'deadfb-a', a)}${entry(tag, 'deadfb', 'deadfb-b', b)}${entry(tag, 'safe', 'safe', f)}router_settings:
  allowed_fails: 0
  cooldown_time: 0.3
  fallbacks: [{ deadfb: [safe] }]
ailb_settings: { when_all_cooling: refuse }
${HEAD}`);
  });

  after(async () => {
    await gw.stop();
    await Promise.all([recovering.stop(), steady.stop(), deadA.stop(), deadB.stop(), safe.stop()]);
  });

  test('a group whose deployments all cool down sends its calls straight to its fallbacks', async () => {
    const first = await chat(gw, 'deadfb');
    assert.equal(first.status, 200, first.text);
    assert.equal(first.headers.get('x-litellm-attempted-retries'), '1');
    assert.equal(first.headers.get('x-litellm-attempted-fallbacks'), '1');
    const called = deadA.requests.length + deadB.requests.length;
    const second = await chat(gw, 'deadfb');
    assert.equal(second.status, 200, second.text);
    assert.equal(second.headers.get('x-litellm-model-group'), 'safe');
    assert.equal(second.headers.get('x-litellm-attempted-retries'), '0');
    assert.equal(second.headers.get('x-litellm-attempted-fallbacks'), '1');
    assert.equal(deadA.requests.length + deadB.requests.length, called, 'the cooling deployments were not called');
    await sleep(350);
  });

  test('after the cooldown one probe goes through; its success closes the circuit', async () => {
    recovering.otherwise = { kind: 'status', status: 500, body: '{"error":{"message":"down"}}' };
    for (let i = 0; i < 60 && recovering.requests.length < 1; i++) assert.equal((await chat(gw, 'half')).status, 200);
    assert.equal(recovering.requests.length, 1);
    let text = await metrics(gw);
    assert.equal(metricValue(text, 'ailb_deployment_state', `model="half",deployment="${tag}-half-a"`), 2);
    recovering.otherwise = { kind: 'ok' };
    await sleep(400);
    text = await metrics(gw);
    assert.equal(metricValue(text, 'ailb_deployment_state', `model="half",deployment="${tag}-half-a"`), 1, 'half-open once the cooldown is over');
    for (let i = 0; i < 60 && recovering.requests.length < 3; i++) assert.equal((await chat(gw, 'half')).status, 200);
    assert.equal(recovering.requests.length, 3, 'the probe succeeded and traffic came back');
    text = await metrics(gw);
    assert.equal(metricValue(text, 'ailb_deployment_state', `model="half",deployment="${tag}-half-a"`), 0);
  });

  test('with when_all_cooling: refuse, a group whose deployments all cool down answers "No deployments available"', async () => {
    const before = deadA.requests.length + deadB.requests.length;
    const first = await chat(gw, 'dead');
    assert.equal(first.status, 503, 'both deployments were tried');
    assert.equal(first.headers.get('x-litellm-attempted-retries'), '1');
    const refused = await chat(gw, 'dead');
    assert.equal(refused.status, 429);
    assert.match(refused.text, /No deployments available for selected model/);
    assert.equal(refused.headers.get('retry-after'), '1');
    assert.equal(deadA.requests.length + deadB.requests.length, before + 2);
  });
});

describe('latency-based and least-busy routing (routing_groups)', () => {
  const tag = randomUUID().slice(0, 8);
  const fast = new MockOpenAI();
  const slow = new MockOpenAI();
  const busyA = new MockOpenAI();
  const busyB = new MockOpenAI();
  let gw: TestGateway;

  before(async () => {
    const [f, s, a, b] = await Promise.all([fast.start(), slow.start(), busyA.start(), busyB.start()]);
    fast.latencyMs = 5;
    slow.latencyMs = 120;
    busyA.latencyMs = 1000; // long enough that every call is dispatched before any ends, even on a loaded machine
    busyB.latencyMs = 1000;
    gw = await startTestGateway(`model_list:
${entry(tag, 'lat', 'fast', f)}${entry(tag, 'lat', 'slow', s)}${entry(tag, 'busy', 'busy-a', a)}${entry(tag, 'busy', 'busy-b', b)}router_settings:
  routing_strategy: simple-shuffle
  routing_groups:
    - { group_name: quick, models: [lat], routing_strategy: latency-based-routing }
    - { group_name: spread, models: [busy], routing_strategy: least-busy }
${HEAD}`);
  });

  after(async () => {
    await gw.stop();
    await Promise.all([fast.stop(), slow.stop(), busyA.stop(), busyB.stop()]);
  });

  test('latency-based routing sends at least 90 % to the faster deployment after warm-up', async () => {
    for (let i = 0; i < 6; i++) assert.equal((await chat(gw, 'lat')).status, 200);
    const [fastBefore, slowBefore] = [fast.requests.length, slow.requests.length];
    for (let i = 0; i < 50; i++) assert.equal((await chat(gw, 'lat')).status, 200);
    const toFast = fast.requests.length - fastBefore;
    const toSlow = slow.requests.length - slowBefore;
    assert.ok(toFast / (toFast + toSlow) >= 0.9, `fast got ${toFast}, slow ${toSlow}`);
    assert.match(await metrics(gw), /ailb_deployment_latency_seconds\{model="lat",deployment="[^"]+-fast",kind="per_token"\}/);
  });

  test('least-busy keeps the in-flight counts within one of each other', async () => {
    const answers = await Promise.all(Array.from({ length: 20 }, () => chat(gw, 'busy')));
    for (const answer of answers) assert.equal(answer.status, 200);
    assert.ok(Math.abs(busyA.maxInflight - busyB.maxInflight) <= 1, `most in flight: ${busyA.maxInflight} and ${busyB.maxInflight}`);
    assert.ok(Math.abs(busyA.requests.length - busyB.requests.length) <= 1, `requests: ${busyA.requests.length} and ${busyB.requests.length}`);
    const text = await metrics(gw);
    assert.equal(metricValue(text, 'ailb_deployment_inflight_requests', `model="busy",deployment="${tag}-busy-a"`), 0);
  });
});

/** A port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

interface HealthBody {
  healthy_endpoints: { model: string; api_base: string; model_id: string }[];
  unhealthy_endpoints: { model: string; api_base: string; model_id: string; error: string }[];
  healthy_count: number;
  unhealthy_count: number;
}

describe('GET /health', () => {
  test('background health checks report healthy and unhealthy endpoints', async () => {
    const tag = randomUUID().slice(0, 8);
    const ok = new MockOpenAI();
    const denied = new MockOpenAI();
    const [o, d] = await Promise.all([ok.start(), denied.start()]);
    denied.otherwise = { kind: 'status', status: 401, body: '{"error":{"message":"bad key"}}' };
    const gw = await startTestGateway(`model_list:
${entry(tag, 'hgood', 'hgood', o)}${entry(tag, 'hbad', 'hbad', d)}general_settings:
  master_key: ${MASTER_KEY}
  background_health_checks: true
  health_check_interval: 0.2
`);
    try {
      assert.equal((await fetch(`${gw.url}/health`)).status, 401);
      let body: HealthBody | null = null;
      for (let i = 0; i < 50; i++) {
        const response = await fetch(`${gw.url}/health`, { headers: { authorization: `Bearer ${MASTER_KEY}` } });
        assert.equal(response.status, 200);
        body = (await response.json()) as HealthBody;
        if (body.healthy_count + body.unhealthy_count === 2) break;
        await sleep(50);
      }
      assert.equal(body!.healthy_count, 1);
      assert.equal(body!.unhealthy_count, 1);
      assert.equal(body!.healthy_endpoints[0].model, 'openai/hgood-model');
      assert.equal(body!.healthy_endpoints[0].api_base, o);
      assert.equal(body!.unhealthy_endpoints[0].model_id, `${tag}-hbad`);
      assert.match(body!.unhealthy_endpoints[0].error, /401/);
      // The checks are cheap: one token, and the key never appears in the answer.
      const check = JSON.parse(ok.requests[0].body.toString('utf8')) as { max_tokens: number };
      assert.equal(check.max_tokens, 1);
      assert.doesNotMatch(JSON.stringify(body), /sk-up/);
      // One thread leads the checks: with an interval of 0.2 s, a few have run, not twice as many.
      const text = await metrics(gw);
      assert.equal(metricValue(text, 'ailb_deployment_health', `model="hgood",deployment="${tag}-hgood"`), 1);
      assert.equal(metricValue(text, 'ailb_deployment_health', `model="hbad",deployment="${tag}-hbad"`), 0);
    } finally {
      await gw.stop();
      await Promise.all([ok.stop(), denied.stop()]);
    }
  });

  test('without background checks, GET /health checks every deployment when asked', async () => {
    const tag = randomUUID().slice(0, 8);
    const ok = new MockOpenAI();
    const o = await ok.start();
    const gw = await startTestGateway(`model_list:
${entry(tag, 'up', 'up', o)}${entry(tag, 'gone', 'gone', `http://127.0.0.1:${await closedPort()}/v1`)}${HEAD}`);
    try {
      const response = await fetch(`${gw.url}/health`, { headers: { authorization: `Bearer ${MASTER_KEY}` } });
      assert.equal(response.status, 200);
      const body = (await response.json()) as HealthBody;
      assert.deepEqual(body.healthy_endpoints.map((e) => e.model_id), [`${tag}-up`]);
      assert.deepEqual(body.unhealthy_endpoints.map((e) => e.model_id), [`${tag}-gone`]);
      assert.match(body.unhealthy_endpoints[0].error, /could not reach/);
      assert.equal(ok.requests.length, 1);
    } finally {
      await gw.stop();
      await ok.stop();
    }
  });
});
