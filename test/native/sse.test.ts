import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Worker } from 'node:worker_threads';

import { StreamUsageScanner, type StreamFormat, type StreamUsage } from '../../src/native/index.js';
import { seededRandom as prng } from '../support/seeded-random.js';

function packageRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

const FIXTURES = join(packageRoot(dirname(fileURLToPath(import.meta.url))), 'native', 'test', 'fixtures');
const fixtureNames = readdirSync(FIXTURES).filter((name) => name.endsWith('.sse')).sort();
const fixture = (name: string): Buffer => readFileSync(join(FIXTURES, name));
const formatOf = (name: string): StreamFormat => (name.startsWith('anthropic') ? 'anthropic' : 'openai');

/** Cuts bytes into chunks of 1 to maxChunk bytes. */
function randomChunks(bytes: Uint8Array, rand: () => number, maxChunk: number): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; ) {
    const length = 1 + Math.floor(rand() * maxChunk);
    chunks.push(bytes.subarray(at, at + length));
    at += length;
  }
  return chunks;
}

interface Outcome {
  usage: StreamUsage | null;
  model: string | null;
  finishReason: string | null;
  errorType: string | null;
  text: string;
  done: boolean;
  events: number;
  forwarded: Buffer;
}

function scanAll(format: StreamFormat, chunks: Uint8Array[], strip = false): Outcome {
  const scanner = new StreamUsageScanner(format, { stripUsageEvent: strip, collectText: true });
  const forwarded: Uint8Array[] = [];
  for (const chunk of chunks) forwarded.push(scanner.feed(chunk));
  forwarded.push(scanner.end());
  const stats = scanner.stats();
  const outcome = {
    usage: scanner.usage(),
    model: scanner.model(),
    finishReason: scanner.finishReason(),
    errorType: scanner.errorType(),
    text: scanner.outputText().toString('utf8'),
    done: stats.done,
    events: stats.events,
    forwarded: Buffer.concat(forwarded),
  };
  scanner.close();
  return outcome;
}

type Json = Record<string, any>;

/**
 * What the stream says, read with JSON.parse: the independent model the native scanner is held
 * to. Fixtures use LF line ends and one data line per event.
 */
function expectedOf(format: StreamFormat, bytes: Buffer): Omit<Outcome, 'forwarded'> {
  const fields = ['inputTokens', 'outputTokens', 'totalTokens', 'cacheReadTokens', 'cacheCreationTokens', 'reasoningTokens'] as const;
  let usage: StreamUsage | null = null;
  let model: string | null = null;
  let finishReason: string | null = null;
  let errorType: string | null = null;
  let text = '';
  let done = false;
  let events = 0;
  const take = (value: unknown) => {
    if (typeof value === 'string') text += value;
  };
  const count = (value: unknown) => (typeof value === 'number' ? value : null);
  for (const block of bytes.toString('utf8').split('\n\n')) {
    const data = block.split('\n').filter((line) => line.startsWith('data: ')).map((line) => line.slice(6));
    if (data.length === 0) continue;
    events++;
    if (data[0] === '[DONE]') {
      done = true;
      continue;
    }
    const event = JSON.parse(data.join('\n')) as Json;
    if (format === 'openai') {
      if (typeof event.model === 'string') model = event.model;
      if (event.usage) {
        const u = event.usage as Json;
        usage = {
          inputTokens: count(u.prompt_tokens),
          outputTokens: count(u.completion_tokens),
          totalTokens: count(u.total_tokens),
          cacheReadTokens: count(u.prompt_tokens_details?.cached_tokens),
          cacheCreationTokens: null,
          reasoningTokens: count(u.completion_tokens_details?.reasoning_tokens),
        };
      }
      for (const choice of (event.choices ?? []) as Json[]) {
        if (typeof choice.finish_reason === 'string') finishReason = choice.finish_reason;
        take(choice.text);
        const delta = (choice.delta ?? {}) as Json;
        take(delta.content);
        take(delta.reasoning_content);
        take(delta.refusal);
        for (const call of (delta.tool_calls ?? []) as Json[]) {
          take(call.function?.name);
          take(call.function?.arguments);
        }
      }
      if (event.error) errorType = event.error.type ?? errorType;
    } else {
      const merge = (u: Json | undefined) => {
        if (!u) return;
        usage ??= Object.fromEntries(fields.map((f) => [f, null])) as unknown as StreamUsage;
        const pairs: Array<[keyof StreamUsage, unknown]> = [
          ['inputTokens', u.input_tokens],
          ['outputTokens', u.output_tokens],
          ['cacheReadTokens', u.cache_read_input_tokens],
          ['cacheCreationTokens', u.cache_creation_input_tokens],
        ];
        for (const [field, value] of pairs) if (typeof value === 'number') usage[field] = value;
      };
      if (event.type === 'message_start') model = event.message.model;
      merge(event.message?.usage);
      merge(event.usage);
      if (event.type === 'content_block_start') take(event.content_block.name);
      if (event.type === 'content_block_delta') {
        take(event.delta.text);
        take(event.delta.partial_json);
        take(event.delta.thinking);
      }
      if (event.type === 'message_delta' && typeof event.delta.stop_reason === 'string') finishReason = event.delta.stop_reason;
      if (event.type === 'message_stop') done = true;
      if (event.type === 'error') errorType = event.error.type;
    }
  }
  return { usage, model, finishReason, errorType, text, done, events };
}

test('fixture streams: usage, model, finish reason and text agree with JSON.parse, however split', () => {
  assert.ok(fixtureNames.length >= 8, `fixtures in ${FIXTURES}`);
  const rand = prng(0x55e);
  for (const name of fixtureNames) {
    const bytes = fixture(name);
    const format = formatOf(name);
    const expected = expectedOf(format, bytes);
    assert.ok(expected.usage !== null, name);
    const whole = scanAll(format, [bytes]);
    const { forwarded, ...values } = whole;
    assert.deepEqual(values, expected, name);
    assert.ok(forwarded.equals(bytes), name);
    for (let round = 0; round < 20; round++) {
      const split = scanAll(format, randomChunks(bytes, rand, round < 10 ? 8 : 300));
      assert.deepEqual(split, whole, `${name} round ${round}`);
    }
    const perByte = scanAll(format, randomChunks(bytes, () => 0, 1));
    assert.deepEqual(perByte, whole, `${name} byte by byte`);
  }
});

test('line ends: CRLF and CR streams read like LF ones', () => {
  for (const name of fixtureNames) {
    const lf = fixture(name);
    const want = scanAll(formatOf(name), [lf]);
    for (const eol of ['\r\n', '\r']) {
      const variant = Buffer.from(lf.toString('latin1').replaceAll('\n', eol), 'latin1');
      const got = scanAll(formatOf(name), randomChunks(variant, prng(lf.length), 50));
      assert.deepEqual({ ...got, forwarded: null }, { ...want, forwarded: null }, `${name} ${JSON.stringify(eol)}`);
      assert.ok(got.forwarded.equals(variant));
    }
  }
});

test('stripUsageEvent removes exactly the usage-only event, however split', () => {
  const bytes = fixture('openai_chat_usage.sse');
  const text = bytes.toString('latin1');
  const usageAt = text.indexOf('"choices":[],"usage":{');
  const start = text.lastIndexOf('\n\ndata: ', usageAt) + 2;
  const end = text.indexOf('\n\n', usageAt) + 2;
  const want = Buffer.concat([bytes.subarray(0, start), bytes.subarray(end)]);
  const rand = prng(7);
  for (let round = 0; round < 50; round++) {
    const scanner = new StreamUsageScanner('openai', { stripUsageEvent: true, collectText: false });
    const out: Uint8Array[] = [];
    for (const chunk of randomChunks(bytes, rand, round % 2 ? 16 : 700)) {
      out.push(scanner.feed(chunk));
      if (round % 5 === 0) out.push(scanner.feed(Buffer.alloc(0))); // empty chunks change nothing
    }
    out.push(scanner.end());
    assert.ok(Buffer.concat(out).equals(want), `round ${round}`);
    const stats = scanner.stats();
    assert.equal(stats.strippedEvents, 1);
    assert.equal(stats.strippedBytes, end - start);
    assert.equal(stats.usageEventStart, start);
    assert.equal(stats.usageEventEnd, end);
    assert.equal(scanner.usage()?.inputTokens, 19);
    scanner.close();
  }
});

test('feed returns the chunk itself, or a view of it, when nothing needs copying', () => {
  const bytes = fixture('openai_chat_usage.sse');
  const events = bytes.toString('latin1').split(/(?<=\n\n)/).map((e) => Buffer.from(e, 'latin1'));
  for (const strip of [false, true]) {
    const scanner = new StreamUsageScanner('openai', { stripUsageEvent: strip, collectText: true });
    // One event per chunk, as providers flush: each forwarded chunk is the same object.
    for (const event of events.slice(0, 3)) assert.equal(scanner.feed(event), event);
    // Two events and the start of a third: when stripping, the complete events are forwarded
    // as a view over the chunk, and the held start comes with the rest of its event.
    const chunk = Buffer.concat([events[3], events[4], events[5].subarray(0, 10)]);
    const first = scanner.feed(chunk);
    if (strip) {
      assert.equal(first.buffer, chunk.buffer);
      assert.equal(first.byteOffset, chunk.byteOffset);
      assert.equal(first.length, events[3].length + events[4].length);
      assert.deepEqual(Buffer.from(scanner.feed(events[5].subarray(10))), events[5]);
    } else {
      assert.equal(first, chunk);
      scanner.feed(events[5].subarray(10));
    }
    scanner.close();
  }
  // A plain Uint8Array view with a byte offset: the forwarded prefix is a view of the same
  // memory, and offsets count from the view's start.
  const head = Buffer.concat([events[0], events[1], events[2].subarray(0, 4)]);
  const backing = new Uint8Array(head.length + 5);
  backing.set(head, 5);
  const view = backing.subarray(5);
  const scanner = new StreamUsageScanner('openai', { stripUsageEvent: true, collectText: true });
  const out = scanner.feed(view);
  assert.ok(!Buffer.isBuffer(out));
  assert.equal(out.buffer, backing.buffer);
  assert.equal(out.byteOffset, 5);
  assert.equal(out.length, events[0].length + events[1].length);
  assert.equal(scanner.outputText().toString(), 'Hello');
  assert.equal(scanner.stats().bytesIn, head.length);
  scanner.close();
});

test('malformed and oversized events are counted and skipped', () => {
  const good = (s: string) => `data: {"choices":[{"delta":{"content":"${s}"}}]}\n\n`;
  const stream = Buffer.from(
    good('a') +
      'data: {"choices":[{"delta":{"content":"lost"}}],\n\n' +
      `data: {"choices":[{"delta":{"content":"${'x'.repeat(300)}"}}]}\n\n` +
      good('b') +
      'data: {"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}\n\n',
  );
  const scanner = new StreamUsageScanner('openai', { stripUsageEvent: false, collectText: true, maxEventBytes: 200 });
  for (const chunk of randomChunks(stream, prng(3), 13)) scanner.feed(chunk);
  scanner.end();
  const stats = scanner.stats();
  assert.equal(stats.events, 5);
  assert.equal(stats.malformedEvents, 1);
  assert.equal(stats.oversizedEvents, 1);
  assert.equal(scanner.outputText().toString(), 'ab');
  assert.deepEqual(scanner.usage(), {
    inputTokens: 3,
    outputTokens: 2,
    totalTokens: 5,
    cacheReadTokens: null,
    cacheCreationTokens: null,
    reasoningTokens: null,
  });
  scanner.close();
});

test('no usage: the collected text is there to count, and takeOutputText drains it', () => {
  const scanner = new StreamUsageScanner('anthropic', { stripUsageEvent: false, collectText: true, maxTextBytes: 12 });
  const delta = (t: string) =>
    `event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"${t}"}}\n\n`;
  scanner.feed(Buffer.from(delta('Hello') + delta(' wor')));
  assert.equal(scanner.usage(), null);
  assert.equal(scanner.takeOutputText().toString(), 'Hello wor');
  assert.equal(scanner.stats().textBytes, 0);
  scanner.feed(Buffer.from(delta('ld') + delta(' and more text')));
  // The cap counts afresh after a take; a piece that would pass it is not added.
  assert.equal(scanner.outputText().toString(), 'ld');
  assert.equal(scanner.stats().textTruncated, true);
  // The upstream aborted mid-event: end() still reads what is complete.
  scanner.feed(Buffer.from('event: message_delta\ndata: {"type":"message_delta","usage":{"output_tokens":9}}'));
  assert.equal(scanner.end().length, 0);
  assert.equal(scanner.stats().endedMidEvent, true);
  assert.equal(scanner.usage()?.outputTokens, 9);
  scanner.close();
});

test('options are validated before the native call', () => {
  const base = { stripUsageEvent: false, collectText: true };
  const bad: Array<[unknown, unknown]> = [
    ['gemini', base],
    ['openai', null],
    ['openai', { ...base, collectTxt: true }],
    ['openai', { ...base, stripUsageEvent: 1 }],
    ['openai', { collectText: true }],
    ['anthropic', { ...base, stripUsageEvent: true }],
    ['openai', { ...base, maxEventBytes: 0 }],
    ['openai', { ...base, maxEventBytes: 1.5 }],
    ['openai', { ...base, maxTextBytes: -1 }],
  ];
  for (const [format, options] of bad) {
    assert.throws(
      () => new StreamUsageScanner(format as StreamFormat, options as never),
      (e: Error & { code?: string }) => e instanceof TypeError && e.code === 'ERR_INVALID_ARG_VALUE',
      JSON.stringify([format, options]),
    );
  }
});

test('calls after end() and close() fail clearly; close is idempotent', () => {
  const scanner = new StreamUsageScanner('openai', { stripUsageEvent: false, collectText: false });
  scanner.feed(Buffer.from('data: [DONE]\n\n'));
  scanner.end();
  assert.throws(() => scanner.feed(Buffer.from('x')), { code: 'ERR_SSE_ENDED' });
  assert.equal(scanner.stats().done, true);
  scanner.close();
  scanner.close();
  assert.equal(scanner.closed, true);
  assert.throws(() => scanner.usage(), { code: 'ERR_SSE_CLOSED' });
  assert.throws(() => scanner.feed(Buffer.from('x')), { code: 'ERR_SSE_CLOSED' });
  const other = new StreamUsageScanner('openai', { stripUsageEvent: false, collectText: false });
  assert.throws(() => other.feed('text' as unknown as Uint8Array), TypeError);
  other.close();
});

test('many scanners at once keep their streams apart', () => {
  const rand = prng(11);
  const streams = fixtureNames.map((name) => ({ name, format: formatOf(name), bytes: fixture(name) }));
  const scanners = Array.from({ length: 64 }, (_, k) => {
    const s = streams[k % streams.length];
    return {
      ...s,
      scanner: new StreamUsageScanner(s.format, { stripUsageEvent: false, collectText: true }),
      chunks: randomChunks(s.bytes, rand, 40),
      next: 0,
    };
  });
  // Interleave: every scanner gets one chunk per turn until all are done.
  for (let live = scanners.length; live > 0; ) {
    live = 0;
    for (const s of scanners) {
      if (s.next < s.chunks.length) s.scanner.feed(s.chunks[s.next++]);
      if (s.next < s.chunks.length) live++;
    }
  }
  for (const s of scanners) {
    s.scanner.end();
    const expected = expectedOf(s.format, s.bytes);
    assert.deepEqual(s.scanner.usage(), expected.usage, s.name);
    assert.equal(s.scanner.outputText().toString(), expected.text, s.name);
    s.scanner.close();
  }
});

test('scans in 4 worker threads at once', async () => {
  const moduleUrl = new URL('../../src/native/index.js', import.meta.url).href;
  // Worker eval code is CommonJS; the ESM wrapper is loaded with a dynamic import.
  const source = `
    const { parentPort, workerData } = require('node:worker_threads');
    const { readFileSync } = require('node:fs');
    import(workerData.moduleUrl).then(({ StreamUsageScanner }) => {
      const results = [];
      for (const { path, format } of workerData.streams) {
        const bytes = readFileSync(path);
        let usage = null;
        let text = '';
        for (let round = 0; round < 200; round++) {
          const scanner = new StreamUsageScanner(format, { stripUsageEvent: false, collectText: true });
          const step = 1 + ((round * 7 + workerData.id) % 97);
          for (let at = 0; at < bytes.length; at += step) scanner.feed(bytes.subarray(at, at + step));
          scanner.end();
          const u = JSON.stringify(scanner.usage());
          const t = scanner.outputText().toString();
          scanner.close();
          if (round > 0 && (u !== usage || t !== text)) throw new Error('results differ across rounds');
          usage = u;
          text = t;
        }
        results.push({ usage: JSON.parse(usage), text });
      }
      parentPort.postMessage(results);
    });`;
  const streams = fixtureNames.map((name) => ({ path: join(FIXTURES, name), format: formatOf(name) }));
  const expected = fixtureNames.map((name) => {
    const e = expectedOf(formatOf(name), fixture(name));
    return { usage: e.usage, text: e.text };
  });
  const runs = [0, 1, 2, 3].map(
    (id) =>
      new Promise<unknown>((resolve, reject) => {
        const worker = new Worker(source, { eval: true, workerData: { moduleUrl, id, streams } });
        worker.once('message', resolve);
        worker.once('error', reject);
        worker.once('exit', (code) => {
          if (code !== 0) reject(new Error(`worker ${id} exited with ${code}`));
        });
      }),
  );
  for (const result of await Promise.all(runs)) assert.deepEqual(result, expected);
});

test('no leaks: 100k scanners created and closed, and 100k left to the GC, keep RSS flat', async () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const chunk = fixture('openai_chat_usage.sse').subarray(0, 700);
  const round = async (close: boolean) => {
    for (let k = 0; k < 100_000; k++) {
      const scanner = new StreamUsageScanner('openai', { stripUsageEvent: true, collectText: true });
      scanner.feed(chunk);
      if (close) scanner.close();
    }
    // Node runs the finalizers of collected native handles from the event loop.
    gc();
    await new Promise((resolve) => setImmediate(resolve));
    gc();
  };
  await round(true);
  await round(false);
  const before = process.memoryUsage().rss;
  for (let r = 0; r < 3; r++) {
    await round(true);
    await round(false);
  }
  const growth = process.memoryUsage().rss - before;
  // 600k more scanners, each holding a partial event: a leak of even 100 bytes each would show.
  assert.ok(growth < 48 * 1024 * 1024, `RSS grew by ${(growth / 1048576).toFixed(1)} MiB`);
});
