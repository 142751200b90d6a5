/**
 * The plain text fast path (plain-body.ts over src/frontdoor/openai/plain-chat.ts) against the
 * generic path it stands in for: for every body of the plain shape, the bytes it writes parse to
 * what anthropicMessagesBody + JSON.stringify sends, keys in the same order (compared as
 * JSON.stringify of the parsed bytes, which keeps their order); bodies of any other shape are
 * left to the generic path. A corpus of hand-written bodies first, then seeded random ones.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { readPlainChat } from '../../../src/frontdoor/openai/plain-chat.js';
import { adapter } from '../../../src/providers/anthropic/index.js';
import { anthropicBodyFromPlain } from '../../../src/providers/anthropic/plain-body.js';
import { anthropicMessagesBody, type AnthropicBodyOptions } from '../../../src/providers/anthropic/request.js';
import type { OpenAIChatRequest, UpstreamTarget } from '../../../src/providers/types.js';
import { chance, jsonArray, jsonObject, jsonString, pick, randomText, seeded, shuffled, space, strictJson, type Random } from './plain-json.js';
import { anthropicTarget, type TargetOptions } from './target.js';

const MESSAGES_API: AnthropicBodyOptions = { includeModel: true };

/** The generic path's bytes, as text. */
function genericBody(text: string, target: UpstreamTarget, options: AnthropicBodyOptions): string {
  return JSON.stringify(anthropicMessagesBody(JSON.parse(text) as OpenAIChatRequest, target, options));
}

/** The fast path's bytes, or null when it leaves the body to the generic path. */
function fastBody(text: string, target: UpstreamTarget, options: AnthropicBodyOptions): Buffer | null {
  const bytes = strictJson(text);
  const plain = readPlainChat(bytes);
  return plain === null ? null : anthropicBodyFromPlain(bytes, plain, target, options);
}

/** The fast path takes `text` and sends what the generic path would. */
function assertEquivalent(text: string, targetOptions: TargetOptions = {}, options = MESSAGES_API): void {
  const target = anthropicTarget(targetOptions);
  const fast = fastBody(text, target, options);
  assert.notEqual(fast, null, `the fast path refused a plain body: ${text}`);
  assert.equal(JSON.stringify(JSON.parse(fast!.toString('utf8'))), genericBody(text, target, options), `for ${text}`);
}

function assertNotPlain(body: unknown): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  assert.equal(readPlainChat(strictJson(text)), null, `read as plain: ${text}`);
  assert.equal(adapter.chat!.requestFromBody!(strictJson(text), anthropicTarget()), null);
}

const conversation = [
  { role: 'system', content: 'You are a support assistant.' },
  { role: 'user', content: 'Hi, order 48213 still says "processing".' },
  { role: 'assistant', content: 'Thanks. Would you like me to split the order?' },
  { role: 'user', content: 'Yes please.' },
];

describe('anthropic plain fast path: the same body as the generic path', () => {
  test('the common conversation, written compactly', () => {
    assertEquivalent(JSON.stringify({ model: 'claude', messages: conversation }));
  });

  test('the adapter request: same path and headers as request(), the fast body', () => {
    const target = anthropicTarget();
    const text = JSON.stringify({ model: 'claude', messages: conversation, max_tokens: 100 });
    const fast = adapter.chat!.requestFromBody!(strictJson(text), target)!;
    const generic = adapter.chat!.request(JSON.parse(text) as OpenAIChatRequest, target) as { path: string; headerBlock: string; body: Buffer };
    assert.equal(fast.path, generic.path);
    assert.equal(fast.headerBlock, generic.headerBlock);
    assert.equal(fast.body.toString('utf8'), generic.body.toString('utf8'));
  });

  test('system and developer messages anywhere, empty ones left out; no system at all', () => {
    assertEquivalent(JSON.stringify({
      model: 'm',
      messages: [
        { role: 'user', content: 'a' },
        { role: 'developer', content: 'Be brief.' },
        { role: 'assistant', content: 'b' },
        { role: 'system', content: '' },
        { role: 'system', content: 'Rules' },
        { role: 'user', content: 'c' },
        { role: 'developer', content: '' },
      ],
    }));
    assertEquivalent(JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'only' }] }));
    assertEquivalent(JSON.stringify({ model: 'm', messages: [{ role: 'system', content: '' }, { role: 'user', content: 'x' }] }));
  });

  test('consecutive turns of one role merge; empty assistant text left out, empty user text kept', () => {
    assertEquivalent(JSON.stringify({
      model: 'm',
      messages: [
        { role: 'assistant', content: '' },
        { role: 'user', content: 'a' },
        { role: 'user', content: '' },
        { role: 'system', content: 'between' },
        { role: 'user', content: 'b' },
        { role: 'assistant', content: '' },
        { role: 'assistant', content: 'c' },
        { role: 'assistant', content: '' },
        { role: 'user', content: 'd' },
        { role: 'assistant', content: '' },
      ],
    }));
  });

  test('no messages, or only system messages: an empty conversation', () => {
    assertEquivalent('{"model":"m","messages":[]}');
    assertEquivalent('{"model":"m","messages":[ ]}');
    assertEquivalent(JSON.stringify({ model: 'm', messages: [{ role: 'system', content: 'x' }, { role: 'developer', content: 'y' }] }));
  });

  test('escapes and raw UTF-8 are copied as written', () => {
    const content = String.raw`He said \"hi\" \\ C:\\path\nnext\tline \u00e9 \u00E9 \ud83d\ude00 \/ \u2028 \u0000 ` + 'é € 😀 \u2028 raw';
    assertEquivalent(`{"model":"m","messages":[{"role":"system","content":"${content}"},{"role":"user","content":"${content}"},{"role":"assistant","content":"\\\\"},{"role":"user","content":"\\\\\\""}]}`);
    assertEquivalent(`{"model":"m","messages":[{"role":"user","content":"ends with a backslash \\\\"},{"role":"assistant","content":"\\"quoted\\""}]}`);
  });

  test('stop: a string, an array, an empty array, null, with escapes', () => {
    assertEquivalent(JSON.stringify({ model: 'm', messages: conversation, stop: 'END' }));
    assertEquivalent(JSON.stringify({ model: 'm', messages: conversation, stop: ['END', '\n\nHuman:', ''] }));
    assertEquivalent(JSON.stringify({ model: 'm', messages: conversation, stop: [] }));
    assertEquivalent(JSON.stringify({ model: 'm', messages: conversation, stop: null }));
    assertEquivalent('{"model":"m","messages":[],"stop":["\\u0045ND","a\\"b"]}');
  });

  test('stop under drop_params: kept when none is blank, else the generic path drops the blank ones', () => {
    assertEquivalent(JSON.stringify({ model: 'm', messages: conversation, stop: ['END', ' x '] }), { dropParams: true });
    assertEquivalent(JSON.stringify({ model: 'm', messages: conversation, stop: 'END' }), { dropParams: true });
    const target = anthropicTarget({ dropParams: true });
    const blank = [' ', ['END', '\n\t'], ['\u00a0']].map((stop) => JSON.stringify({ model: 'm', messages: [], stop }));
    for (const text of [...blank, '{"model":"m","messages":[],"stop":"\\u0020"}']) {
      assert.equal(fastBody(text, target, MESSAGES_API), null, text);
    }
    // Without drop_params a blank stop is sent as written (Anthropic answers with its own error).
    assertEquivalent(JSON.stringify({ model: 'm', messages: conversation, stop: [' '] }));
  });

  test('user: sent as metadata.user_id, unless empty, an e-mail address or a phone number', () => {
    for (const user of ['user-123', 'alice@example.com', '+1 (555) 123-4567', '', 'ü-user', null]) {
      assertEquivalent(JSON.stringify({ model: 'm', messages: conversation, user }));
    }
    assertEquivalent('{"model":"m","messages":[],"user":"\\u0075ser-\\"1\\""}');
    assertEquivalent('{"model":"m","messages":[],"user":"alice\\u0040example.com"}');
  });

  test('max_tokens, else max_completion_tokens, else 4096; numbers as JSON.parse reads them', () => {
    assertEquivalent(JSON.stringify({ model: 'm', messages: conversation, max_completion_tokens: 300 }));
    assertEquivalent(JSON.stringify({ model: 'm', messages: conversation, max_tokens: 200, max_completion_tokens: 300 }));
    assertEquivalent(JSON.stringify({ model: 'm', messages: conversation, max_tokens: null, max_completion_tokens: 300 }));
    assertEquivalent(JSON.stringify({ model: 'm', messages: conversation, max_tokens: null, max_completion_tokens: null }));
    assertEquivalent('{"model":"m","messages":[],"max_tokens":1E3,"temperature":0.70,"top_p":-0}');
    assertEquivalent('{"model":"m","messages":[],"max_tokens":1e21,"temperature":1.5e-7,"top_p":0.1000000000000000055511151231257827}');
  });

  test('temperature and top_p copied; null left out', () => {
    assertEquivalent(JSON.stringify({ model: 'm', messages: conversation, temperature: 0.2, top_p: 0.9 }));
    assertEquivalent(JSON.stringify({ model: 'm', messages: conversation, temperature: null, top_p: null }));
  });

  test('stream: "stream":true when the call streams; stream_options read past', () => {
    const text = JSON.stringify({ model: 'm', messages: conversation, stream: true, stream_options: { include_usage: true, extra: ['}', { a: '"' }] } });
    assertEquivalent(text, { stream: true });
    assertEquivalent(JSON.stringify({ model: 'm', messages: conversation, stream: false, stream_options: null }));
    assertEquivalent(JSON.stringify({ model: 'm', messages: conversation, stream: null }));
  });

  test('whitespace between every token, keys in any order', () => {
    const text = ' \n{ "messages" :\t[ { "content" : "a" , "role" : "user" } ,\r\n {"role":"assistant","content":"b"} ] , "user" : "u" ,\n'
      + ' "top_p" : 1 , "stop" : [ "x" , "y" ] , "temperature" : 0 , "max_completion_tokens" : 5 , "model" : "m" , "stream" : true , "stream_options" : { } } \n';
    assertEquivalent(text, { stream: true });
  });

  test('the upstream model as the deployment names it, non-ASCII included; calls to two models in turn', () => {
    const text = JSON.stringify({ model: 'alias', messages: conversation });
    assertEquivalent(text, { upstreamModel: 'claude-modèle-ü' });
    assertEquivalent(text, { upstreamModel: 'claude-"quoted"' });
    assertEquivalent(text, { upstreamModel: 'claude-sonnet-4-5' });
    assertEquivalent(text, { upstreamModel: 'claude-modèle-ü' });
  });

  test('the Vertex AI form: no model, anthropic_version first', () => {
    assertEquivalent(JSON.stringify({ model: 'm', messages: conversation, stop: 'x', user: 'u' }), {}, { includeModel: false, anthropicVersion: 'vertex-2023-10-16' });
  });
});

describe('anthropic plain fast path: bodies left to the generic path', () => {
  const user = { role: 'user', content: 'Hi' };
  const cases: [string, unknown][] = [
    ['tools', { model: 'm', messages: [user], tools: [{ type: 'function', function: { name: 'f' } }] }],
    ['tool_choice', { model: 'm', messages: [user], tool_choice: 'auto' }],
    ['content parts', { model: 'm', messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }] }],
    ['an image', { model: 'm', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://x/y.png' } }] }] }],
    ['a tool message', { model: 'm', messages: [user, { role: 'tool', tool_call_id: 'c', content: 'r' }] }],
    ['an assistant tool call', { model: 'm', messages: [{ role: 'assistant', content: null, tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{}' } }] }] }],
    ['null content', { model: 'm', messages: [{ role: 'assistant', content: null }] }],
    ['no content', { model: 'm', messages: [{ role: 'user' }] }],
    ['no role', { model: 'm', messages: [{ content: 'x' }] }],
    ['a numeric content', { model: 'm', messages: [{ role: 'user', content: 5 }] }],
    ['a message name', { model: 'm', messages: [{ role: 'user', content: 'x', name: 'bob' }] }],
    ['cache_control on a message', { model: 'm', messages: [{ role: 'user', content: 'x', cache_control: { type: 'ephemeral' } }] }],
    ['an unknown role', { model: 'm', messages: [{ role: 'function', content: 'x' }] }],
    ['a message that is no object', { model: 'm', messages: ['hi'] }],
    ['n', { model: 'm', messages: [user], n: 1 }],
    ['an unknown key', { model: 'm', messages: [user], metadata: { a: 1 } }],
    ['response_format', { model: 'm', messages: [user], response_format: { type: 'json_object' } }],
    ['reasoning_effort', { model: 'm', messages: [user], reasoning_effort: 'low' }],
    ['top_k', { model: 'm', messages: [user], top_k: 5 }],
    ['a stop number', { model: 'm', messages: [user], stop: [1] }],
    ['a nested stop array', { model: 'm', messages: [user], stop: [['x']] }],
    ['a temperature string', { model: 'm', messages: [user], temperature: '0.5' }],
    ['a numeric user', { model: 'm', messages: [user], user: 7 }],
    ['a max_tokens object', { model: 'm', messages: [user], max_tokens: {} }],
    ['messages that are no array', { model: 'm', messages: {} }],
    ['a numeric model', { model: 5, messages: [user] }],
    ['stream_options as an array', { model: 'm', messages: [user], stream_options: [] }],
    ['an empty object', {}],
  ];
  for (const [name, body] of cases) {
    test(name, () => assertNotPlain(body));
  }

  test('keys written with escapes, given twice, or a role with escapes', () => {
    assertNotPlain('{"model":"m","m\\u0065ssages":[]}');
    assertNotPlain('{"model":"m","messages":[],"messages":[]}');
    assertNotPlain('{"model":"m","messages":[{"role":"user","role":"user","content":"x"}]}');
    assertNotPlain('{"model":"m","messages":[{"role":"user","content":"x","content":"y"}]}');
    assertNotPlain('{"model":"m","messages":[{"role":"us\\u0065r","content":"x"}]}');
    assertNotPlain('{"model":"m","messages":[{"r\\u006fle":"user","content":"x"}]}');
  });

  test('a number that JSON.parse reads as Infinity', () => {
    assertNotPlain('{"model":"m","messages":[],"max_tokens":1e400}');
  });
});

// ---- seeded random plain bodies ----

const ROLES = ['system', 'developer', 'user', 'assistant'];

/** A random plain body and the call it is made for. */
function randomPlainBody(next: Random): { text: string; target: TargetOptions } {
  const messages = Array.from({ length: Math.floor(next() * 7) }, () => {
    const entries: [string, string][] = [['role', JSON.stringify(pick(next, ROLES))], ['content', jsonString(next, chance(next, 0.15) ? '' : randomText(next))]];
    return jsonObject(next, shuffled(next, entries));
  });
  const entries: [string, string][] = [['model', jsonString(next, randomText(next, 2) || 'm')], ['messages', jsonArray(next, messages)]];
  const number = () => pick(next, ['0', '1', '-1', '0.5', '256', '1e3', '2.50', '-0', 'null', '4096']);
  if (chance(next, 0.3)) entries.push(['max_tokens', number()]);
  if (chance(next, 0.3)) entries.push(['max_completion_tokens', number()]);
  if (chance(next, 0.3)) entries.push(['temperature', number()]);
  if (chance(next, 0.3)) entries.push(['top_p', number()]);
  if (chance(next, 0.3)) entries.push(['stream', pick(next, ['true', 'false', 'null'])]);
  if (chance(next, 0.2)) entries.push(['stream_options', pick(next, ['null', '{}', '{"include_usage":true}', '{ "include_usage" : false }'])]);
  if (chance(next, 0.3)) {
    const stops = Array.from({ length: Math.floor(next() * 4) }, () => jsonString(next, pick(next, [' ', '\n', 'END', randomText(next, 2)])));
    entries.push(['stop', chance(next, 0.3) && stops.length > 0 ? stops[0] : chance(next, 0.1) ? 'null' : jsonArray(next, stops)]);
  }
  if (chance(next, 0.3)) entries.push(['user', chance(next, 0.1) ? 'null' : jsonString(next, pick(next, ['user-1', 'bob@example.com', '+44 20 7946 0958', '', randomText(next, 3)]))]);
  const text = space(next) + jsonObject(next, shuffled(next, entries)) + space(next);
  return { text, target: { stream: chance(next, 0.5), dropParams: chance(next, 0.3), upstreamModel: pick(next, ['claude-sonnet-4-5', 'claude-é']) } };
}

test('seeded random plain bodies: the fast path sends what the generic path sends', () => {
  const next = seeded(20260315);
  let fastTaken = 0;
  for (let i = 0; i < 3000; i++) {
    const { text, target: targetOptions } = randomPlainBody(next);
    const target = anthropicTarget(targetOptions);
    const generic = genericBody(text, target, MESSAGES_API);
    const fast = fastBody(text, target, MESSAGES_API);
    if (fast === null) {
      // Only a blank stop sequence under drop_params is left to the generic path.
      const stop = (JSON.parse(text) as { stop?: unknown }).stop;
      const stops = stop === null || stop === undefined ? [] : typeof stop === 'string' ? [stop] : (stop as string[]);
      assert.ok(target.dropParams && stops.some((s) => s.trim() === ''), `refused: ${text}`);
      continue;
    }
    fastTaken++;
    assert.equal(JSON.stringify(JSON.parse(fast.toString('utf8'))), generic, `for ${text} with ${JSON.stringify(targetOptions)}`);
  }
  assert.ok(fastTaken > 2500, `the fast path took only ${fastTaken} of 3000 bodies`);
});
