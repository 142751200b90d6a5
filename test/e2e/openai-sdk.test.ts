/**
 * The official `openai` SDK as the client, a mock OpenAI upstream behind the gateway: chat (plain
 * and streamed), completions, embeddings and model listing work, and the upstream receives the
 * client's bytes unchanged except for the spliced model name and the deployment's own key.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { MockOpenAI } from '../support/mock-openai.js';
import { MASTER_KEY, openaiConfig, startTestGateway, type TestGateway } from '../support/gateway.js';

describe('openai SDK through the gateway', () => {
  const upstream = new MockOpenAI();
  let gw: TestGateway;
  let client: OpenAI;
  /** Raw bodies the SDK sent, in order. */
  const sent: string[] = [];

  before(async () => {
    const apiBase = await upstream.start();
    gw = await startTestGateway(
      openaiConfig(apiBase, { 'gpt-4o': 'gpt-4o-2024-08-06', 'text-embedding-3-small': 'text-embedding-3-small', 'same-name': 'same-name' }),
    );
    client = new OpenAI({
      apiKey: MASTER_KEY,
      baseURL: `${gw.url}/v1`,
      maxRetries: 0,
      fetch: async (url, init) => {
        if (typeof init?.body === 'string') sent.push(init.body);
        return fetch(url, init);
      },
    });
  });

  after(async () => {
    await gw.stop();
    await upstream.stop();
  });

  test('chat completion: answer relayed, model and key replaced, other bytes untouched', async () => {
    const completion = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'Say hello' }],
      temperature: 0.2,
    });
    assert.equal(completion.choices[0].message.content, 'Hello from the mock upstream.');
    assert.equal(completion.usage?.total_tokens, 18);
    const seen = upstream.lastRequest();
    assert.equal(seen.path, '/v1/chat/completions');
    assert.equal(seen.headers.authorization, 'Bearer sk-upstream-secret');
    const clientBody = sent[sent.length - 1];
    assert.equal(seen.body.toString('utf8'), clientBody.replace('"model":"gpt-4o"', '"model":"gpt-4o-2024-08-06"'));
  });

  test('response headers carry call id, model id and gateway overhead', async () => {
    const { data, response } = await client.chat.completions
      .create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] })
      .withResponse();
    assert.ok(data.id);
    const callId = response.headers.get('x-ailb-call-id');
    assert.match(callId ?? '', /^[0-9a-f-]{36}$/);
    assert.equal(response.headers.get('x-litellm-call-id'), callId);
    assert.ok(response.headers.get('x-ailb-model-id'));
    const overhead = Number(response.headers.get('x-ailb-overhead-duration-ms'));
    assert.ok(overhead >= 0 && overhead < 1000, `overhead ${overhead}`);
    assert.equal(response.headers.get('llm_provider-x-request-id'), 'req_mock_1');
  });

  test('streamed chat completion arrives chunk by chunk and ends cleanly', async () => {
    const stream = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'stream please' }],
      stream: true,
    });
    let text = '';
    let chunks = 0;
    for await (const chunk of stream) {
      chunks++;
      text += chunk.choices[0]?.delta?.content ?? '';
    }
    assert.equal(text, 'piece0 piece1 piece2 ');
    assert.equal(chunks, 5);
    const seen = upstream.lastRequest();
    assert.match(seen.body.toString('utf8'), /"stream":true/);
  });

  test('embeddings', async () => {
    const result = await client.embeddings.create({ model: 'text-embedding-3-small', input: ['a', 'b'] });
    assert.equal(result.data.length, 2);
    assert.equal(upstream.lastRequest().path, '/v1/embeddings');
  });

  test('legacy completions', async () => {
    const result = await client.completions.create({ model: 'gpt-4o', prompt: 'Once upon' });
    assert.equal(result.choices[0].text, 'mock completion');
    assert.equal(upstream.lastRequest().path, '/v1/completions');
  });

  test('model listing shows the public names', async () => {
    const ids: string[] = [];
    for await (const model of client.models.list()) ids.push(model.id);
    assert.deepEqual(ids.sort(), ['gpt-4o', 'same-name', 'text-embedding-3-small']);
  });

  test('unicode, escapes and a 500 KB prompt reach the upstream byte for byte', async () => {
    const tricky = 'héllo 世界 🧑🏽‍💻 «quotes» "double" \\ back\\slash \n newline \t tab \u0001 ctl \u2028 sep \ud83d lone';
    // ~110k tokens: inside gpt-4o's 128k context window, which the pre-call check knows from the pricing data.
    const big = 'The quick brown fox jumps over the lazy dog. '.repeat(11_000);
    assert.ok(big.length > 490_000);
    const completion = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [
        { role: 'system', content: tricky },
        { role: 'user', content: big },
      ],
    });
    assert.ok(completion.id);
    const clientBody = sent[sent.length - 1];
    const seen = upstream.lastRequest().body.toString('utf8');
    assert.equal(seen.length, clientBody.length + '-2024-08-06'.length);
    assert.equal(seen, clientBody.replace('"model":"gpt-4o"', '"model":"gpt-4o-2024-08-06"'));
  });

  test('an unchanged model name is forwarded without a copy of the body being altered', async () => {
    await client.chat.completions.create({ model: 'same-name', messages: [{ role: 'user', content: 'x' }] });
    assert.equal(upstream.lastRequest().body.toString('utf8'), sent[sent.length - 1]);
  });

  test('wrong key is refused with 401 in the OpenAI envelope', async () => {
    const bad = new OpenAI({ apiKey: 'sk-wrong', baseURL: `${gw.url}/v1`, maxRetries: 0 });
    await assert.rejects(bad.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }), (error: unknown) => {
      assert.ok(error instanceof OpenAI.AuthenticationError);
      assert.equal(error.status, 401);
      assert.equal((error.error as { type: string }).type, 'auth_error');
      return true;
    });
  });
});
