/**
 * Token accounting through the gateway: the prompt count of every chat request
 * (x-ailb-prompt-tokens), /utils/token_counter, and the usage of streams (the provider's when it
 * sends usage, the gateway's count of the streamed text otherwise, aborted streams included),
 * each checked against tiktoken.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { get_encoding } from 'tiktoken';
import { MockOpenAI, sleep } from '../support/mock-openai.js';
import { MASTER_KEY, openaiConfig, startTestGateway, type TestGateway } from '../support/gateway.js';

const o200k = get_encoding('o200k_base');
const tokens = (text: string) => o200k.encode_ordinary(text).length;

/** OpenAI's chat formula for plain string messages: 3 per message + its strings, + 3 for the reply. */
function chatTokens(messages: { role: string; content: string }[]): number {
  return messages.reduce((sum, m) => sum + 3 + tokens(m.role) + tokens(m.content), 3);
}

async function post(url: string, body: unknown, key = MASTER_KEY): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

/** Value of ailb_tokens_total for the given labels (0 when absent). */
async function tokenMetric(gw: TestGateway, type: string, source: string): Promise<number> {
  const text = await (await fetch(`${gw.url}/metrics`)).text();
  const match = new RegExp(`ailb_tokens_total\\{model="gpt-4o",type="${type}",source="${source}"\\} (\\d+)`).exec(text);
  return match === null ? 0 : Number(match[1]);
}

describe('token accounting', () => {
  const upstream = new MockOpenAI();
  let gw: TestGateway;

  before(async () => {
    gw = await startTestGateway(openaiConfig(await upstream.start(), { 'gpt-4o': 'gpt-4o', 'mystery-model': 'mystery-model' }));
  });

  after(async () => {
    await gw.stop();
    await upstream.stop();
    o200k.free();
  });

  test('every chat answer carries the exact prompt token count', async () => {
    const messages = [
      { role: 'system', content: 'You are terse. Réponds en français si on te parle français. 日本語もOK 🧑🏽‍💻' },
      { role: 'user', content: "What's the capital of France? Don't explain." },
    ];
    const response = await post(`${gw.url}/v1/chat/completions`, { model: 'gpt-4o', messages });
    assert.equal(response.status, 200);
    assert.equal(Number(response.headers.get('x-ailb-prompt-tokens')), chatTokens(messages));
  });

  test('/utils/token_counter counts messages and prompts like tiktoken', async () => {
    const messages = [{ role: 'user', content: 'Count me, please: 12345 tokens?' }];
    const byMessages = await post(`${gw.url}/utils/token_counter`, { model: 'gpt-4o', messages });
    assert.equal(byMessages.status, 200);
    assert.deepEqual(await byMessages.json(), {
      total_tokens: chatTokens(messages),
      request_model: 'gpt-4o',
      model_used: 'gpt-4o',
      tokenizer_type: 'openai_tokenizer',
      encoding: 'o200k_base',
      estimated: false,
    });
    const prompt = 'The quick brown fox jumps over the lazy dog.\r\n\tTabs and CRLF.';
    const byPrompt = (await (await post(`${gw.url}/utils/token_counter`, { model: 'gpt-4o', prompt })).json()) as { total_tokens: number };
    assert.equal(byPrompt.total_tokens, tokens(prompt));
    const estimated = (await (await post(`${gw.url}/utils/token_counter`, { model: 'mystery-model', prompt })).json()) as { estimated: boolean };
    assert.equal(estimated.estimated, true);
  });

  test('/utils/token_counter refuses bad input and bad keys clearly', async () => {
    const missing = await post(`${gw.url}/utils/token_counter`, { prompt: 'x' });
    assert.equal(missing.status, 400);
    assert.equal(((await missing.json()) as { error: { param: string } }).error.param, 'model');
    const neither = await post(`${gw.url}/utils/token_counter`, { model: 'gpt-4o' });
    assert.equal(neither.status, 400);
    const badJson = await fetch(`${gw.url}/utils/token_counter`, { method: 'POST', headers: { authorization: `Bearer ${MASTER_KEY}` }, body: '{nope' });
    assert.equal(badJson.status, 400);
    const unauthorised = await post(`${gw.url}/utils/token_counter`, { model: 'gpt-4o', prompt: 'x' }, 'sk-wrong');
    assert.equal(unauthorised.status, 401);
  });

  test('a stream with usage is accounted with the provider figures', async () => {
    const before = await tokenMetric(gw, 'completion', 'provider');
    const response = await post(`${gw.url}/v1/chat/completions`, {
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    await response.text();
    await sleep(50);
    // The mock reports completion_tokens = number of pieces (3).
    assert.equal((await tokenMetric(gw, 'completion', 'provider')) - before, 3);
  });

  test('a stream whose client did not ask for usage is accounted with the provider figures, which the client does not see', async () => {
    const before = await tokenMetric(gw, 'completion', 'provider');
    const response = await post(`${gw.url}/v1/chat/completions`, { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], stream: true });
    const text = await response.text();
    await sleep(50);
    assert.equal((await tokenMetric(gw, 'completion', 'provider')) - before, 3);
    assert.doesNotMatch(text, /"usage"/);
    assert.match(text, /data: \[DONE\]\n\n$/);
  });

  test('a stream without usage from the provider is accounted by counting the streamed text', async () => {
    upstream.enqueue({ kind: 'stream', chunks: 3, intervalMs: 0, silentUsage: true });
    const before = await tokenMetric(gw, 'completion', 'counted');
    const response = await post(`${gw.url}/v1/chat/completions`, { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], stream: true });
    await response.text();
    await sleep(50);
    assert.equal((await tokenMetric(gw, 'completion', 'counted')) - before, tokens('piece0 piece1 piece2 '));
  });

  test('an aborted stream still accounts for what was streamed', async () => {
    upstream.enqueue({ kind: 'stream', chunks: 50, intervalMs: 30 });
    const before = await tokenMetric(gw, 'completion', 'counted');
    const response = await post(`${gw.url}/v1/chat/completions`, { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], stream: true });
    const reader = response.body!.getReader();
    let seen = '';
    while (!seen.includes('piece3')) seen += Buffer.from((await reader.read()).value!).toString();
    await reader.cancel();
    let counted = 0;
    for (let i = 0; i < 50 && counted === 0; i++) {
      await sleep(20);
      counted = (await tokenMetric(gw, 'completion', 'counted')) - before;
    }
    // At least the four pieces the client saw, fewer than the fifty it did not wait for.
    assert.ok(counted >= tokens('piece0 piece1 piece2 piece3 ') && counted < tokens('piece0 '.repeat(50)), `counted ${counted}`);
  });
});
