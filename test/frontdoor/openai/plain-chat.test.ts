/**
 * The plain chat reader (src/frontdoor/openai/plain-chat.ts): what it reads of a plain body (roles,
 * content spans that are the client's JSON strings, numbers as JSON.parse reads them, stop and user
 * spans), the string walk under runs of backslashes, and that a cut body reads as not plain
 * without looping. Which bodies are plain is pinned against the generic path in
 * test/providers/anthropic/plain-body.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { stringEnd, stringValue } from '../../../src/frontdoor/openai/json-spans.js';
import { PlainRole, readPlainChat, type PlainChatRequest } from '../../../src/frontdoor/openai/plain-chat.js';

function read(text: string): PlainChatRequest {
  const plain = readPlainChat(Buffer.from(text, 'utf8'));
  assert.notEqual(plain, null, text);
  return plain!;
}

/** Each message as [role, its content as written]. */
function messagesOf(plain: PlainChatRequest): [PlainRole, string][] {
  const out: [PlainRole, string][] = [];
  for (let i = 0; i < plain.messages.length; i += 3) out.push([plain.messages[i], plain.bytes.slice(plain.messages[i + 1], plain.messages[i + 2])]);
  return out;
}

describe('plain chat reader', () => {
  test('roles and content spans, quotes and escapes included, in either key order', () => {
    const plain = read('{"model":"m","messages":[{"role":"system","content":"S"},{"content":"a\\"b\\\\","role":"user"},{"role":"assistant","content":""},{"role":"developer","content":"\\u00e9"}]}');
    assert.deepEqual(messagesOf(plain), [
      [PlainRole.System, '"S"'],
      [PlainRole.User, '"a\\"b\\\\"'],
      [PlainRole.Assistant, '""'],
      [PlainRole.Developer, '"\\u00e9"'],
    ]);
  });

  test('a span indexes the bytes: raw multi-byte UTF-8 stays as its bytes', () => {
    const text = '{"model":"m","messages":[{"role":"user","content":"é😀"}]}';
    const plain = read(text);
    const bytes = Buffer.from(text, 'utf8');
    assert.equal(bytes.toString('utf8', plain.messages[1], plain.messages[2]), '"é😀"');
    assert.equal(Buffer.from(plain.bytes.slice(plain.messages[1], plain.messages[2]), 'latin1').toString('utf8'), '"é😀"');
  });

  test('numbers as JSON.parse reads them; null or absent is null', () => {
    const plain = read('{"model":"m","messages":[],"max_tokens":1E3,"max_completion_tokens":null,"temperature":-0,"top_p":0.50}');
    assert.equal(plain.maxTokens, 1000);
    assert.equal(plain.maxCompletionTokens, null);
    assert.ok(Object.is(plain.temperature, -0));
    assert.equal(plain.topP, 0.5);
    const bare = read('{"model":"m","messages":[]}');
    assert.deepEqual([bare.maxTokens, bare.maxCompletionTokens, bare.temperature, bare.topP, bare.stop, bare.userStart, bare.userEnd], [null, null, null, null, null, -1, -1]);
  });

  test('stop: one string is one span; an array, each; null is none', () => {
    const spans = (plain: PlainChatRequest) => {
      const out: string[] = [];
      for (let i = 0; i < plain.stop!.length; i += 2) out.push(plain.bytes.slice(plain.stop![i], plain.stop![i + 1]));
      return out;
    };
    assert.deepEqual(spans(read('{"model":"m","messages":[],"stop":"END"}')), ['"END"']);
    assert.deepEqual(spans(read('{"model":"m","messages":[],"stop":[ "a" , "\\n" ]}')), ['"a"', '"\\n"']);
    assert.deepEqual(spans(read('{"model":"m","messages":[],"stop":[]}')), []);
    assert.equal(read('{"model":"m","messages":[],"stop":null}').stop, null);
  });

  test('user: its span, decoded on demand with its escapes', () => {
    const text = '{"model":"m","user":"u\\u0040x\\"é","messages":[]}';
    const plain = read(text);
    assert.equal(plain.bytes.slice(plain.userStart, plain.userEnd), '"u\\u0040x\\"\u00c3\u00a9"');
    assert.equal(stringValue(Buffer.from(text, 'utf8'), plain.userStart, plain.userEnd), 'u@x"é');
    assert.equal(read('{"model":"m","messages":[],"user":null}').userStart, -1);
  });

  test('a string ends at the first quote after an even run of backslashes', () => {
    const json = String.raw`"a\"b\\" "c\\\"d\\\\" "\\\\\""`;
    const first = stringEnd(json, 0);
    assert.equal(json.slice(0, first + 1), String.raw`"a\"b\\"`);
    const second = stringEnd(json, first + 2);
    assert.equal(json.slice(first + 2, second + 1), String.raw`"c\\\"d\\\\"`);
    assert.equal(json.slice(second + 2, stringEnd(json, second + 2) + 1), String.raw`"\\\\\""`);
    assert.equal(stringEnd('"no end', 0), -1);
  });

  test('every cut of a plain body reads as not plain, without looping or throwing', () => {
    const text = '{ "model" : "m", "messages" : [ {"role":"user","content":"a\\"}"}, {"content":"b","role":"assistant"} ], "stop" : ["x"], "user" : "u", '
      + '"stream_options" : {"include_usage": true, "x": ["}"]}, "temperature" : 0.5 }';
    assert.notEqual(readPlainChat(Buffer.from(text)), null);
    for (let length = 0; length < text.length; length++) {
      assert.equal(readPlainChat(Buffer.from(text.slice(0, length))), null, `cut at ${length}`);
    }
  });
});
