import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { seededRandom as prng } from '../support/seeded-random.js';

import {
  JsonKind,
  nativeVersion,
  RequestScan,
  ScanError,
  ScanField,
} from '../../src/native/index.js';

const FIELDS: ReadonlyArray<readonly [ScanField, string]> = [
  [ScanField.Model, 'model'],
  [ScanField.Stream, 'stream'],
  [ScanField.StreamOptions, 'stream_options'],
  [ScanField.MaxTokens, 'max_tokens'],
  [ScanField.MaxCompletionTokens, 'max_completion_tokens'],
  [ScanField.User, 'user'],
  [ScanField.Messages, 'messages'],
];

const scanner = new RequestScan();

function spanText(body: Uint8Array, scan: RequestScan, field: ScanField): string {
  return Buffer.from(body.subarray(scan.start(field), scan.end(field))).toString('utf8');
}

test('exports the addon version', () => {
  assert.match(nativeVersion, /^\d+\.\d+\.\d+$/);
});

test('reports every field with its kind, span and value', () => {
  const body = Buffer.from(
    '{"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true},' +
      '"max_tokens":100,"max_completion_tokens":null,"user":"u-1",' +
      '"messages":[{"role":"user","content":"hi","model":"nested"}],"temperature":0.2}',
  );
  assert.equal(scanner.scan(body), ScanError.Ok);
  assert.equal(scanner.errorMessage(), 'ok');
  assert.equal(scanner.errorOffset(), 0);
  assert.equal(scanner.kind(ScanField.Model), JsonKind.String);
  assert.equal(scanner.stringValue(body, ScanField.Model), 'gpt-4o');
  const [start, end] = [scanner.start(ScanField.Model), scanner.end(ScanField.Model)];
  assert.equal(body.toString('latin1', start - 1, end + 1), '"gpt-4o"');
  assert.equal(scanner.booleanValue(body, ScanField.Stream), true);
  assert.equal(scanner.kind(ScanField.StreamOptions), JsonKind.Object);
  assert.equal(spanText(body, scanner, ScanField.StreamOptions), '{"include_usage":true}');
  assert.equal(scanner.numberValue(body, ScanField.MaxTokens), 100);
  assert.equal(scanner.kind(ScanField.MaxCompletionTokens), JsonKind.Null);
  assert.equal(scanner.stringValue(body, ScanField.User), 'u-1');
  assert.equal(scanner.kind(ScanField.Messages), JsonKind.Array);
  assert.deepEqual(JSON.parse(spanText(body, scanner, ScanField.Messages)), [
    { role: 'user', content: 'hi', model: 'nested' },
  ]);
});

test('typed accessors return null for other kinds and absent fields', () => {
  const body = Buffer.from('{"model":5,"stream":"yes","max_tokens":false}');
  assert.equal(scanner.scan(body), ScanError.Ok);
  assert.equal(scanner.stringValue(body, ScanField.Model), null);
  assert.equal(scanner.numberValue(body, ScanField.Model), 5);
  assert.equal(scanner.booleanValue(body, ScanField.Stream), null);
  assert.equal(scanner.booleanValue(body, ScanField.MaxTokens), false);
  assert.equal(scanner.numberValue(body, ScanField.MaxTokens), null);
  assert.equal(scanner.kind(ScanField.User), JsonKind.Absent);
  assert.equal(scanner.stringValue(body, ScanField.User), null);
  assert.equal(scanner.start(ScanField.User), 0);
  assert.equal(scanner.end(ScanField.User), 0);
});

test('stringValue decodes escapes and unicode like JSON.parse', () => {
  const text =
    '{"model":"gpt\\u002d4o \\ud83d\\ude00 \\"q\\" \\\\ \\/ \\n é 模型 😀","user":"\\uD800",' +
    '"messages":"\ufeffbom kept"}';
  const expected = JSON.parse(text) as Record<string, string>;
  for (const body of [Buffer.from(text), new TextEncoder().encode(text)]) {
    assert.equal(scanner.scan(body), ScanError.Ok);
    assert.equal(scanner.kind(ScanField.Model), JsonKind.StringEscaped);
    assert.equal(scanner.stringValue(body, ScanField.Model), expected.model);
    assert.equal(scanner.stringValue(body, ScanField.User), expected.user);
    assert.equal(scanner.kind(ScanField.Messages), JsonKind.String);
    assert.equal(scanner.stringValue(body, ScanField.Messages), '\ufeffbom kept');
  }
});

test('numberValue reads every JSON number form as JSON.parse does', () => {
  const numbers = ['0', '-0', '12', '-1.5', '1e3', '1E-3', '2.5e+10', '1234567890123456789012345'];
  for (const n of numbers) {
    const body = Buffer.from(`{"max_tokens":${n}}`);
    assert.equal(scanner.scan(body), ScanError.Ok, n);
    assert.ok(Object.is(scanner.numberValue(body, ScanField.MaxTokens), JSON.parse(n)), n);
  }
});

test('escaped keys match, nested keys do not, the last duplicate wins', () => {
  const body = Buffer.from(
    '{"x":{"model":"inner"},"mod\\u0065l":"first","messages":[{"user":"inner"}],"model":"last"}',
  );
  assert.equal(scanner.scan(body), ScanError.Ok);
  assert.equal(scanner.stringValue(body, ScanField.Model), 'last');
  assert.equal(scanner.kind(ScanField.User), JsonKind.Absent);
  const escaped = Buffer.from('{"mod\\u0065l":"only"}');
  assert.equal(scanner.scan(escaped), ScanError.Ok);
  assert.equal(scanner.stringValue(escaped, ScanField.Model), 'only');
});

test('offsets are relative to the view, not to its underlying ArrayBuffer', () => {
  const backing = Buffer.from('xxxxx{"model":"m1"}yyyy');
  const view = backing.subarray(5, backing.length - 4);
  assert.notEqual(view.byteOffset, 0);
  assert.equal(scanner.scan(view), ScanError.Ok);
  assert.equal(scanner.start(ScanField.Model), 10);
  assert.equal(scanner.stringValue(view, ScanField.Model), 'm1');
});

test('error messages name the problem and the byte offset', () => {
  const cases: Array<[string, ScanError, string]> = [
    ['', ScanError.Empty, 'request body is empty at byte 0'],
    ['  [1]', ScanError.NotObject, 'request body is not a JSON object at byte 2'],
    ['{"model" "x"}', ScanError.UnexpectedByte, 'unexpected character in JSON at byte 9'],
    ['{"model":"x"', ScanError.UnexpectedEnd, 'unexpected end of JSON at byte 12'],
    ['{"model":"a\nb"}', ScanError.BadString, 'control character in JSON string at byte 11'],
    ['{"model":"\\x"}', ScanError.BadEscape, 'invalid escape in JSON string at byte 10'],
    ['{"max_tokens":01}', ScanError.BadNumber, 'invalid JSON number at byte 15'],
    [`{"a":${'['.repeat(600)}`, ScanError.TooDeep,
      'JSON nested deeper than 512 levels at byte 516'],
    ['{} {}', ScanError.TrailingData, 'unexpected data after the JSON object at byte 3'],
  ];
  for (const [text, code, message] of cases) {
    assert.equal(scanner.scan(Buffer.from(text)), code, text);
    assert.equal(scanner.errorMessage(), message, text);
  }
  const overlong = Buffer.from([...Buffer.from('{"a":"'), 0xc0, 0xaf, ...Buffer.from('"}')]);
  assert.equal(scanner.scan(overlong), ScanError.BadUtf8);
  assert.equal(scanner.errorMessage(), 'invalid UTF-8 in JSON string at byte 6');
});

test('a failed scan clears the fields of the previous one', () => {
  assert.equal(scanner.scan(Buffer.from('{"model":"x"}')), ScanError.Ok);
  assert.equal(scanner.scan(Buffer.from('{"model":"x",}')), ScanError.UnexpectedByte);
  assert.equal(scanner.kind(ScanField.Model), JsonKind.Absent);
  assert.equal(scanner.stringValue(Buffer.from('{"model":"x",}'), ScanField.Model), null);
});

test('wrong argument types throw TypeError from the addon', () => {
  assert.throws(() => scanner.scan('{}' as unknown as Uint8Array), TypeError);
  assert.throws(() => scanner.scan(new Uint16Array(4) as unknown as Uint8Array), TypeError);
  assert.equal(scanner.scan(new Uint8Array(0)), ScanError.Empty);
});

test('a 600 KB unicode body scans and yields the model after it', () => {
  const content = 'Ünïcödé — 日本語 — 😀 and ASCII words. '.repeat(16000);
  const text = JSON.stringify({ messages: [{ role: 'user', content }], model: 'gpt-4o-mini' });
  const body = Buffer.from(text);
  assert.ok(body.length > 600_000);
  assert.equal(scanner.scan(body), ScanError.Ok);
  assert.equal(scanner.stringValue(body, ScanField.Model), 'gpt-4o-mini');
  assert.equal(scanner.end(ScanField.Messages), body.indexOf(',"model"'));
});

// Invalid UTF-8: JSON.parse(buffer.toString()) would accept these (the decoder substitutes
// U+FFFD), but a gateway that forwards bytes must not pass them upstream.
test('invalid UTF-8 inside strings is rejected although JSON.parse(toString) accepts it', () => {
  const invalid = [
    [0x80], [0xbf], [0xc0, 0xaf], [0xc1, 0xbf], [0xe0, 0x80, 0xaf], [0xed, 0xa0, 0x80],
    [0xed, 0xbf, 0xbf], [0xf0, 0x80, 0x80, 0xaf], [0xf4, 0x90, 0x80, 0x80],
    [0xf5, 0x80, 0x80, 0x80], [0xff], [0xfe], [0xc3], [0xe2, 0x82], [0xf0, 0x9f, 0x98],
    [0xc3, 0x41],
  ];
  for (const bad of invalid) {
    const body = Buffer.concat([Buffer.from('{"model":"ab'), Buffer.from(bad), Buffer.from('c"}')]);
    assert.doesNotThrow(() => JSON.parse(body.toString('utf8')));
    assert.equal(scanner.scan(body), ScanError.BadUtf8, body.toString('hex'));
    assert.equal(scanner.errorOffset(), 12, body.toString('hex'));
  }
});

// Deterministic generator of JSON-like texts: valid bodies, then random edits.
const KEYS = [
  'model', 'stream', 'stream_options', 'max_tokens', 'max_completion_tokens', 'user', 'messages',
  'mod\\u0065l', '\\u0075ser', 'role', 'content', 'Model', 'model ', 'temperature', '',
];
const STRINGS = [
  'gpt-4o', '', 'hello world', 'é', '模型', '😀', 'a\\"b', '\\\\', '\\n\\t', '\\u00e9',
  '\\uD83D\\uDE00', '\\uD800', '\u2028', '\u007f', 'x'.repeat(40),
];
const INSERTS = [
  '{', '}', '[', ']', '"', ',', ':', '\\', '0', '1', '-', '+', '.', 'e', 'E', 't', 'n', ' ',
  '\n', '\t', '\u0001', '\u007f', 'é', '😀', '\\u', '\\uD800', '\ufeff', '"model"', 'null',
];

function generate(rand: () => number): string {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)];
  const ws = (): string => (rand() < 0.8 ? '' : pick([' ', '\n', '\t', '\r\n  ']));
  const number = (): string =>
    pick(['0', '-0', '7', '-12', '3.25', '1e5', '-2E-3', '0.5e+2', '100000000000000000000']);
  const value = (depth: number): string => {
    const r = rand();
    if (depth > 4 || r < 0.35) return `"${pick(STRINGS)}"`;
    if (r < 0.5) return number();
    if (r < 0.6) return pick(['true', 'false', 'null']);
    if (r < 0.75) {
      const count = Math.floor(rand() * 4);
      const items = Array.from({ length: count }, () => ws() + value(depth + 1) + ws());
      return `[${items.join(',')}]`;
    }
    return object(depth + 1);
  };
  const object = (depth: number): string => {
    const members = Array.from(
      { length: Math.floor(rand() * 6) },
      () => `${ws()}"${pick(KEYS)}"${ws()}:${ws()}${value(depth)}${ws()}`,
    );
    return `{${members.join(',')}}`;
  };
  const top = rand() < 0.9 ? object(1) : value(1);
  return ws() + top + ws();
}

function mutate(text: string, rand: () => number): string {
  const at = Math.floor(rand() * (text.length + 1));
  const insert = INSERTS[Math.floor(rand() * INSERTS.length)];
  switch (Math.floor(rand() * 5)) {
    case 0: return text.slice(0, at) + text.slice(at + 1);
    case 1: return text.slice(0, at) + insert + text.slice(at);
    case 2: return text.slice(0, at) + insert + text.slice(at + 1);
    case 3: return text.slice(0, at);
    default: return text.slice(0, at) + text.slice(Math.floor(rand() * text.length));
  }
}

function expectedKinds(value: unknown): JsonKind[] {
  if (typeof value === 'string') return [JsonKind.String, JsonKind.StringEscaped];
  if (typeof value === 'number') return [JsonKind.Number];
  if (value === true) return [JsonKind.True];
  if (value === false) return [JsonKind.False];
  if (value === null) return [JsonKind.Null];
  return [Array.isArray(value) ? JsonKind.Array : JsonKind.Object];
}

function checkAgainstJsonParse(text: string): boolean {
  const body = Buffer.from(text, 'utf8');
  let parsed: unknown;
  let valid: boolean;
  try {
    parsed = JSON.parse(body.toString('utf8'));
    valid = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed);
  } catch {
    valid = false;
  }
  const code = scanner.scan(body);
  assert.equal(code === ScanError.Ok, valid, `${JSON.stringify(text)}: ${scanner.errorMessage()}`);
  if (!valid) return false;
  const object = parsed as Record<string, unknown>;
  for (const [field, name] of FIELDS) {
    const where = `${JSON.stringify(text)} field ${name}`;
    if (!Object.hasOwn(object, name)) {
      assert.equal(scanner.kind(field), JsonKind.Absent, where);
      continue;
    }
    const value = object[name];
    assert.ok(expectedKinds(value).includes(scanner.kind(field)), where);
    if (typeof value === 'string') {
      assert.equal(scanner.stringValue(body, field), value, where);
      const raw = body.subarray(scanner.start(field), scanner.end(field));
      assert.equal(scanner.kind(field) === JsonKind.StringEscaped, raw.includes(0x5c), where);
    } else if (typeof value === 'number') {
      assert.ok(Object.is(scanner.numberValue(body, field), value), where);
    } else {
      assert.deepEqual(JSON.parse(spanText(body, scanner, field)), value, where);
    }
  }
  return true;
}

test('differential: scan() succeeds iff JSON.parse yields an object; fields agree', () => {
  const rand = prng(0x5eed);
  let valid = 0;
  const total = 3000;
  for (let i = 0; i < total; i++) {
    let text = generate(rand);
    const edits = rand() < 0.5 ? 0 : 1 + Math.floor(rand() * 3);
    for (let e = 0; e < edits; e++) text = mutate(text, rand);
    if (checkAgainstJsonParse(text)) valid++;
  }
  // Both outcomes must be well represented or the comparison proves little.
  assert.ok(valid > total * 0.3 && valid < total * 0.8, `valid ${valid} of ${total}`);
});

test('loads and scans in 4 worker threads at once', async () => {
  const moduleUrl = new URL('../../src/native/index.js', import.meta.url).href;
  // Worker eval code is CommonJS; the ESM wrapper is loaded with a dynamic import.
  const source = `
    const { parentPort, workerData } = require('node:worker_threads');
    import(workerData.moduleUrl).then(({ RequestScan }) => {
      const scan = new RequestScan();
      let matches = 0;
      for (let i = 0; i < 5000; i++) {
        const model = 'm-' + workerData.id + '-' + i;
        const content = 'x'.repeat(i % 300);
        const body = Buffer.from(JSON.stringify({ messages: [{ role: 'user', content }], model }));
        if (scan.scan(body) === 0 && scan.stringValue(body, 0) === model) matches++;
      }
      parentPort.postMessage(matches);
    });`;
  const runs = [0, 1, 2, 3].map(
    (id) =>
      new Promise<number>((resolve, reject) => {
        const worker = new Worker(source, { eval: true, workerData: { moduleUrl, id } });
        worker.once('message', resolve);
        worker.once('error', reject);
        worker.once('exit', (code) => {
          if (code !== 0) reject(new Error(`worker ${id} exited with ${code}`));
        });
      }),
  );
  assert.deepEqual(await Promise.all(runs), [5000, 5000, 5000, 5000]);
});
