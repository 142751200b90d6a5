/**
 * Cost on the request path, with the official `openai` SDK as the client: plain answers carry
 * `x-litellm-response-cost` priced from the provider's usage and the deployment's model_info
 * prices; a stream whose client did not ask for usage asks the provider for it and keeps the usage
 * chunk from the client; a client that asked gets it, and its bytes go upstream unchanged.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { MockOpenAI } from '../support/mock-openai.js';
import { MASTER_KEY, startTestGateway, type TestGateway } from '../support/gateway.js';

const INPUT_PRICE = 0.000001;
const OUTPUT_PRICE = 0.000002;

function pricedConfig(apiBase: string): string {
  const entry = (name: string, upstream: string) => `  - model_name: ${name}
    litellm_params:
      model: openai/${upstream}
      api_base: ${apiBase}
      api_key: sk-upstream-secret
      timeout: 2
      stream_timeout: 2
    model_info:
      input_cost_per_token: ${INPUT_PRICE}
      output_cost_per_token: ${OUTPUT_PRICE}`;
  return `model_list:
${entry('gpt-4o', 'gpt-4o-2024-08-06')}
${entry('text-embedding-3-small', 'text-embedding-3-small')}
general_settings:
  master_key: ${MASTER_KEY}
ailb_settings:
  hot_reload: false
`;
}

describe('cost on the request path', () => {
  const upstream = new MockOpenAI();
  let gw: TestGateway;
  let client: OpenAI;
  const sent: string[] = [];

  before(async () => {
    gw = await startTestGateway(pricedConfig(await upstream.start()));
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

  test('a chat answer carries its cost from the provider usage (12 prompt + 6 completion tokens)', async () => {
    const { response } = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    assert.equal(Number(response.headers.get('x-litellm-response-cost')), 0.000024);
  });

  test('embeddings are costed (8 prompt tokens)', async () => {
    const { response } = await client.embeddings.create({ model: 'text-embedding-3-small', input: 'hello' }).withResponse();
    assert.equal(Number(response.headers.get('x-litellm-response-cost')), 0.000008);
  });

  test('a stream without include_usage: the gateway asks for usage and the client never sees the usage chunk', async () => {
    const stream = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], stream: true });
    let text = '';
    for await (const chunk of stream) {
      assert.equal(chunk.usage ?? null, null, 'no usage chunk reaches the client');
      assert.ok(chunk.choices.length > 0, 'no choice-less chunk reaches the client');
      text += chunk.choices[0].delta.content ?? '';
    }
    assert.equal(text, 'piece0 piece1 piece2 ');
    const upstreamBody = JSON.parse(upstream.lastRequest().body.toString('utf8')) as { stream_options?: unknown };
    assert.deepEqual(upstreamBody.stream_options, { include_usage: true });
  });

  test('a stream with include_usage: the client gets the usage chunk and its bytes go upstream unchanged', async () => {
    const stream = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let usage: OpenAI.CompletionUsage | null = null;
    for await (const chunk of stream) if (chunk.usage) usage = chunk.usage;
    assert.deepEqual(usage, { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 });
    const clientBody = sent[sent.length - 1];
    assert.equal(upstream.lastRequest().body.toString('utf8'), clientBody.replace('"model":"gpt-4o"', '"model":"gpt-4o-2024-08-06"'));
  });

  test('stream_options without include_usage keeps its other members and gains include_usage upstream', async () => {
    const response = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
      body: '{"model":"gpt-4o","stream":true,"stream_options":{"include_obfuscation":false},"messages":[{"role":"user","content":"hi"}]}',
    });
    const text = await response.text();
    assert.equal(response.status, 200);
    assert.doesNotMatch(text, /"usage"/);
    const upstreamBody = JSON.parse(upstream.lastRequest().body.toString('utf8')) as { stream_options?: unknown; model?: string };
    assert.deepEqual(upstreamBody.stream_options, { include_obfuscation: false, include_usage: true });
    assert.equal(upstreamBody.model, 'gpt-4o-2024-08-06');
  });

  test('include_usage that is not a boolean is refused with 400 naming it', async () => {
    const response = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
      body: '{"model":"gpt-4o","stream":true,"stream_options":{"include_usage":"yes"},"messages":[{"role":"user","content":"hi"}]}',
    });
    assert.equal(response.status, 400);
    const body = (await response.json()) as { error: { param: string; message: string } };
    assert.equal(body.error.param, 'stream_options.include_usage');
    assert.match(body.error.message, /include_usage/);
  });
});
