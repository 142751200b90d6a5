/**
 * Canonical messages as Gemini contents: roles, system instruction, media parts, tool calls and
 * their results (merged, named after the call), and the messages that cannot be sent.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GatewayError } from '../../../src/errors.js';
import { geminiTurns } from '../../../src/providers/gemini/messages.js';
import type { OpenAIMessage } from '../../../src/providers/types.js';

test('system and developer messages become the system instruction; user and assistant alternate as user/model', () => {
  const turns = geminiTurns([
    { role: 'system', content: 'You are a cat.' },
    { role: 'user', content: 'Hello' },
    { role: 'assistant', content: 'Meow.' },
    { role: 'developer', content: [{ type: 'text', text: 'Answer briefly.' }] },
    { role: 'user', content: 'Your name?' },
  ]);
  assert.deepEqual(turns, {
    systemInstruction: { parts: [{ text: 'You are a cat.' }, { text: 'Answer briefly.' }] },
    contents: [
      { role: 'user', parts: [{ text: 'Hello' }] },
      { role: 'model', parts: [{ text: 'Meow.' }] },
      { role: 'user', parts: [{ text: 'Your name?' }] },
    ],
  });
});

test('consecutive messages of one role merge into one turn; empty text is left out', () => {
  const turns = geminiTurns([
    { role: 'user', content: 'one' },
    { role: 'user', content: '' },
    { role: 'user', content: [{ type: 'text', text: 'two' }] },
  ]);
  assert.deepEqual(turns.contents, [{ role: 'user', parts: [{ text: 'one' }, { text: 'two' }] }]);
  assert.equal(turns.systemInstruction, undefined);
});

test('images: a data URL travels inline, an https URL as file_data with the type its extension names', () => {
  const turns = geminiTurns([{
    role: 'user',
    content: [
      { type: 'text', text: 'What is in these?' },
      { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
      { type: 'image_url', image_url: { url: 'https://example.com/photos/cat.webp?size=large', detail: 'high' } },
      { type: 'image_url', image_url: { url: 'https://example.com/render' } },
      { type: 'image_url', image_url: { url: 'gs://bucket/scan.pdf' } },
    ],
  }]);
  assert.deepEqual(turns.contents[0].parts, [
    { text: 'What is in these?' },
    { inline_data: { mime_type: 'image/png', data: 'iVBORw0KGgo=' } },
    { file_data: { mime_type: 'image/webp', file_uri: 'https://example.com/photos/cat.webp?size=large' } },
    { file_data: { mime_type: 'image/jpeg', file_uri: 'https://example.com/render' } },
    { file_data: { mime_type: 'application/pdf', file_uri: 'gs://bucket/scan.pdf' } },
  ]);
});

test('audio and file parts', () => {
  const turns = geminiTurns([{
    role: 'user',
    content: [
      { type: 'input_audio', input_audio: { data: 'UklGRg==', format: 'wav' } },
      { type: 'file', file: { file_data: 'data:application/pdf;base64,JVBERi0=' } },
      { type: 'file', file: { file_id: 'https://generativelanguage.googleapis.com/v1beta/files/abc', format: 'video/mp4' } },
    ],
  }]);
  assert.deepEqual(turns.contents[0].parts, [
    { inline_data: { mime_type: 'audio/wav', data: 'UklGRg==' } },
    { inline_data: { mime_type: 'application/pdf', data: 'JVBERi0=' } },
    { file_data: { mime_type: 'video/mp4', file_uri: 'https://generativelanguage.googleapis.com/v1beta/files/abc' } },
  ]);
});

test('tool calls become functionCall parts (with the signature the id carries); results become one turn of functionResponse parts', () => {
  const messages: OpenAIMessage[] = [
    { role: 'user', content: 'Weather in Paris and Rome?' },
    {
      role: 'assistant',
      content: 'Checking.',
      tool_calls: [
        { id: 'call_1__thought__c2lnLTE=', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
        { id: 'call_2', type: 'function', function: { name: 'get_time', arguments: '' } },
      ],
    },
    { role: 'tool', tool_call_id: 'call_2', content: '12:00' },
    { role: 'tool', tool_call_id: 'call_1__thought__c2lnLTE=', content: [{ type: 'text', text: 'sunny, ' }, { type: 'text', text: '21C' }] },
    { role: 'user', content: 'Thanks' },
  ];
  assert.deepEqual(geminiTurns(messages).contents, [
    { role: 'user', parts: [{ text: 'Weather in Paris and Rome?' }] },
    {
      role: 'model',
      parts: [
        { text: 'Checking.' },
        { functionCall: { name: 'get_weather', args: { city: 'Paris' } }, thoughtSignature: 'c2lnLTE=' },
        { functionCall: { name: 'get_time', args: {} } },
      ],
    },
    {
      role: 'user',
      parts: [
        { functionResponse: { name: 'get_time', response: { content: '12:00' } } },
        { functionResponse: { name: 'get_weather', response: { content: 'sunny, 21C' } } },
        { text: 'Thanks' },
      ],
    },
  ]);
});

test('a legacy function message is named by its name', () => {
  const turns = geminiTurns([
    { role: 'user', content: 'x' },
    { role: 'function', name: 'lookup', content: '{"ok":true}' },
  ]);
  assert.deepEqual(turns.contents[0].parts[1], { functionResponse: { name: 'lookup', response: { content: '{"ok":true}' } } });
});

test('messages that cannot be sent are refused with invalid_body naming them', () => {
  const cases: [OpenAIMessage[], RegExp][] = [
    [[{ role: 'tool', tool_call_id: 'call_unknown', content: 'x' }], /messages\[0\]\.tool_call_id matches no tool call/],
    [[{ role: 'assistant', content: null, tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{not json' } }] }], /messages\[0\]\.tool_calls\[0\]\.function\.arguments is not valid JSON/],
    [[{ role: 'assistant', content: null, tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '[1]' } }] }], /must be a JSON object/],
    [[{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:;base64' } }] }], /messages\[0\]\.content\[0\] is a data URL/],
    [[{ role: 'user', content: [{ type: 'refusal', refusal: 'no' }] }], /type 'refusal' cannot be sent/],
    [[{ role: 'system', content: [{ type: 'image_url', image_url: { url: 'https://x/y.png' } }] }], /must be a text part/],
  ];
  for (const [messages, pattern] of cases) {
    assert.throws(() => geminiTurns(messages), (error: unknown) => error instanceof GatewayError && error.code === 'invalid_body' && pattern.test(error.message), String(pattern));
  }
});
