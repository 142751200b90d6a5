/**
 * The upstream response parser on every framing, split at every byte, and on malformed input.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ResponseParser, type ResponseSink } from '../../src/upstream/response-parser.js';

interface Outcome {
  status: number;
  headers: Record<string, string>;
  keepAlive: boolean;
  body: string;
  complete: boolean;
  error: string | null;
}

function collector(): { sink: ResponseSink; outcome: Outcome } {
  const outcome: Outcome = { status: 0, headers: {}, keepAlive: false, body: '', complete: false, error: null };
  const pieces: Buffer[] = [];
  const sink: ResponseSink = {
    onHead(status, headers, keepAlive) {
      outcome.status = status;
      outcome.headers = headers;
      outcome.keepAlive = keepAlive;
    },
    onBody(chunk) {
      pieces.push(Buffer.from(chunk));
      outcome.body = Buffer.concat(pieces).toString('utf8');
      return true;
    },
    onComplete() {
      outcome.complete = true;
    },
    onError(error) {
      assert.equal(outcome.error, null, 'onError is called once');
      outcome.error = error.message;
    },
  };
  return { sink, outcome };
}

/** Parses `raw` split at every position (and whole), checking each split gives `expected`. */
function parseAllSplits(raw: string, expected: Partial<Outcome>, end = false): void {
  const bytes = Buffer.from(raw, 'utf8');
  for (let split = 0; split <= bytes.length; split++) {
    const { sink, outcome } = collector();
    const parser = new ResponseParser(sink);
    parser.push(bytes.subarray(0, split));
    parser.push(bytes.subarray(split));
    if (end) parser.end();
    for (const [key, value] of Object.entries(expected)) {
      assert.deepEqual(outcome[key as keyof Outcome], value, `split at ${split}: ${key}`);
    }
  }
}

test('content-length body, headers lower-cased and joined', () => {
  parseAllSplits('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-A: 1\r\nx-a: 2\r\nContent-Length: 11\r\n\r\n{"ok":true}', {
    status: 200,
    headers: { 'content-type': 'application/json', 'x-a': '1, 2', 'content-length': '11' },
    keepAlive: true,
    body: '{"ok":true}',
    complete: true,
    error: null,
  });
});

test('chunked body with extensions and trailers, unicode split inside a chunk', () => {
  const payload = 'héllo 世界 🧑🏽‍💻';
  const bytes = Buffer.from(payload);
  const first = bytes.subarray(0, 7);
  const second = bytes.subarray(7);
  const raw = Buffer.concat([
    Buffer.from(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${first.length.toString(16)};ext=1\r\n`),
    first,
    Buffer.from(`\r\n${second.length.toString(16).toUpperCase()}\r\n`),
    second,
    Buffer.from('\r\n0\r\nX-Trailer: t\r\n\r\n'),
  ]).toString('latin1');
  // Split as bytes: rebuild the string from latin1 so every byte position is a split point.
  const all = Buffer.from(raw, 'latin1');
  for (let split = 0; split <= all.length; split++) {
    const { sink, outcome } = collector();
    const parser = new ResponseParser(sink);
    parser.push(all.subarray(0, split));
    parser.push(all.subarray(split));
    assert.equal(outcome.error, null);
    assert.equal(outcome.complete, true, `split ${split}`);
    assert.equal(outcome.body, payload);
  }
});

test('interim 100 Continue is skipped', () => {
  parseAllSplits('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok', { status: 201, body: 'ok', complete: true });
});

test('a body without length runs until the connection closes and is not kept alive', () => {
  parseAllSplits('HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\ndata: 1\n\ndata: 2\n\n', {
    status: 200,
    keepAlive: false,
    body: 'data: 1\n\ndata: 2\n\n',
    complete: true,
  }, true);
});

test('Connection: close and HTTP/1.0 are not kept alive', () => {
  parseAllSplits('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n', { keepAlive: false, complete: true });
  parseAllSplits('HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n', { keepAlive: false, complete: true });
  parseAllSplits('HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n', { keepAlive: true, complete: true });
});

test('204 has no body', () => {
  parseAllSplits('HTTP/1.1 204 No Content\r\n\r\n', { status: 204, body: '', complete: true });
});

test('a connection that ends mid-body is an error', () => {
  const { sink, outcome } = collector();
  const parser = new ResponseParser(sink);
  parser.push(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'));
  parser.end();
  assert.match(outcome.error ?? '', /closed the connection before the response was complete/);
  assert.equal(outcome.complete, false);
});

test('malformed responses are reported once, with what is wrong', () => {
  const cases: [string, RegExp][] = [
    ['HTTP/2 200\r\n\r\n', /invalid status line/],
    ['HTTP/1.1 200 OK\r\nno colon here\r\n\r\n', /invalid header line/],
    ['HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n', /invalid content-length/],
    ['HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n', /unsupported transfer-encoding/],
    ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', /invalid chunk size/],
    ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX', /missing CRLF after chunk data/],
    ['HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nab', /unexpected bytes after the response/],
  ];
  for (const [raw, expected] of cases) {
    const { sink, outcome } = collector();
    new ResponseParser(sink).push(Buffer.from(raw));
    assert.match(outcome.error ?? 'no error', expected, raw);
  }
});

test('an oversized head is refused', () => {
  const { sink, outcome } = collector();
  const parser = new ResponseParser(sink);
  parser.push(Buffer.from('HTTP/1.1 200 OK\r\n'));
  for (let i = 0; i < 100 && outcome.error === null; i++) parser.push(Buffer.from(`x-filler: ${'a'.repeat(1000)}\r\n`));
  assert.match(outcome.error ?? '', /response head larger than/);
});

test('a bare CR or LF in the head is refused (a header value must not smuggle a line)', () => {
  for (const raw of ['HTTP/1.1 200 OK\r\nX-A: one\ntwo\r\nContent-Length: 0\r\n\r\n', 'HTTP/1.1 200 OK\r\nX-A: one\rtwo\r\nContent-Length: 0\r\n\r\n']) {
    const { sink, outcome } = collector();
    new ResponseParser(sink).push(Buffer.from(raw, 'latin1'));
    assert.equal(outcome.error, 'invalid upstream response: bare CR or LF in the response head');
    assert.equal(outcome.status, 0);
  }
});
