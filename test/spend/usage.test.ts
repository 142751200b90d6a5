import { test } from 'node:test';
import assert from 'node:assert/strict';
import { usageFromAnthropic, usageFromJson, usageFromOpenAI } from '../../src/spend/usage.js';
import { seededRandom as seeded } from '../support/seeded-random.js';

// Bodies shaped as the providers send them (ids and text shortened).

const OPENAI_CHAT = JSON.parse(`{
  "id": "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG", "object": "chat.completion", "created": 1741570283,
  "model": "o3-mini-2025-01-31",
  "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi", "refusal": null, "annotations": []},
               "logprobs": null, "finish_reason": "stop"}],
  "usage": {"prompt_tokens": 1117, "completion_tokens": 846, "total_tokens": 1963,
            "prompt_tokens_details": {"cached_tokens": 1024, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 640, "audio_tokens": 0,
                                          "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}},
  "service_tier": "default", "system_fingerprint": "fp_44added55e"
}`);

// The last chunk of a stream sent with stream_options.include_usage: empty choices, usage set.
const OPENAI_STREAM_LAST = JSON.parse(`{
  "id": "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG", "object": "chat.completion.chunk", "created": 1741570283,
  "model": "gpt-4o-2024-08-06", "service_tier": "default", "system_fingerprint": "fp_f9f4fb6dbf",
  "choices": [],
  "usage": {"prompt_tokens": 2006, "completion_tokens": 300, "total_tokens": 2306,
            "prompt_tokens_details": {"cached_tokens": 1920, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
                                          "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}}
}`);

const OPENAI_RESPONSES = JSON.parse(`{
  "id": "resp_67ccd3a9da748190baa7f1570fe91ac604becb25c45c1d41", "object": "response", "status": "completed",
  "usage": {"input_tokens": 328, "input_tokens_details": {"cached_tokens": 128},
            "output_tokens": 52, "output_tokens_details": {"reasoning_tokens": 32}, "total_tokens": 380}
}`);

const DEEPSEEK = JSON.parse(`{
  "usage": {"prompt_tokens": 1300, "completion_tokens": 20, "total_tokens": 1320,
            "prompt_cache_hit_tokens": 1280, "prompt_cache_miss_tokens": 20}
}`);

const ANTHROPIC_MESSAGE = JSON.parse(`{
  "id": "msg_01XFDUDYJgAACzvnptvVoYEL", "type": "message", "role": "assistant",
  "model": "claude-3-5-sonnet-20241022",
  "content": [{"type": "text", "text": "Hello!"}],
  "stop_reason": "end_turn", "stop_sequence": null,
  "usage": {"input_tokens": 21, "cache_creation_input_tokens": 188086, "cache_read_input_tokens": 0,
            "output_tokens": 393, "service_tier": "standard"}
}`);

// A stream: message_start carries the input counts, the last message_delta the cumulative output.
const ANTHROPIC_START = JSON.parse(`{"type": "message_start", "message": {
  "id": "msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY", "type": "message", "role": "assistant", "content": [],
  "model": "claude-3-5-sonnet-20241022", "stop_reason": null, "stop_sequence": null,
  "usage": {"input_tokens": 25, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 2048, "output_tokens": 1}}}`);
const ANTHROPIC_LAST_DELTA = JSON.parse(`{"type": "message_delta",
  "delta": {"stop_reason": "end_turn", "stop_sequence": null}, "usage": {"output_tokens": 15}}`);

test('OpenAI chat completion: cached and reasoning tokens are parts of the totals', () => {
  assert.deepEqual(usageFromOpenAI(OPENAI_CHAT.usage), {
    promptTokens: 1117,
    completionTokens: 846,
    cachedPromptTokens: 1024,
    cacheCreationTokens: 0,
    reasoningTokens: 640,
  });
});

test("OpenAI stream: the final chunk's usage", () => {
  assert.deepEqual(usageFromJson(OPENAI_STREAM_LAST.usage), {
    promptTokens: 2006,
    completionTokens: 300,
    cachedPromptTokens: 1920,
    cacheCreationTokens: 0,
    reasoningTokens: 0,
  });
});

test('OpenAI Responses API: input_tokens/output_tokens with their details, read as OpenAI by usageFromJson', () => {
  const expected = {
    promptTokens: 328,
    completionTokens: 52,
    cachedPromptTokens: 128,
    cacheCreationTokens: 0,
    reasoningTokens: 32,
  };
  assert.deepEqual(usageFromOpenAI(OPENAI_RESPONSES.usage), expected);
  assert.deepEqual(usageFromJson(OPENAI_RESPONSES.usage), expected);
});

test("DeepSeek: prompt_cache_hit_tokens counts as cached when cached_tokens is absent", () => {
  assert.equal(usageFromJson(DEEPSEEK.usage)?.cachedPromptTokens, 1280);
  assert.equal(usageFromJson(DEEPSEEK.usage)?.promptTokens, 1300);
});

test('Anthropic message: the separate input counts are added into promptTokens', () => {
  const expected = {
    promptTokens: 21 + 188086,
    completionTokens: 393,
    cachedPromptTokens: 0,
    cacheCreationTokens: 188086,
    reasoningTokens: 0,
  };
  assert.deepEqual(usageFromAnthropic(ANTHROPIC_MESSAGE.usage), expected);
  assert.deepEqual(usageFromJson(ANTHROPIC_MESSAGE.usage), expected);
});

test("Anthropic stream: message_start's usage overlaid with the last message_delta's", () => {
  const usage = { ...ANTHROPIC_START.message.usage, ...ANTHROPIC_LAST_DELTA.usage };
  assert.deepEqual(usageFromJson(usage), {
    promptTokens: 25 + 2048,
    completionTokens: 15,
    cachedPromptTokens: 2048,
    cacheCreationTokens: 0,
    reasoningTokens: 0,
  });
});

test('a bare {input_tokens, output_tokens} reads alike in both formats', () => {
  const bare = { input_tokens: 10, output_tokens: 4 };
  assert.deepEqual(usageFromAnthropic(bare), usageFromOpenAI(bare));
});

test('no usage, or no token count in it, is null; bad counts read as absent', () => {
  for (const u of [undefined, null, 'usage', 42, [], {}, { total_tokens: 5 }]) {
    assert.equal(usageFromJson(u), null, JSON.stringify(u));
    assert.equal(usageFromOpenAI(u), null, JSON.stringify(u));
    assert.equal(usageFromAnthropic(u), null, JSON.stringify(u));
  }
  assert.deepEqual(usageFromOpenAI({ prompt_tokens: 7, completion_tokens: -1, prompt_tokens_details: null }), {
    promptTokens: 7,
    completionTokens: 0,
    cachedPromptTokens: 0,
    cacheCreationTokens: 0,
    reasoningTokens: 0,
  });
  // An embeddings response has prompt tokens only.
  assert.equal(usageFromJson({ prompt_tokens: 8, total_tokens: 8 })?.completionTokens, 0);
});

// ---- usageFromResponseBody / readUsageMembers: the one-pass reader must read what JSON.parse reads ----

const MEMBER_NAMES = [
  'prompt_tokens', 'completion_tokens', 'input_tokens', 'output_tokens', 'total_tokens',
  'prompt_tokens_details', 'completion_tokens_details', 'input_tokens_details', 'output_tokens_details',
  'cached_tokens', 'cache_creation_tokens', 'cache_write_tokens', 'reasoning_tokens', 'prompt_cache_hit_tokens',
  'cache_read_input_tokens', 'cache_creation_input_tokens', 'audio_tokens', 'server_tool_use', 'service_tier',
];

/** JSON text of a random usage-like value, with random spacing; `depth` bounds the nesting. */
function randomJson(next: () => number, depth: number): string {
  const space = () => [' ', '', '\n  ', '\t'][Math.floor(next() * 4)];
  const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)];
  const roll = next();
  if (depth > 0 && roll < 0.3) {
    const members: string[] = [];
    const count = Math.floor(next() * 6);
    for (let i = 0; i < count; i++) {
      const name = pick(MEMBER_NAMES);
      // Now and then a key written with an escape (the reader leaves those to JSON.parse).
      const key = next() < 0.05 ? JSON.stringify(name).replace('_', '\\u005f') : JSON.stringify(name);
      members.push(`${space()}${key}${space()}:${space()}${randomJson(next, depth - 1)}`);
    }
    return `{${members.join(',')}${space()}}`;
  }
  if (depth > 0 && roll < 0.35) return `[${space()}${[randomJson(next, depth - 1), randomJson(next, depth - 1)].join(',')}]`;
  if (roll < 0.75) return String(Math.floor(next() * 100_000));
  return pick(['0', '-3', '1.5', '2e3', '7E-1', '12.0', 'null', 'true', 'false', '"x"', '"a \\" b \\\\"', '"\\u00e9}{"', '[]', '{}']);
}

test('readUsageMembers: usageFromJson reads the same as after JSON.parse, for 5,000 random usage objects', async () => {
  const { readUsageMembers } = await import('../../src/spend/usage.js');
  const next = seeded(20261127);
  for (let n = 0; n < 5000; n++) {
    let text = randomJson(next, 3);
    if (!text.startsWith('{')) text = `{"prompt_tokens": ${text}, "completion_tokens": 3}`;
    const expected = usageFromJson(JSON.parse(text));
    const read = readUsageMembers(Buffer.from(`{"id":"x","usage": ${text}}`), 19);
    assert.deepEqual(usageFromJson(read), expected, text);
  }
});

test('usageFromResponseBody: the last usage of an answer, whatever surrounds it; null when there is none or it is broken', async () => {
  const { usageFromResponseBody } = await import('../../src/spend/usage.js');
  const answer = (usage: string) => Buffer.from(`{"id":"chatcmpl-1","choices":[{"message":{"content":"the \\"usage\\": {} word"}}],"usage":${usage}}`);
  assert.deepEqual(usageFromResponseBody(answer('{"prompt_tokens":231,"completion_tokens":46,"total_tokens":277,"prompt_tokens_details":{"cached_tokens":200,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":10}}')), {
    promptTokens: 231, completionTokens: 46, cachedPromptTokens: 200, cacheCreationTokens: 0, reasoningTokens: 10,
  });
  assert.deepEqual(usageFromResponseBody(Buffer.from('{"usage":{"input_tokens":5,"cache_read_input_tokens":7,"output_tokens":2}}')), {
    promptTokens: 12, completionTokens: 2, cachedPromptTokens: 7, cacheCreationTokens: 0, reasoningTokens: 0,
  });
  assert.equal(usageFromResponseBody(Buffer.from('{"id":"x"}')), null);
  assert.equal(usageFromResponseBody(answer('{"prompt_tokens":01}')), null); // not JSON: a leading zero
  assert.equal(usageFromResponseBody(answer('{"prompt_tokens":0x10}')), null);
  assert.equal(usageFromResponseBody(answer('{"prompt_tokens":5,')), null); // cut short
  assert.equal(usageFromResponseBody(answer('null')), null);
});
