/**
 * A model group whose deployments speak different wire formats (an Anthropic deployment and an
 * OpenAI one under one name): when the call moves from one to the other (retry within the group,
 * or a fallback group), each attempt's body is made for its own provider — translated for
 * Anthropic, the client's bytes with the upstream model spliced (and include_usage on a stream)
 * for OpenAI.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { MockOpenAI } from '../support/mock-openai.js';
import { MockAnthropic } from '../support/mocks/anthropic.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { deployment, gatewayConfig, openaiClient } from '../support/provider-e2e.js';

describe('a model group mixing Anthropic and OpenAI deployments', () => {
  const openaiUpstream = new MockOpenAI();
  const anthropicUpstream = new MockAnthropic();
  let gw: TestGateway;
  let client: OpenAI;

  before(async () => {
    const openaiBase = await openaiUpstream.start();
    const anthropicBase = await anthropicUpstream.start();
    const anthropic = { api_base: anthropicBase, api_key: 'sk-ant-test' };
    const openai = { api_base: openaiBase, api_key: 'sk-upstream-secret' };
    const yaml = gatewayConfig(
      [
        `${deployment('mixed', { model: 'anthropic/shared-model', ...anthropic, order: 1 })}\n    model_info: { id: mixed-anthropic }`,
        `${deployment('mixed', { model: 'openai/shared-model', ...openai, order: 2 })}\n    model_info: { id: mixed-openai }`,
        deployment('claude-only', { model: 'anthropic/claude-sonnet-4-5', ...anthropic }),
        deployment('gpt-backup', { model: 'openai/gpt-4o-mini', ...openai }),
      ],
      'router_settings:\n  fallbacks: [{ claude-only: [gpt-backup] }]\n  allowed_fails: 100\n',
    );
    gw = await startTestGateway(yaml);
    client = openaiClient(gw);
  });

  after(async () => {
    await gw.stop();
    await openaiUpstream.stop();
    await anthropicUpstream.stop();
  });

  test('a failed Anthropic attempt moves to the OpenAI deployment with an OpenAI body (model spliced, include_usage asked)', async () => {
    anthropicUpstream.enqueue({ kind: 'error', status: 529, type: 'overloaded_error', message: 'Overloaded' });
    const before = openaiUpstream.requests.length;
    const stream = await client.chat.completions.create({ model: 'mixed', messages: [{ role: 'user', content: 'hi' }], stream: true });
    let text = '';
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const chunk of stream) {
      chunks.push(chunk);
      text += chunk.choices[0]?.delta.content ?? '';
    }
    assert.ok(text.length > 0);
    assert.equal(chunks.some((c) => c.usage != null), false, 'the usage chunk the gateway asked for does not reach the client');
    assert.equal(openaiUpstream.requests.length, before + 1);
    const sent = JSON.parse(openaiUpstream.lastRequest().body.toString('utf8')) as Record<string, unknown>;
    // The same upstream model name on both: the body is still made anew for the other provider.
    assert.equal(sent.model, 'shared-model');
    assert.deepEqual(sent.stream_options, { include_usage: true });
    const anthropicSent = anthropicUpstream.requests.at(-1)!;
    assert.equal(anthropicSent.path, '/v1/messages');
    assert.equal(anthropicSent.json?.model, 'shared-model');
  });

  test('a fallback from an Anthropic group to an OpenAI group sends the fallback model in OpenAI form', async () => {
    anthropicUpstream.enqueue({ kind: 'error', status: 500, type: 'api_error', message: 'Internal server error' });
    const completion = await client.chat.completions.create({ model: 'claude-only', messages: [{ role: 'user', content: 'hello' }] });
    assert.equal(completion.choices[0].message.content, 'Hello from the mock upstream.');
    const sent = JSON.parse(openaiUpstream.lastRequest().body.toString('utf8')) as Record<string, unknown>;
    assert.equal(sent.model, 'gpt-4o-mini');
    assert.deepEqual(sent.messages, [{ role: 'user', content: 'hello' }]);
  });
});
