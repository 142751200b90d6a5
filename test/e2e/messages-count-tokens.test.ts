/**
 * POST /v1/messages/count_tokens with the Anthropic SDK: an Anthropic deployment's own count
 * answers (relayed, the model replaced by the upstream's), its refusal is relayed, and when it
 * cannot be reached the gateway's estimate answers instead.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { MockAnthropic } from '../support/mocks/anthropic.js';
import { MASTER_KEY, startTestGateway, type TestGateway } from '../support/gateway.js';

describe('/v1/messages/count_tokens', () => {
  const upstream = new MockAnthropic();
  let gw: TestGateway;
  let client: Anthropic;

  before(async () => {
    const base = await upstream.start();
    gw = await startTestGateway(`model_list:
  - model_name: claude
    litellm_params: { model: anthropic/claude-sonnet-4-5, api_base: "${base}", api_key: sk-ant-test }
  - model_name: claude-down
    litellm_params: { model: anthropic/claude-sonnet-4-5, api_base: "http://127.0.0.1:9", api_key: sk-ant-test }
general_settings:
  master_key: ${MASTER_KEY}
ailb_settings:
  hot_reload: false
`);
    client = new Anthropic({ apiKey: MASTER_KEY, baseURL: gw.url, maxRetries: 0 });
  });

  after(async () => {
    await gw.stop();
    await upstream.stop();
  });

  test("an Anthropic deployment's own count answers, asked with the upstream model name and the deployment's key", async () => {
    const before = upstream.requests.length;
    const counted = await client.messages.countTokens({ model: 'claude', messages: [{ role: 'user', content: 'Hello, world' }] });
    assert.equal(counted.input_tokens, 14);
    assert.equal(upstream.requests.length, before + 1);
    const seen = upstream.requests.at(-1)!;
    assert.equal(seen.path, '/v1/messages/count_tokens');
    assert.equal(seen.headers['x-api-key'], 'sk-ant-test');
    assert.deepEqual(seen.json, { model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'Hello, world' }] });
  });

  test("the deployment's refusal of a bad request is relayed in Anthropic's envelope", async () => {
    const response = await fetch(`${gw.url}/v1/messages/count_tokens`, {
      method: 'POST',
      headers: { 'x-api-key': MASTER_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'claude' }),
    });
    assert.equal(response.status, 400);
    const body = (await response.json()) as { type: string; error: { type: string } };
    assert.equal(body.type, 'error');
    assert.equal(body.error.type, 'invalid_request_error');
  });

  test('an unreachable deployment: the gateway counts, and says the count is an estimate', async () => {
    const response = await fetch(`${gw.url}/v1/messages/count_tokens`, {
      method: 'POST',
      headers: { 'x-api-key': MASTER_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'claude-down', messages: [{ role: 'user', content: 'Hello, world' }] }),
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('x-ailb-tokens-estimated'), 'true');
    const body = (await response.json()) as { input_tokens: number };
    assert.ok(body.input_tokens > 0 && body.input_tokens < 14, String(body.input_tokens));
  });
});
