// Micro-benchmark: token counting with the native tokenizer against the JavaScript alternatives:
// tiktoken (OpenAI's Rust tokenizer compiled to WASM), js-tiktoken (pure JS) and gpt-tokenizer
// (pure JS, with its default merge cache). All count o200k_base tokens of the same text.
//
//   node dist/bench/tokenizer.js
//
// Inputs of about 1 MB each: English prose (the README files of the installed packages), source
// code (undici's JavaScript and this repository's TypeScript and C++), multilingual text
// (TypeScript's translated diagnostics in 13 languages and the test corpus's scripts). Each
// (input, method) trial runs in a fresh child process that loads the encoding, warms up, then
// times several rounds and reports the median MB/s (10^6 bytes per second of UTF-8), so one
// trial's JIT, caches and heap cannot help another. Also timed in fresh processes: loading the
// encoding, and the native count of 1 MiB of one letter (a single 1 MiB BPE piece; the others
// would take minutes: their merge is quadratic in the piece length).
//
// Prints markdown to stdout. Checks two targets and exits 1 when one is missed: native at least
// 3× tiktoken on English prose, and the 1 MiB single-letter count under 50 ms.

import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { medianRate } from './support/measure.js';

const ROUNDS = 7;
const ROUND_MS = 150;
const WARMUP_MS = 400;
const INPUT_BYTES = 1_000_000;
const SINGLE_LETTER_BYTES = 1 << 20;
const SINGLE_LETTER_TARGET_MS = 50;
const PROSE_TARGET_RATIO = 3;

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

const METHODS = ['native (bytes)', 'native (string)', 'tiktoken (WASM)', 'js-tiktoken', 'gpt-tokenizer'] as const;
type Method = (typeof METHODS)[number];
const INPUTS = ['English prose', 'source code', 'multilingual'] as const;
type InputName = (typeof INPUTS)[number];

// ---- inputs: real text found in the installation, cut to about INPUT_BYTES ----

function filesUnder(dir: string, accept: (name: string) => boolean, depth = 4): string[] {
  const out: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch {
    return out;
  }
  for (const name of names) {
    const file = path.join(dir, name);
    let isDir = false;
    try {
      isDir = statSync(file).isDirectory();
    } catch {
      continue;
    }
    if (isDir) {
      if (depth > 0 && name !== '.bin') out.push(...filesUnder(file, accept, depth - 1));
    } else if (accept(name)) {
      out.push(file);
    }
  }
  return out;
}

// Appends whole files (or texts) until about INPUT_BYTES, cutting the last at a character.
function fill(texts: Iterable<string>): string {
  let out = '';
  let bytes = 0;
  for (const text of texts) {
    const size = Buffer.byteLength(text);
    if (bytes + size >= INPUT_BYTES) {
      const rest = Buffer.from(text).subarray(0, INPUT_BYTES - bytes).toString('utf8').replace(/\uFFFD$/u, '');
      return out + rest;
    }
    out += text;
    bytes += size;
  }
  // Not enough text installed: repeat what there is.
  if (out.length === 0) throw new Error('no input text found');
  while (Buffer.byteLength(out) < INPUT_BYTES) out += out;
  return fill([out]);
}

function* readAll(files: string[]): Generator<string> {
  for (const file of files) yield readFileSync(file, 'utf8');
}

function corpus(prefixes: string[]): string[] {
  const dir = path.join(ROOT, 'test', 'fixtures', 'tokenizer-corpus');
  return filesUnder(dir, (name) => prefixes.some((p) => name.startsWith(p)), 0);
}

function input(name: InputName): string {
  const modules = path.join(ROOT, 'node_modules');
  switch (name) {
    case 'English prose':
      return fill(readAll([...corpus(['prose-']), ...filesUnder(modules, (n) => /^readme\.md$/i.test(n), 2)]));
    case 'source code':
      return fill(
        readAll([
          ...filesUnder(path.join(modules, 'undici', 'lib'), (n) => n.endsWith('.js')),
          ...filesUnder(path.join(ROOT, 'src'), (n) => n.endsWith('.ts')),
          ...filesUnder(path.join(ROOT, 'native'), (n) => n.endsWith('.cc') || (n.endsWith('.h') && n !== 'unicode_tables.h')),
        ]),
      );
    case 'multilingual': {
      // Interleave the translations message by message, so every stretch mixes scripts.
      const catalogs = filesUnder(path.join(modules, 'typescript', 'lib'), (n) => n === 'diagnosticMessages.generated.json', 1).map(
        (file) => Object.values(JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>),
      );
      const scripts = [...readAll(corpus(['scripts-', 'emoji', 'combining']))];
      function* mixed(): Generator<string> {
        const longest = Math.max(0, ...catalogs.map((c) => c.length));
        for (let i = 0; i < longest; i++) {
          if (i % 200 === 0) yield* scripts;
          for (const catalog of catalogs) if (i < catalog.length) yield `${catalog[i]}\n`;
        }
        yield* scripts;
      }
      return fill(mixed());
    }
  }
}

// ---- methods ----

type Count = (text: string, bytes: Buffer) => number;

async function counter(method: Method): Promise<Count> {
  switch (method) {
    case 'native (bytes)':
    case 'native (string)': {
      const { countTokens, loadEncoding } = await import('../src/native/index.js');
      loadEncoding('o200k_base');
      return method === 'native (bytes)'
        ? (_text, bytes) => countTokens('o200k_base', bytes)
        : (text) => countTokens('o200k_base', text);
    }
    case 'tiktoken (WASM)': {
      const { get_encoding } = await import('tiktoken');
      const encoding = get_encoding('o200k_base');
      return (text) => encoding.encode_ordinary(text).length;
    }
    case 'js-tiktoken': {
      const { getEncoding } = await import('js-tiktoken');
      const encoding = getEncoding('o200k_base');
      // No special tokens: their text is ordinary text, as with encode_ordinary.
      return (text) => encoding.encode(text, [], []).length;
    }
    case 'gpt-tokenizer': {
      const { countTokens } = await import('gpt-tokenizer/encoding/o200k_base');
      const ordinary = { disallowedSpecial: new Set<string>() };
      return (text) => countTokens(text, ordinary);
    }
  }
}

// Median MB/s (10^6 bytes per second) over the timed rounds (bench/support/measure.ts).
function measure(run: () => number, bytes: number): number {
  return medianRate(run, { rounds: ROUNDS, roundMs: ROUND_MS, warmupMs: WARMUP_MS }, bytes) / 1e6;
}

interface TrialResult {
  value: number;
  tokens?: number;
}

async function runTrial(kind: string, method: Method, inputName: string): Promise<TrialResult> {
  if (kind === 'load') {
    const t0 = performance.now();
    const count = await counter(method);
    count('warm', Buffer.from('warm'));
    return { value: performance.now() - t0 };
  }
  if (kind === 'letter') {
    const count = await counter(method);
    const bytes = Buffer.alloc(SINGLE_LETTER_BYTES, 'a');
    const text = bytes.toString('latin1');
    count(text, bytes);
    const times: number[] = [];
    let tokens = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const t0 = performance.now();
      tokens = count(text, bytes);
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    return { value: times[Math.floor(times.length / 2)], tokens };
  }
  const text = input(inputName as InputName);
  const bytes = Buffer.from(text);
  const count = await counter(method);
  const tokens = count(text, bytes);
  return { value: measure(() => count(text, bytes), bytes.length), tokens };
}

function trialInChild(kind: string, method: Method, inputName = ''): TrialResult {
  const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--trial', kind, method, inputName], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  return JSON.parse(out) as TrialResult;
}

function table(rows: string[][]): string {
  return rows.map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

function main(): number {
  let status = 0;
  const header = ['input', 'bytes', ...METHODS.map((m) => `${m} MB/s`), 'native ÷ tiktoken', 'native ÷ js-tiktoken', 'native ÷ gpt-tokenizer'];
  const rows = [header, header.map((_, i) => (i === 0 ? '---' : '---:'))];
  let proseRatio = 0;
  for (const name of INPUTS) {
    const bytes = Buffer.byteLength(input(name));
    process.stderr.write(`bench: tokenizer: ${name}\n`);
    const results = new Map<Method, TrialResult>(METHODS.map((m) => [m, trialInChild('text', m, name)]));
    const counts = new Set([...results.values()].map((r) => r.tokens));
    if (counts.size !== 1) {
      process.stderr.write(`bench: tokenizer: ${name}: the methods disagree on the token count: ${[...counts].join(', ')}\n`);
      status = 1;
    }
    const native = results.get('native (bytes)')!.value;
    const ratio = (m: Method) => `${(native / results.get(m)!.value).toFixed(1)}×`;
    if (name === 'English prose') proseRatio = native / results.get('tiktoken (WASM)')!.value;
    rows.push([name, String(bytes), ...METHODS.map((m) => results.get(m)!.value.toFixed(1)), ratio('tiktoken (WASM)'), ratio('js-tiktoken'), ratio('gpt-tokenizer')]);
  }
  console.log('### o200k_base token counting, single thread\n');
  console.log(table(rows));

  process.stderr.write('bench: tokenizer: load times and the single-letter input\n');
  const loadRows = [['method', 'load o200k_base ms'], ['---', '---:']];
  for (const m of METHODS) loadRows.push([m, trialInChild('load', m).value.toFixed(0)]);
  console.log('\n### Loading the encoding (fresh process, includes importing the module)\n');
  console.log(table(loadRows));

  const letter = trialInChild('letter', 'native (bytes)');
  console.log(`\n### Adversarial input\n\n1 MiB of 'a' (one BPE piece): native ${letter.value.toFixed(1)} ms, ${letter.tokens} tokens (median of ${ROUNDS}).`);

  const checks = [
    [`native ≥ ${PROSE_TARGET_RATIO}× tiktoken on English prose`, proseRatio >= PROSE_TARGET_RATIO, `${proseRatio.toFixed(1)}×`],
    [`1 MiB single letter < ${SINGLE_LETTER_TARGET_MS} ms`, letter.value < SINGLE_LETTER_TARGET_MS, `${letter.value.toFixed(1)} ms`],
  ] as const;
  console.log('\n### Targets\n');
  for (const [what, met, value] of checks) {
    console.log(`- ${what}: ${value} — ${met ? 'met' : 'MISSED'}`);
    if (!met) status = 1;
  }
  return status;
}

if (process.argv[2] === '--trial') {
  const [kind, method, inputName] = process.argv.slice(3);
  process.stdout.write(JSON.stringify(await runTrial(kind, method as Method, inputName)));
} else {
  process.exitCode = main();
}
