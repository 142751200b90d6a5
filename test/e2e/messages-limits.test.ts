/**
 * Keys, limits, budgets and spend on the Anthropic front door, exactly as on the OpenAI routes: a
 * virtual key's rpm_limit admits exactly N of 3N parallel /v1/messages calls (refusals in
 * Anthropic's envelope, which the Anthropic SDK reads as RateLimitError), an unknown key is an
 * AuthenticationError, and every admitted call (translated to an OpenAI-format deployment, or
 * passed through to an Anthropic one) writes one priced spend-log row charged to the key.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { hashKey } from '../../src/control/key-material.js';
import type { SpendLogRecord } from '../../src/store/types.js';
import { MockOpenAI } from '../support/mock-openai.js';
import { MockAnthropic } from '../support/mocks/anthropic.js';
import { MASTER_KEY, postJson, startTestGateway, type TestGateway } from '../support/gateway.js';

describe('/v1/messages under a virtual key', () => {
  const openaiUpstream = new MockOpenAI();
  const anthropicUpstream = new MockAnthropic();
  let gw: TestGateway;

  before(async () => {
    const openaiBase = await openaiUpstream.start();
    const anthropicBase = await anthropicUpstream.start();
    gw = await startTestGateway(
      `model_list:
  - model_name: gpt-4o
    litellm_params: { model: openai/gpt-4o-2024-08-06, api_base: "${openaiBase}", api_key: sk-upstream-secret }
    model_info: { input_cost_per_token: 0.000001, output_cost_per_token: 0.000002 }
  - model_name: claude
    litellm_params: { model: anthropic/claude-sonnet-4-5, api_base: "${anthropicBase}", api_key: sk-ant-test }
    model_info: { input_cost_per_token: 0.000003, output_cost_per_token: 0.000015 }
general_settings:
  master_key: ${MASTER_KEY}
ailb_settings:
  hot_reload: false
`,
      { store: { backend: 'pglite' }, threads: 2 },
    );
  });

  after(async () => {
    await gw.stop();
    await openaiUpstream.stop();
    await anthropicUpstream.stop();
  });

  async function keyWith(fields: object): Promise<string> {
    const generated = await postJson(gw, '/key/generate', fields, MASTER_KEY);
    assert.equal(generated.status, 200, JSON.stringify(generated.json));
    return generated.json.key as string;
  }

  test('rpm_limit N: exactly N of 3N parallel calls pass; the rest are RateLimitErrors in Anthropic’s envelope', async () => {
    const key = await keyWith({ rpm_limit: 4, key_alias: 'messages-rpm' });
    const client = new Anthropic({ apiKey: key, baseURL: gw.url, maxRetries: 0 });
    const outcomes = await Promise.allSettled(
      Array.from({ length: 12 }, () => client.messages.create({ model: 'gpt-4o', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] })),
    );
    const passed = outcomes.filter((o) => o.status === 'fulfilled');
    const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    assert.equal(passed.length, 4);
    assert.equal(refused.length, 8);
    for (const { reason } of refused) {
      assert.ok(reason instanceof Anthropic.RateLimitError, String(reason));
      assert.equal((reason.error as { type: string; error: { type: string } }).type, 'error');
      assert.equal((reason.error as { error: { type: string } }).error.type, 'rate_limit_error');
    }
  });

  test('an unknown key is an AuthenticationError', async () => {
    const client = new Anthropic({ apiKey: 'sk-not-a-key', baseURL: gw.url, maxRetries: 0 });
    await assert.rejects(client.messages.create({ model: 'claude', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }), (error: unknown) => {
      assert.ok(error instanceof Anthropic.AuthenticationError, String(error));
      return true;
    });
  });

  test('translated and passed-through calls each write one priced spend row charged to the key', async () => {
    const key = await keyWith({ key_alias: 'messages-spend' });
    const client = new Anthropic({ apiKey: key, baseURL: gw.url, maxRetries: 0 });
    await client.messages.create({ model: 'gpt-4o', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] });
    const stream = client.messages.stream({ model: 'claude', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] });
    await stream.finalMessage();
    // Rows reach the main thread in batches (an earlier test's may still be on the way): poll the
    // store for this key's rows, flushing the writer each time.
    const writer = gw.control!.spendWriter;
    const deadline = Date.now() + 10_000;
    let rows: SpendLogRecord[] = [];
    for (;;) {
      await writer.flush();
      ({ rows } = await gw.control!.store.spendLogs.list({ api_key: hashKey(key), page: 1, size: 100 }));
      if (rows.length >= 2 || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(rows.length, 2);
    for (const row of rows) {
      assert.equal(row.call_type, 'anthropic_messages');
      assert.ok(row.spend > 0, `row for ${row.model} is priced`);
    }
    const keyInfo = await gw.control!.store.keys.findByToken(hashKey(key));
    const total = rows.reduce((sum, row) => sum + row.spend, 0);
    assert.ok(Math.abs((keyInfo?.spend ?? 0) - total) < 1e-12, `key spend ${keyInfo?.spend} = rows ${total}`);
  });
});
