// Micro-benchmark: the native request scanner against JSON.parse, the alternative it replaces.
//
//   node dist/bench/scanner.js
//
// For each body and method a fresh child process warms up, then times several rounds and
// reports the median throughput, so one trial's JIT and heap state cannot skew another's.
// Prints a markdown table to stdout.

import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { RequestScan, ScanField } from '../src/native/index.js';
import { medianRate } from './support/measure.js';

const ROUNDS = 9;
const ROUND_MS = 100;
const WARMUP_MS = 300;

interface Case {
  name: string;
  text: string;
}

// A chat request whose user message holds about contentBytes bytes of UTF-8.
function chatBody(contentBytes: number, phrase: string): string {
  const content = phrase.repeat(Math.ceil(contentBytes / Buffer.byteLength(phrase)));
  return JSON.stringify({
    model: 'gpt-4o-mini',
    stream: true,
    max_tokens: 512,
    messages: [
      { role: 'system', content: 'You are a helpful assistant.' },
      { role: 'user', content },
    ],
    user: 'user-1234',
  });
}

function cases(): Case[] {
  const ascii = 'Explain how a load balancer spreads requests across servers. ';
  const unicode = 'Ünïcödé text — 日本語のテキスト — emoji 😀🎉 and plain words. ';
  return [
    { name: 'chat ~1 KB', text: chatBody(800, ascii) },
    { name: 'chat 64 KB', text: chatBody(64 * 1024, ascii) },
    { name: 'chat 600 KB unicode', text: chatBody(600 * 1024, unicode) },
  ];
}

const METHODS = ['native scan', 'JSON.parse(buf.toString())', 'JSON.parse(string)'] as const;
type Method = (typeof METHODS)[number];

// One operation of the method over the body; returns something derived from the result so
// the work cannot be optimised away.
function operation(method: Method, text: string): () => number {
  const body = Buffer.from(text, 'utf8');
  const scan = new RequestScan();
  switch (method) {
    case 'native scan':
      return () => scan.scan(body) + scan.end(ScanField.Model);
    case 'JSON.parse(buf.toString())':
      return () => (JSON.parse(body.toString('utf8')) as { model: string }).model.length;
    case 'JSON.parse(string)':
      return () => (JSON.parse(text) as { model: string }).model.length;
  }
}

// Median MB/s (10^6 bytes per second) over the timed rounds (bench/support/measure.ts).
function measure(run: () => number, bytes: number): number {
  return medianRate(run, { rounds: ROUNDS, roundMs: ROUND_MS, warmupMs: WARMUP_MS }, bytes) / 1e6;
}

function runTrial(caseIndex: number, method: Method): void {
  const c = cases()[caseIndex];
  const rate = measure(operation(method, c.text), Buffer.byteLength(c.text));
  process.stdout.write(JSON.stringify({ rate }));
}

function trialInChild(caseIndex: number, method: Method): number {
  const script = fileURLToPath(import.meta.url);
  const out = execFileSync(process.execPath, [script, '--trial', String(caseIndex), method], {
    encoding: 'utf8',
  });
  return (JSON.parse(out) as { rate: number }).rate;
}

function main(): void {
  const header = ['body', 'bytes', ...METHODS.map((m) => `${m} MB/s`)];
  header.push('native ÷ parse(buf)', 'native ÷ parse(string)');
  const rows = [header, header.map((_, i) => (i === 0 ? '---' : '---:'))];
  cases().forEach((c, index) => {
    const [native, parseBuffer, parseString] = METHODS.map((m) => trialInChild(index, m));
    const rates = [native, parseBuffer, parseString].map((r) => r.toFixed(0));
    const ratios = [parseBuffer, parseString].map((r) => `${(native / r).toFixed(1)}×`);
    rows.push([c.name, String(Buffer.byteLength(c.text)), ...rates, ...ratios]);
  });
  console.log(rows.map((cells) => `| ${cells.join(' | ')} |`).join('\n'));
}

if (process.argv[2] === '--trial') {
  runTrial(Number(process.argv[3]), process.argv[4] as Method);
} else {
  main();
}
