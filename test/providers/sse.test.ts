/**
 * The SSE reader every streaming adapter uses: events out of bytes split anywhere, with LF, CRLF
 * or CR line ends, multi-line data, comments and other fields skipped, characters split across
 * reads kept whole, and the unterminated last event given at the end.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SseReader } from '../../src/providers/sse.js';

/** The events of `text` fed in pieces of `step` bytes. */
function read(text: string, step = Infinity): string[] {
  const bytes = Buffer.from(text, 'utf8');
  const reader = new SseReader();
  const events: string[] = [];
  const size = Math.min(step, bytes.length) || 1;
  for (let at = 0; at < bytes.length; at += size) events.push(...reader.feed(bytes.subarray(at, at + size)));
  events.push(...reader.end());
  return events;
}

const EVENTS = 'event: a\ndata: {"x":1}\n\n: a comment\ndata: {"y":"Grüße 🌍"}\nid: 7\nretry: 10\n\n';

test('each event is its data; event, id, retry and comment lines add nothing', () => {
  assert.deepEqual(read(EVENTS), ['{"x":1}', '{"y":"Grüße 🌍"}']);
});

test('any byte split gives the same events, multi-byte characters whole', () => {
  for (const step of [1, 2, 3, 5, 13]) assert.deepEqual(read(EVENTS, step), ['{"x":1}', '{"y":"Grüße 🌍"}'], `step ${step}`);
});

test('CRLF and lone CR end lines too, a CRLF split across reads included', () => {
  const crlf = EVENTS.replace(/\n/g, '\r\n');
  const cr = EVENTS.replace(/\n/g, '\r');
  for (const step of [1, 2, 7, Infinity]) {
    assert.deepEqual(read(crlf, step), ['{"x":1}', '{"y":"Grüße 🌍"}'], `CRLF, step ${step}`);
    assert.deepEqual(read(cr, step), ['{"x":1}', '{"y":"Grüße 🌍"}'], `CR, step ${step}`);
  }
  assert.deepEqual(read('data: a\r\n\ndata: b\n\r\n'), ['a', 'b'], 'mixed line ends');
});

test('data lines of one event are joined with LF; one space after the colon is dropped', () => {
  assert.deepEqual(read('data: one\ndata:two\ndata:  three\n\n'), ['one\ntwo\n three']);
  assert.deepEqual(read('data:\n\n'), ['']);
});

test('an event without data is none; the last event needs no blank line', () => {
  assert.deepEqual(read('event: ping\n\n: keep-alive\n\ndata: [DONE]'), ['[DONE]']);
  assert.deepEqual(read('data: last\n'), ['last']);
  assert.deepEqual(read(''), []);
});
