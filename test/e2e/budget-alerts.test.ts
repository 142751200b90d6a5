/**
 * Budget alerts end to end: a key with max_budget 0.5 and calls of exactly 0.1 each; the gateway
 * posts LiteLLM-named JSON events to the configured webhook when spend reaches 50%, 80% and 100%,
 * each once, from the main thread, whichever event-loop thread settled the call.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { MASTER_KEY, startTestGateway, type TestGateway } from '../support/gateway.js';
import { MockOpenAI, sleep } from '../support/mock-openai.js';

interface AlertEvent {
  event: string;
  threshold: string;
  event_group: string;
  spend: number;
  max_budget: number;
}

/** The mock answers with 6 completion tokens; at 1/60 USD each a call costs exactly 0.1. */
function config(apiBase: string, webhook: string): string {
  return `model_list:
  - model_name: gpt-4o
    litellm_params:
      model: openai/gpt-4o-2024-08-06
      api_base: ${JSON.stringify(apiBase)}
      api_key: sk-upstream-secret
    model_info:
      id: priced
      input_cost_per_token: 0
      output_cost_per_token: 0.016666666666666666
general_settings:
  master_key: ${MASTER_KEY}
ailb_settings:
  hot_reload: false
  alerting:
    webhooks: [{url: ${JSON.stringify(webhook)}, format: json}]
`;
}

describe('budget alerts', () => {
  const upstream = new MockOpenAI();
  const received: AlertEvent[] = [];
  const hook = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      received.push(JSON.parse(body) as AlertEvent);
      res.writeHead(200).end('ok');
    });
  });
  let gw: TestGateway;

  before(async () => {
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    const webhook = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/budget`;
    gw = await startTestGateway(config(await upstream.start(), webhook), { store: { backend: 'pglite' }, threads: 2 });
  });

  after(async () => {
    await gw.stop();
    await upstream.stop();
    await new Promise<void>((resolve) => hook.close(() => resolve()));
  });

  test('50%, 80% and 100% of a key budget each alert once', async () => {
    const generated = await fetch(`${gw.url}/key/generate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ max_budget: 0.5, key_alias: 'alerted' }),
    });
    const key = ((await generated.json()) as { key: string }).key;
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const response = await fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o', max_tokens: 6, messages: [{ role: 'user', content: 'hi' }] }),
      });
      statuses.push(response.status);
      await response.text();
    }
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 400]);
    for (let waited = 0; received.length < 3 && waited < 5000; waited += 50) await sleep(50);
    await sleep(200); // nothing more may come
    const keyEvents = received.filter((e) => e.event_group === 'key');
    assert.deepEqual(
      keyEvents.map((e) => [e.event, e.threshold]),
      [
        ['threshold_crossed', '50%'],
        ['threshold_crossed', '80%'],
        ['budget_crossed', '100%'],
      ],
    );
    assert.deepEqual(keyEvents.map((e) => e.spend), [0.3, 0.4, 0.5]);
    assert.ok(keyEvents.every((e) => e.max_budget === 0.5));
  });
});
