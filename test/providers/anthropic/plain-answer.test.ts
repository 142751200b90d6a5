/**
 * The plain answer fast path (plain-answer.ts) against the generic path it stands in for: for
 * every plain Anthropic answer, the chat.completion text it writes parses to what
 * chatCompletionFromBody + JSON.stringify makes (keys in the same order, `created` aside, which is
 * the clock's), with the same usage; any other answer is left to the generic path. A corpus of
 * answers first (Anthropic's reference example among them), then seeded random ones.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { adapter } from '../../../src/providers/anthropic/index.js';
import { plainCompletion } from '../../../src/providers/anthropic/plain-answer.js';
import { chatCompletionFromBody } from '../../../src/providers/anthropic/response.js';
import { chance, jsonArray, jsonObject, jsonString, pick, randomText, seeded, shuffled, space, type Random } from './plain-json.js';
import { anthropicTarget } from './target.js';

const target = anthropicTarget();

/** The fast path takes `text` and writes what the generic path would. */
function assertEquivalent(text: string): void {
  const body = Buffer.from(text, 'utf8');
  const fast = plainCompletion(body);
  assert.notEqual(fast, null, `the fast path refused a plain answer: ${text}`);
  const generic = chatCompletionFromBody(body, target);
  const written = JSON.parse(fast!.body) as { created: unknown };
  assert.equal(typeof written.created, 'number');
  written.created = generic.created;
  assert.equal(JSON.stringify(written), JSON.stringify(generic), `for ${text}`);
  assert.deepEqual(fast!.usage, generic.usage);
}

function assertNotPlain(answer: unknown): void {
  const body = Buffer.isBuffer(answer) ? answer : Buffer.from(typeof answer === 'string' ? answer : JSON.stringify(answer), 'utf8');
  assert.equal(plainCompletion(body), null, `read as plain: ${body.toString('utf8')}`);
}

/** Anthropic's reference example answer (keys as its documentation lists them). */
const REFERENCE = {
  content: [{ text: 'Hi! My name is Claude.', type: 'text' }],
  id: 'msg_013Zva2CMHLNnXjNJJKqJ2EF',
  model: 'claude-sonnet-4-5-20250929',
  role: 'assistant',
  stop_reason: 'end_turn',
  stop_sequence: null,
  type: 'message',
  usage: { input_tokens: 2095, output_tokens: 503 },
};

function answer(fields: Record<string, unknown>): string {
  return JSON.stringify({ ...REFERENCE, ...fields });
}

describe('anthropic plain answer: the same chat.completion as the generic path', () => {
  test("Anthropic's reference example", () => assertEquivalent(JSON.stringify(REFERENCE)));

  test('the adapter offers it', () => {
    assert.equal(adapter.chat!.completionFromBody!(Buffer.from(JSON.stringify(REFERENCE)), target)!.body, plainCompletion(Buffer.from(JSON.stringify(REFERENCE)))!.body);
  });

  test('several text blocks joined, empty ones included; escapes and raw UTF-8 as written', () => {
    assertEquivalent(answer({ content: [{ type: 'text', text: 'one ' }, { type: 'text', text: '' }, { type: 'text', text: 'two "quoted" \\ é 😀\n' }] }));
    assertEquivalent(String.raw`{"id":"msg_1","model":"m","content":[{"type":"text","text":"\u00e9\ud83d"},{"type":"text","text":"\ude00 \/ \" \\"}],"stop_reason":"end_turn","usage":{"input_tokens":1,"output_tokens":2}}`);
    assertEquivalent('{"id":"msg_é","model":"claude-ü","content":[{"type":"text","text":"raw é € 😀 \u2028"}],"stop_reason":null,"usage":{"input_tokens":1,"output_tokens":2}}');
  });

  test('no text: content null', () => {
    assertEquivalent(answer({ content: [] }));
    assertEquivalent(answer({ content: [{ type: 'text', text: '' }] }));
    assertEquivalent(answer({ content: [{ type: 'text', text: '' }, { type: 'text', text: '' }] }));
  });

  test('text blocks with citations and other fields', () => {
    assertEquivalent(answer({ content: [{ citations: [{ type: 'char_location', cited_text: 'x"}', start_char_index: 0 }], type: 'text', text: 'cited' }, { type: 'text', text: '!', citations: null }] }));
  });

  test('every stop_reason, null and absent', () => {
    for (const stop_reason of ['end_turn', 'max_tokens', 'stop_sequence', 'tool_use', 'pause_turn', 'refusal', 'model_context_window_exceeded', 'something_new', null]) {
      assertEquivalent(answer({ stop_reason }));
    }
    const { stop_reason: _, ...without } = REFERENCE;
    assertEquivalent(JSON.stringify(without));
  });

  test('usage: cache reads and writes counted in the prompt; extra fields, null and absent counts', () => {
    assertEquivalent(answer({ usage: { input_tokens: 10, cache_creation_input_tokens: 200, cache_read_input_tokens: 3000, output_tokens: 7 } }));
    assertEquivalent(answer({
      usage: {
        input_tokens: 10, cache_creation_input_tokens: 0, cache_read_input_tokens: 0,
        cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 }, output_tokens: 7, service_tier: 'standard', server_tool_use: { web_search_requests: 1 },
      },
    }));
    assertEquivalent(answer({ usage: { input_tokens: null, output_tokens: 'x', cache_read_input_tokens: [1] } }));
    assertEquivalent(answer({ usage: {} }));
    assertEquivalent('{"id":"m","model":"m","content":[],"usage":{"input_tokens":1e2,"output_tokens":2.50,"cache_read_input_tokens":1e400}}');
  });

  test('whitespace between tokens, keys in any order, unknown keys skipped', () => {
    assertEquivalent(' {\n "usage" : { "output_tokens" : 3 , "input_tokens" : 4 } ,\t"container" : null , "content" : [ { "text" : "hi" , "type" : "text" } ] ,'
      + ' "context_management" : { "applied_edits" : [ ] } , "stop_reason" : "end_turn" , "model" : "m" , "id" : "msg" , "type" : "message" } \n');
  });
});

describe('anthropic plain answer: answers left to the generic path', () => {
  const cases: [string, unknown][] = [
    ['a tool_use block', answer({ content: [{ type: 'tool_use', id: 't', name: 'f', input: {} }] })],
    ['text then tool_use', answer({ content: [{ type: 'text', text: 'x' }, { type: 'tool_use', id: 't', name: 'f', input: {} }] })],
    ['a thinking block', answer({ content: [{ type: 'thinking', thinking: 'hmm', signature: 's' }, { type: 'text', text: 'x' }] })],
    ['a redacted_thinking block', answer({ content: [{ type: 'redacted_thinking', data: 'x' }] })],
    ['a block without type', answer({ content: [{ text: 'x' }] })],
    ['a block without text', answer({ content: [{ type: 'text' }] })],
    ['a text that is no string', answer({ content: [{ type: 'text', text: 5 }] })],
    ['an empty block', answer({ content: [{}] })],
    ['no usage', answer({ usage: undefined })],
    ['a null usage', answer({ usage: null })],
    ['a usage array', answer({ usage: [] })],
    ['no content', answer({ content: undefined })],
    ['a null content', answer({ content: null })],
    ['a content object', answer({ content: { type: 'text', text: 'x' } })],
    ['no id', answer({ id: undefined })],
    ['a numeric id', answer({ id: 5 })],
    ['no model', answer({ model: undefined })],
    ['a null model', answer({ model: null })],
    ['a numeric stop_reason', answer({ stop_reason: 1 })],
    ['an array', '[1]'],
    ['counts whose sum is no JSON number', answer({ usage: { input_tokens: 1.7e308, cache_read_input_tokens: 1.7e308, output_tokens: 0 } })],
  ];
  for (const [name, body] of cases) {
    test(name, () => assertNotPlain(body));
  }

  test('bytes that are no strict JSON', () => {
    const text = JSON.stringify(REFERENCE);
    assertNotPlain(text.slice(0, -1));
    assertNotPlain(text + 'x');
    assertNotPlain(Buffer.concat([Buffer.from(text.slice(0, 20)), Buffer.from([0xff]), Buffer.from(text.slice(20))]));
    assertNotPlain('{"id":"m","model":"m","content":[{"type":"text","text":"a\u0001"}],"usage":{}}');
  });

  test('keys written with escapes or given twice; a stop_reason with escapes', () => {
    assertNotPlain('{"id":"m","model":"m","\\u0063ontent":[],"content":[],"usage":{}}');
    assertNotPlain('{"id":"m","model":"m","content":[{"type":"text","t\\u0065xt":"a","text":"b"}],"usage":{}}');
    assertNotPlain('{"id":"m","model":"m","content":[],"usage":{"input_t\\u006fkens":1}}');
    assertNotPlain('{"id":"m","model":"m","content":[],"content":[],"usage":{}}');
    assertNotPlain('{"id":"m","model":"m","content":[{"type":"text","type":"text","text":"a"}],"usage":{}}');
    assertNotPlain('{"id":"m","model":"m","content":[],"usage":{"input_tokens":1,"input_tokens":2}}');
    assertNotPlain('{"id":"m","model":"m","content":[{"type":"t\\u0065xt","text":"a"}],"usage":{}}');
    assertNotPlain('{"id":"m","model":"m","content":[],"stop_reason":"end\\u005fturn","usage":{}}');
  });
});

// ---- seeded random plain answers ----

function randomAnswer(next: Random): string {
  const blocks = Array.from({ length: Math.floor(next() * 4) }, () => {
    const entries: [string, string][] = [['type', '"text"'], ['text', jsonString(next, randomText(next))]];
    if (chance(next, 0.2)) entries.push(['citations', pick(next, ['null', '[]', '[{"type":"char_location","cited_text":"\\"}"}]'])]);
    return jsonObject(next, shuffled(next, entries));
  });
  const count = () => pick(next, ['0', '1', '17', '2095', '1e2', 'null', '"3"']);
  const usage: [string, string][] = [];
  for (const name of ['input_tokens', 'output_tokens', 'cache_read_input_tokens', 'cache_creation_input_tokens']) {
    if (chance(next, 0.8)) usage.push([name, count()]);
  }
  if (chance(next, 0.3)) usage.push(['service_tier', '"standard"']);
  if (chance(next, 0.3)) usage.push(['cache_creation', '{"ephemeral_5m_input_tokens":0}']);
  const entries: [string, string][] = [
    ['id', jsonString(next, 'msg_' + randomText(next, 2))],
    ['type', '"message"'],
    ['role', '"assistant"'],
    ['model', jsonString(next, pick(next, ['claude-sonnet-4-5', 'claude-é']))],
    ['content', jsonArray(next, blocks)],
    ['usage', jsonObject(next, shuffled(next, usage))],
  ];
  if (chance(next, 0.9)) entries.push(['stop_reason', pick(next, ['"end_turn"', '"max_tokens"', '"stop_sequence"', '"refusal"', 'null'])]);
  if (chance(next, 0.5)) entries.push(['stop_sequence', pick(next, ['null', jsonString(next, randomText(next, 2))])]);
  return space(next) + jsonObject(next, shuffled(next, entries)) + space(next);
}

test('seeded random plain answers: the fast path writes what the generic path writes', () => {
  const next = seeded(20260316);
  for (let i = 0; i < 3000; i++) assertEquivalent(randomAnswer(next));
});
