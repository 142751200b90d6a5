/**
 * The native tokenizer against tiktoken itself (the WASM build of OpenAI's tokenizer): token ids
 * and counts must be equal on every text, for o200k_base and cl100k_base. Also the chat formula
 * against an independent port of LiteLLM's token_counter on the decoded request, the worker pool,
 * the model → encoding map, and the freshness of the generated Unicode tables.
 *
 * Corpus: test/fixtures/tokenizer-corpus/ (prose, code, many scripts, emoji, combining marks,
 * whitespace, digits, contractions, special-token text, random Unicode) plus the repository's
 * markdown files; then seeded random strings, random bytes, and a sweep over code points.
 * AILB_TOKENIZER_SWEEP=1 sweeps every code point instead of a sample (about a minute).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';

import { get_encoding, type Tiktoken } from 'tiktoken';

import {
  closeTokenizerPool,
  countChatTokens,
  countChatTokensAsync,
  countTokens,
  countTokensAsync,
  ENCODINGS,
  encodeTokens,
  encodingForModel,
  INLINE_TOKENIZE_LIMIT,
  loadEncoding,
  type EncodingName,
} from '../../src/native/index.js';

const ROOT = new URL('../../../', import.meta.url);
const CORPUS_DIR = new URL('test/fixtures/tokenizer-corpus/', ROOT);

const reference = new Map<EncodingName, Tiktoken>(ENCODINGS.map((name) => [name, get_encoding(name)]));
function ref(encoding: EncodingName): Tiktoken {
  return reference.get(encoding)!;
}

function sameTokens(encoding: EncodingName, text: string): boolean {
  const want = ref(encoding).encode_ordinary(text);
  const got = encodeTokens(encoding, text);
  if (want.length !== got.length) return false;
  for (let i = 0; i < want.length; i++) if (want[i] !== got[i]) return false;
  return true;
}

function assertSameTokens(encoding: EncodingName, text: string, label: string): void {
  const want = Array.from(ref(encoding).encode_ordinary(text));
  assert.deepEqual(Array.from(encodeTokens(encoding, text)), want, `${encoding} ${label}: token ids`);
  assert.equal(countTokens(encoding, text), want.length, `${encoding} ${label}: count (string)`);
  assert.equal(countTokens(encoding, Buffer.from(text)), want.length, `${encoding} ${label}: count (bytes)`);
}

// Deterministic PRNG (xorshift32), so a failure reproduces.
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

test('encodings load once and unknown names are refused', () => {
  for (const name of ENCODINGS) {
    const started = performance.now();
    assert.equal(loadEncoding(name), ENCODINGS.indexOf(name));
    assert.equal(loadEncoding(name), ENCODINGS.indexOf(name));
    process.stdout.write(`# ${name} loaded in ${(performance.now() - started).toFixed(0)} ms\n`);
  }
  assert.throws(() => countTokens('p50k_base' as EncodingName, 'x'), TypeError);
});

test('corpus: token ids equal tiktoken for every file, whole and line by line', () => {
  const files = readdirSync(CORPUS_DIR).sort();
  assert.ok(files.length >= 15, 'corpus files');
  const texts: Array<[string, string]> = files.map((f) => [f, readFileSync(new URL(f, CORPUS_DIR), 'utf8')]);
  for (const doc of ['README.md', 'bench/README.md']) {
    try {
      texts.push([doc, readFileSync(new URL(doc, ROOT), 'utf8')]);
    } catch {
      // optional extra text
    }
  }
  let bytes = 0;
  let lines = 0;
  for (const [name, text] of texts) {
    bytes += Buffer.byteLength(text);
    for (const encoding of ENCODINGS) {
      assertSameTokens(encoding, text, name);
      for (const line of text.split(/(?<=\n)/)) {
        lines++;
        if (!sameTokens(encoding, line)) assertSameTokens(encoding, line, `${name} line ${JSON.stringify(line)}`);
      }
    }
  }
  process.stdout.write(`# corpus: ${texts.length} texts, ${bytes} bytes, ${lines} lines, both encodings equal\n`);
});

function classes(next: () => number): Array<() => string> {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)];
  return [
    () => pick(['the', 'The', 'THE', 'hello', 'World', 'x', 'I', 'a', 'HTTPServer', 'camelCase', 'ǅungla']),
    () => pick(["'s", "'S", "'ll", "'LL", "'Ll", "'re", "'RE", "'ve", "'m", "'M", "'d", "'D", "'t", "'T", "'", "'ſ", "'x"]),
    () => pick([' ', '  ', '   ', '\t', '\n', '\r\n', '\r', '\n\n', ' \n ', '\u00a0', '\u3000', '\u2003', '\u0085', '\u2028', '\v', '\f', '\u200b']),
    () => pick(['1', '12', '123', '1234', '12345', '٣', '٤٥', 'Ⅻ', '½', '３', '0.5', '1e9']),
    () => pick(['.', ',', '!', '?', '...', '/', '//', '-', '_', '(', ')', '{', '}', '"', '#', '@', '$', '%', '*', '->', '=>', '\u200d', '\ufeff', '\u0000']),
    () => pick(['日本語', 'テキスト', '中文', '한국어', 'Привет', 'МИР', 'مرحبا', 'नमस्ते', 'สวัสดี', 'שלום', 'Γειά', 'ΣΟΥ', 'ÀÉÎ', 'ß', 'ẞ', 'ᾈ']),
    () => pick(['😀', '👨‍👩‍👧', '👍🏽', '🏳️‍🌈', '❤️', '🇫🇷', '©', '™', '1️⃣']),
    () => pick(['\u0301', '\u0308', 'e\u0301', 'a\u0300\u0301', '\u093f', '\u0e31', '\u05b7', '\u20dd']),
    () => pick(['ʰ', 'ˈ', 'ᵃ', 'ª', 'ﾞ', 'ー', 'ゝ', 'ǈ', 'ǲ']),
    () => String.fromCodePoint(Math.floor(next() * 0x3000)),
    () => {
      let cp: number;
      do cp = Math.floor(next() * 0x110000);
      while (cp >= 0xd800 && cp <= 0xdfff);
      return String.fromCodePoint(cp);
    },
  ];
}

test('property: 5000 seeded random strings mixing character classes equal tiktoken', () => {
  const next = rng(0x5eed);
  const kinds = classes(next);
  for (let k = 0; k < 5000; k++) {
    let text = '';
    const parts = 1 + Math.floor(next() * 16);
    for (let p = 0; p < parts; p++) text += kinds[Math.floor(next() * kinds.length)]();
    for (const encoding of ENCODINGS) {
      if (!sameTokens(encoding, text)) assertSameTokens(encoding, text, `random #${k} ${JSON.stringify(text)}`);
    }
  }
});

test('long pieces (the bucketed merge) equal tiktoken', () => {
  const next = rng(42);
  const alphabets = ['a', 'ab', 'abc', 'etaoinshrdlu', 'abcdefghijklmnopqrstuvwxyz', ' ', ' \n', '中文日本語', 'ÀÉaé', '!?.', '0123456789'];
  for (let k = 0; k < 200; k++) {
    const chars = [...alphabets[k % alphabets.length]];
    const length = 129 + Math.floor(next() * 2500);
    let text = '';
    for (let i = 0; i < length; i++) text += chars[Math.floor(next() * chars.length)];
    for (const encoding of ENCODINGS) {
      if (!sameTokens(encoding, text)) assertSameTokens(encoding, text, `long #${k}`);
    }
  }
});

test('strings with lone surrogates count as tiktoken counts them (U+FFFD)', () => {
  for (const text of ['a\ud800b', '\udfff', 'x\ud83d', '\ud83d\ude00\ud83d']) {
    for (const encoding of ENCODINGS) assertSameTokens(encoding, text, JSON.stringify(text));
  }
});

test('arbitrary bytes: the tokens spell the input exactly', () => {
  const next = rng(7);
  for (let k = 0; k < 2000; k++) {
    const bytes = new Uint8Array(1 + Math.floor(next() * 64));
    for (let i = 0; i < bytes.length; i++) bytes[i] = next() < 0.5 ? Math.floor(next() * 256) : 0x61 + Math.floor(next() * 4);
    for (const encoding of ENCODINGS) {
      const tokens = encodeTokens(encoding, bytes);
      assert.deepEqual(ref(encoding).decode(tokens), bytes, `${encoding} bytes #${k}`);
      assert.equal(countTokens(encoding, bytes), tokens.length);
    }
  }
});

// Code points whose class changed in Unicode 17.0 (see native/tools/gen_unicode_tables.mjs).
const UNICODE_17_ADDITIONS: Array<[number, number]> = [
  [0x088f, 0x088f], [0x0c5c, 0x0c5c], [0x0cdc, 0x0cdc], [0x1acf, 0x1aeb], [0xa7ce, 0xa7f1],
  [0x10940, 0x10959], [0x10ec5, 0x10efb], [0x11b60, 0x11b67], [0x11db0, 0x11de9], [0x16ea0, 0x16ed3],
  [0x16ff2, 0x16ff6], [0x187f8, 0x187ff], [0x18d09, 0x18df2], [0x1e6c0, 0x1e6ff], [0x2b73a, 0x2b73f],
  [0x2cea2, 0x2cead], [0x323b0, 0x33479],
];

test('code points: each one classified as tiktoken classifies it, in many contexts', () => {
  const full = process.env.AILB_TOKENIZER_SWEEP === '1';
  const points: number[] = [];
  const add = (cp: number) => {
    if (cp < 0xd800 || cp > 0xdfff) points.push(cp);
  };
  if (full) {
    for (let cp = 0; cp <= 0x10ffff; cp++) add(cp);
  } else {
    for (let cp = 0; cp < 0x3400; cp++) add(cp);
    for (let cp = 0x3400; cp <= 0x10ffff; cp += 31) add(cp);
    for (const [first, last] of UNICODE_17_ADDITIONS) for (let cp = first; cp <= last; cp++) add(cp);
    for (const cp of [0x85, 0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000, 0xfeff, 0x17f, 0x212a]) add(cp);
  }
  const probe = (c: string) => `a${c}b ${c}'s 1${c}1 I'${c} ${c} x!${c}a A${c}a a${c}A ${c}\n ${c}! ${c}${c} `;
  const failures: string[] = [];
  for (const encoding of ENCODINGS) {
    for (let i = 0; i < points.length; i += 64) {
      const batch = points.slice(i, i + 64);
      if (sameTokens(encoding, batch.map((cp) => probe(String.fromCodePoint(cp))).join('\u0000'))) continue;
      for (const cp of batch) {
        if (!sameTokens(encoding, probe(String.fromCodePoint(cp)))) failures.push(`${encoding} U+${cp.toString(16)}`);
      }
    }
  }
  assert.deepEqual(failures.slice(0, 20), []);
  process.stdout.write(`# code points: ${points.length} checked${full ? ' (all)' : ' (sample)'}\n`);
});

test('the 1 MiB single-letter input (timing printed, asserted only by the benchmark)', () => {
  const text = Buffer.alloc(1 << 20, 'a');
  for (const encoding of ENCODINGS) {
    countTokens(encoding, text);
    const started = performance.now();
    const tokens = countTokens(encoding, text);
    const ms = performance.now() - started;
    assert.equal(tokens, ref(encoding).encode_ordinary('a'.repeat(4096)).length * 256);
    process.stdout.write(`# ${encoding}: 1 MiB of 'a' → ${tokens} tokens in ${ms.toFixed(1)} ms\n`);
  }
});

// ---- chat formula: an independent port of LiteLLM's token_counter, on JSON.parse's result ----

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

function isObject(v: Json | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function pyRepr(v: Json): string {
  if (v === null) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') {
    const quote = v.includes("'") && !v.includes('"') ? '"' : "'";
    let out = quote;
    for (const ch of v) {
      const code = ch.codePointAt(0)!;
      if (ch === '\\') out += '\\\\';
      else if (ch === quote) out += `\\${quote}`;
      else if (ch === '\n') out += '\\n';
      else if (ch === '\r') out += '\\r';
      else if (ch === '\t') out += '\\t';
      else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
      else out += ch;
    }
    return out + quote;
  }
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  return `{${Object.entries(v).map(([k, x]) => `${pyRepr(k)}: ${pyRepr(x)}`).join(', ')}}`;
}

function pyStr(v: Json): string {
  return typeof v === 'string' ? v : pyRepr(v);
}

function truthy(v: Json | undefined): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (isObject(v)) return Object.keys(v).length > 0;
  return true;
}

function imageSize(data: Uint8Array): [number, number] | null {
  const view = Buffer.from(data);
  const at = (i: number, s: string) => view.subarray(i, i + s.length).toString('latin1') === s;
  if (at(0, '\x89PNG\r\n\x1a\n')) return view.length >= 24 ? [view.readUInt32BE(16), view.readUInt32BE(20)] : null;
  if (at(0, 'GIF8') && at(5, 'a')) return view.length >= 10 ? [view.readUInt16LE(6), view.readUInt16LE(8)] : null;
  if (at(0, '\xff\xd8\xff')) {
    let pos = 2;
    for (;;) {
      while (view[pos] === 0xff) pos++;
      const type = view[pos++];
      const length = view.readUInt16BE(pos);
      if (type >= 0xc0 && type <= 0xcf && type !== 0xc4 && type !== 0xc8 && type !== 0xcc) {
        return [view.readUInt16BE(pos + 5), view.readUInt16BE(pos + 3)];
      }
      pos += length;
    }
  }
  if (at(0, 'RIFF') && at(8, 'WEBP') && at(12, 'VP8X')) {
    return [view.readUIntLE(24, 3) + 1, view.readUIntLE(27, 3) + 1];
  }
  return null;
}

function highDetailTokens(url: string): number {
  let [w, h] = [300, 300];
  if (!/^https?:\/\//.test(url) && url.includes(',')) {
    const size = imageSize(Buffer.from(url.slice(url.indexOf(',') + 1), 'base64'));
    if (size !== null) [w, h] = size;
  }
  if (w > 768 || h > 768) {
    const aspect = Math.max(w, h) / Math.min(w, h);
    if (w <= h) {
      w = 768;
      h = Math.trunc(w * aspect);
      if (h > 2000) [h, w] = [2000, Math.trunc(2000 / aspect)];
    } else {
      h = 768;
      w = Math.trunc(h * aspect);
      if (w > 2000) [w, h] = [2000, Math.trunc(2000 / aspect)];
    }
  }
  return 85 + 170 * Math.ceil(w / 512) * Math.ceil(h / 512);
}

function formatType(props: Json, indent: number): string {
  const p = isObject(props) ? props : {};
  const enumText = () => (Array.isArray(p.enum) ? p.enum.map((item) => `"${pyStr(item)}"`).join(' | ') : '');
  switch (p.type) {
    case 'string':
      return 'enum' in p ? enumText() : 'string';
    case 'array':
      return `${formatType(p.items ?? {}, indent)}[]`;
    case 'object':
      return `{\n${formatObjectParameters(p, indent + 2)}\n}`;
    case 'integer':
    case 'number':
      return 'enum' in p ? enumText() : 'number';
    case 'boolean':
      return 'boolean';
    case 'null':
      return 'null';
    default:
      return 'any';
  }
}

function formatObjectParameters(parameters: JsonObject, indent: number): string {
  const properties = parameters.properties;
  if (!isObject(properties) || !truthy(properties)) return '';
  const required = parameters.required;
  const lines: string[] = [];
  for (const [key, props] of Object.entries(properties)) {
    const description = isObject(props) ? props.description : undefined;
    if (truthy(description)) lines.push(`// ${pyStr(description!)}`);
    const question = truthy(required) && Array.isArray(required) && required.includes(key) ? '' : '?';
    lines.push(`${key}${question}: ${formatType(props, indent)},`);
  }
  return lines.map((line) => ' '.repeat(indent) + line).join('\n');
}

function formatFunctionDefinitions(tools: Json[]): string {
  const lines = ['namespace functions {', ''];
  for (const tool of tools) {
    if (!isObject(tool)) continue;
    const functions: JsonObject[] = isObject(tool.function)
      ? [tool.function]
      : [{ name: tool.name ?? null, description: tool.description ?? null, parameters: tool.parameters ?? {} }];
    for (const fn of functions) {
      if (!truthy(fn.name)) continue;
      const parameters = isObject(fn.parameters) ? fn.parameters : {};
      if (truthy(fn.description)) lines.push(`// ${pyStr(fn.description!)}`);
      if (isObject(parameters.properties) && truthy(parameters.properties)) {
        lines.push(`type ${pyStr(fn.name!)} = (_: {`, formatObjectParameters(parameters, 0), '}) => any;', '');
      } else {
        lines.push(`type ${pyStr(fn.name!)} = () => any;`, '');
      }
    }
  }
  lines.push('} // namespace functions');
  return lines.join('\n');
}

function litellmTokenCounter(encoding: EncodingName, body: JsonObject): number {
  const count = (text: string) => ref(encoding).encode_ordinary(text).length;
  const messages = Array.isArray(body.messages) ? body.messages.filter(isObject) : [];
  let total = 0;
  for (const message of messages) {
    total += 3;
    for (const [key, value] of Object.entries(message)) {
      if (value === null) continue;
      if (key === 'tool_calls') {
        for (const call of Array.isArray(value) ? value : []) {
          if (isObject(call) && isObject(call.function) && 'arguments' in call.function) {
            total += count(pyStr(call.function.arguments));
          }
        }
      } else if (key === 'function_call') {
        if (isObject(value) && 'arguments' in value) total += count(pyStr(value.arguments));
      } else if (typeof value === 'string') {
        total += count(value) + (key === 'name' ? 1 : 0);
      } else if (key === 'content' && Array.isArray(value)) {
        for (const part of value) {
          if (typeof part === 'string') total += count(part);
          else if (isObject(part) && part.type === 'text') total += 'text' in part ? count(pyStr(part.text)) : 0;
          else if (isObject(part) && part.type === 'image_url') {
            const image = part.image_url;
            const detail = isObject(image) && 'detail' in image ? image.detail : 'auto';
            total += isObject(image) && detail === 'high' ? highDetailTokens(image.url as string) : 85;
          }
        }
      }
    }
  }
  total += 3;
  let tools = body.tools;
  if (!(Array.isArray(tools) && tools.length > 0)) tools = body.functions;
  if (Array.isArray(tools) && tools.length > 0) {
    total += count(formatFunctionDefinitions(tools)) + 9;
    if (messages.some((m) => m.role === 'system')) total -= 4;
  }
  if (body.tool_choice === 'none') total += 1;
  else if (isObject(body.tool_choice)) {
    total += 7;
    const fn = body.tool_choice.function;
    if (isObject(fn) && fn.name !== undefined) total += count(pyStr(fn.name));
  }
  return total;
}

function png(width: number, height: number): Buffer {
  const b = Buffer.alloc(33);
  Buffer.from('\x89PNG\r\n\x1a\n', 'latin1').copy(b);
  b.writeUInt32BE(13, 8);
  b.write('IHDR', 12, 'latin1');
  b.writeUInt32BE(width, 16);
  b.writeUInt32BE(height, 20);
  return b;
}

function jpeg(width: number, height: number): Buffer {
  const head = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, ...Buffer.from('JFIF\0\x01\x01\0\0\x01\0\x01\0\0', 'latin1')]);
  const sof = Buffer.from([0xff, 0xc0, 0x00, 0x11, 0x08, height >> 8, height & 255, width >> 8, width & 255, 3]);
  return Buffer.concat([head, sof]);
}

function gif(width: number, height: number): Buffer {
  const b = Buffer.from('GIF89a\0\0\0\0', 'latin1');
  b.writeUInt16LE(width, 6);
  b.writeUInt16LE(height, 8);
  return b;
}

function webp(width: number, height: number): Buffer {
  const b = Buffer.alloc(30);
  b.write('RIFF', 0, 'latin1');
  b.write('WEBPVP8X', 8, 'latin1');
  b.writeUIntLE(width - 1, 24, 3);
  b.writeUIntLE(height - 1, 27, 3);
  return b;
}

function randomChatBody(next: () => number, kinds: Array<() => string>): JsonObject {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)];
  const text = () => {
    let s = '';
    const n = Math.floor(next() * 8);
    for (let i = 0; i < n; i++) s += pick(kinds)();
    return s;
  };
  const image = (): JsonObject => {
    const dims: [number, number] = [1 + Math.floor(next() * 5000), 1 + Math.floor(next() * 5000)];
    const data = pick([png, jpeg, gif, webp])(...dims).toString('base64');
    const url = pick([`data:image/x;base64,${data}`, 'https://example.com/cat.png', 'http://x/y']);
    const detail = pick(['low', 'high', 'auto', undefined]);
    return { type: 'image_url', image_url: detail === undefined ? { url } : { url, detail } };
  };
  const schema = (depth: number): JsonObject => {
    const type = pick(['string', 'integer', 'number', 'boolean', 'null', 'array', 'object', 'mystery']);
    const out: JsonObject = { type };
    if (next() < 0.4) out.description = text();
    if (type === 'string' && next() < 0.4) out.enum = [text(), text()];
    if (type === 'integer' && next() < 0.4) out.enum = [1, 2, 30];
    if (type === 'array') out.items = depth < 3 ? schema(depth + 1) : { type: 'string' };
    if (type === 'object' && depth < 3) {
      out.properties = {};
      for (let i = Math.floor(next() * 3); i > 0; i--) (out.properties as JsonObject)[`p${i}_${text().slice(0, 3)}`] = schema(depth + 1);
      if (next() < 0.5) out.required = Object.keys(out.properties).slice(0, 1);
    }
    return out;
  };
  const messages: Json[] = [];
  for (let i = Math.floor(next() * 5); i >= 0; i--) {
    const m: JsonObject = { role: pick(['system', 'user', 'assistant', 'tool', 'developer']) };
    const r = next();
    if (r < 0.4) m.content = text();
    else if (r < 0.7) m.content = [{ type: 'text', text: text() }, image(), text()];
    else if (r < 0.8) m.content = null;
    else {
      m.content = null;
      m.tool_calls = [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: JSON.stringify({ q: text() }) } }];
    }
    if (next() < 0.3) m.name = text() || 'n';
    if (next() < 0.1) m.tool_call_id = 'call_1';
    if (next() < 0.1) m.weight = 3;
    messages.push(m);
  }
  const body: JsonObject = { model: 'gpt-4o', messages };
  const r = next();
  const tool = (): JsonObject => ({
    type: 'function',
    function: { name: `fn_${Math.floor(next() * 100)}`, description: next() < 0.5 ? text() : '', parameters: schema(0) },
  });
  if (r < 0.3) body.tools = [tool(), tool()];
  else if (r < 0.4) body.functions = [{ name: 'legacy', parameters: schema(0) }];
  if (next() < 0.2) body.tool_choice = pick<Json>(['none', 'auto', { type: 'function', function: { name: 'fn_1' } }]);
  return body;
}

// JSON.stringify, with some non-ASCII characters written as \u escapes (surrogate pairs too).
function toJson(value: JsonObject, next: () => number): string {
  return JSON.stringify(value).replace(/[^\x00-\x7f]/gu, (ch) =>
    next() < 0.5 ? ch : [...ch].map((c) => {
      const units = c.length === 2 ? [c.charCodeAt(0), c.charCodeAt(1)] : [c.charCodeAt(0)];
      return units.map((u) => `\\u${u.toString(16).padStart(4, '0')}`).join('');
    }).join(''),
  );
}

test('chat: countChatTokens equals LiteLLM\'s formula on the decoded request (fixed cases)', () => {
  const cases: JsonObject[] = [
    { messages: [{ role: 'user', content: 'Hello!' }] },
    { messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', name: 'ann', content: 'Hi é\n😀' }] },
    { messages: [{ role: 'user', content: [{ type: 'text', text: 'look' }, { type: 'image_url', image_url: { url: 'https://x/a.png' } }] }] },
    { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://x/a.png', detail: 'high' } }] }] },
    { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: `data:image/png;base64,${png(4096, 2048).toString('base64')}`, detail: 'high' } }] }] },
    { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: `data:image/jpeg;base64,${jpeg(500, 9000).toString('base64')}`, detail: 'high' } }] }] },
    { messages: [{ role: 'assistant', content: null, tool_calls: [{ id: 'c', type: 'function', function: { name: 'get', arguments: '{"city":"Paris"}' } }] }, { role: 'tool', tool_call_id: 'c', content: '20C' }] },
    {
      messages: [{ role: 'system', content: 'sys' }, { role: 'user', content: 'weather?' }],
      tools: [{ type: 'function', function: { name: 'get_weather', description: 'Weather now', parameters: { type: 'object', properties: { city: { type: 'string', description: 'City' }, unit: { type: 'string', enum: ['c', 'f'] }, days: { type: 'integer', enum: [1, 2] }, o: { type: 'object', properties: { x: { type: 'array', items: { type: 'number' } } } } }, required: ['city'] } } }],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
    },
    { messages: [{ role: 'user', content: 'x' }], functions: [{ name: 'legacy', parameters: { type: 'object', properties: { a: { type: 'boolean' } } } }], tool_choice: 'none' },
    { messages: [] },
    {},
  ];
  for (const body of cases) {
    for (const encoding of ENCODINGS) {
      const json = JSON.stringify(body);
      assert.equal(countChatTokens(encoding, Buffer.from(json)), litellmTokenCounter(encoding, body), `${encoding} ${json.slice(0, 200)}`);
    }
  }
});

test('chat: 400 seeded random requests equal LiteLLM\'s formula', () => {
  const next = rng(2024);
  const kinds = classes(next);
  for (let k = 0; k < 400; k++) {
    const body = randomChatBody(next, kinds);
    const json = toJson(body, next);
    const parsed = JSON.parse(json) as JsonObject;
    for (const encoding of ENCODINGS) {
      assert.equal(countChatTokens(encoding, Buffer.from(json)), litellmTokenCounter(encoding, parsed), `${encoding} #${k} ${json}`);
    }
  }
});

test('chat: a body that is not a JSON object is refused', () => {
  assert.throws(() => countChatTokens('o200k_base', Buffer.from('[1,2]')), TypeError);
  assert.throws(() => countChatTokens('o200k_base', Buffer.from('')), TypeError);
});

test('big inputs are counted in the worker pool, without blocking the event loop', async () => {
  const content = 'The quick brown fox jumps over the lazy dog. 日本語のテキスト 😀 '.repeat(60_000);
  const body = Buffer.from(JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content }] }));
  assert.ok(body.byteLength > INLINE_TOKENIZE_LIMIT);
  const inline = countChatTokens('o200k_base', body);
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  try {
    const pooled = await countChatTokensAsync('o200k_base', body);
    assert.equal(pooled, inline);
    assert.ok(ticks > 0, 'the event loop ran while the worker counted');
    assert.equal(await countTokensAsync('cl100k_base', content), countTokens('cl100k_base', content));
    const small = Buffer.from('{"messages":[{"role":"user","content":"hi"}]}');
    assert.equal(await countChatTokensAsync('cl100k_base', small), countChatTokens('cl100k_base', small));
    await assert.rejects(countChatTokensAsync('o200k_base', Buffer.concat([Buffer.from('['), body])), TypeError);
    // The body was copied, not transferred.
    assert.equal(countChatTokens('o200k_base', body), inline);
  } finally {
    clearInterval(timer);
    await closeTokenizerPool();
  }
  // A closed pool starts again on demand.
  assert.equal(await countChatTokensAsync('o200k_base', body), inline);
  await closeTokenizerPool();
});

test('encodingForModel maps OpenAI models and flags the rest as estimates', () => {
  const cases: Array<[string, EncodingName, boolean]> = [
    ['gpt-4o', 'o200k_base', false],
    ['gpt-4o-mini-2024-07-18', 'o200k_base', false],
    ['openai/gpt-4.1-nano', 'o200k_base', false],
    ['azure/gpt-5-chat', 'o200k_base', false],
    ['o1-preview', 'o200k_base', false],
    ['o3', 'o200k_base', false],
    ['o4-mini', 'o200k_base', false],
    ['chatgpt-4o-latest', 'o200k_base', false],
    ['ft:gpt-4o-mini-2024-07-18:org::abc', 'o200k_base', false],
    ['gpt-4', 'cl100k_base', false],
    ['gpt-4-turbo-2024-04-09', 'cl100k_base', false],
    ['gpt-4-32k', 'cl100k_base', false],
    ['gpt-3.5-turbo', 'cl100k_base', false],
    ['azure/gpt-35-turbo-16k', 'cl100k_base', false],
    ['text-embedding-3-large', 'cl100k_base', false],
    ['text-embedding-ada-002', 'cl100k_base', false],
    ['anthropic/claude-sonnet-4', 'o200k_base', true],
    ['llama-3.1-70b', 'o200k_base', true],
    ['davinci', 'o200k_base', true],
  ];
  for (const [model, encoding, estimate] of cases) {
    assert.deepEqual(encodingForModel(model), { encoding, estimate }, model);
  }
});

test('native/unicode_tables.h is what gen_unicode_tables.mjs generates from this Node', async (t) => {
  const headerUrl = new URL('native/unicode_tables.h', ROOT);
  const header = readFileSync(headerUrl, 'utf8');
  const recorded = /Node's ICU \(Unicode ([\d.]+)\)/.exec(header)?.[1];
  if (recorded !== process.versions.unicode) {
    t.skip(`the header was generated from Unicode ${recorded}; this Node has ${process.versions.unicode}`);
    return;
  }
  const generator = (await import(new URL('native/tools/gen_unicode_tables.mjs', ROOT).href)) as {
    generateHeader(): string;
  };
  assert.ok(generator.generateHeader() === header, 'native/unicode_tables.h is stale: run node native/tools/gen_unicode_tables.mjs');
});

test('chat counts stay exact when message strings repeat (the per-thread count cache)', () => {
  const tiktoken = reference.get('o200k_base')!;
  const tokensOf = (text: string) => tiktoken.encode_ordinary(text).length;
  const base = 'A long system prompt that every turn of the conversation sends again, word for word. ';
  // Same length, one byte apart: a cache keyed loosely would confuse them.
  const variants = [`${base}Variant A.`, `${base}Variant B.`, `${base}Variant A!`, `${base}Variant A.`];
  for (let round = 0; round < 3; round++) {
    for (const system of variants) {
      const messages = [
        { role: 'system', content: system },
        { role: 'user', content: `${system} (quoted back)` },
        { role: 'user', content: system.replace('A', 'é') },
      ];
      const expected = messages.reduce((sum, m) => sum + 3 + tokensOf(m.role) + tokensOf(m.content), 3);
      assert.equal(countChatTokens('o200k_base', Buffer.from(JSON.stringify({ messages }))), expected, system);
      // The same text under the other encoding is a different entry.
      const cl100k = reference.get('cl100k_base')!;
      const expectedCl = messages.reduce((sum, m) => sum + 3 + cl100k.encode_ordinary(m.role).length + cl100k.encode_ordinary(m.content).length, 3);
      assert.equal(countChatTokens('cl100k_base', Buffer.from(JSON.stringify({ messages }))), expectedCl);
    }
  }
});
