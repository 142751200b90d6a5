// Micro-benchmark: the native streaming usage scanner against what a JavaScript gateway does
// instead (decode each chunk, split the events, JSON.parse each one), on provider streams cut
// into chunks as they arrive.
//
//   node dist/bench/sse.js
//
// For each stream and method a fresh child process warms up, then times several rounds and
// reports the median, so one trial's JIT and heap state cannot skew another's. One operation
// scans one whole stream: a new scanner, every chunk fed, end(), usage and text read, close().
// Prints a markdown table to stdout: MB/s (10^6 bytes per second) and nanoseconds per chunk.

import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { StreamUsageScanner, type StreamFormat } from '../src/native/index.js';
import { medianRate } from './support/measure.js';

const ROUNDS = 9;
const ROUND_MS = 100;
const WARMUP_MS = 300;

interface Case {
  name: string;
  format: StreamFormat;
  chunks: Buffer[];
}

const WORDS = ['The', ' load', ' balancer', ' spreads', ' requests', ' across', ' servers', ',', ' and', ' é', ' 日本', ' 😀', '\n'];

// An OpenAI chat stream of `deltas` content chunks with include_usage, one event per chunk.
function openaiEvents(deltas: number): string[] {
  const head = '{"id":"chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG","object":"chat.completion.chunk","created":1741570283,"model":"gpt-4o-2024-08-06","service_tier":"default","system_fingerprint":"fp_eb9dce56a8",';
  const events = [`data: ${head}"choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}],"usage":null}\n\n`];
  for (let k = 0; k < deltas; k++) {
    const content = JSON.stringify(WORDS[k % WORDS.length]);
    events.push(`data: ${head}"choices":[{"index":0,"delta":{"content":${content}},"logprobs":null,"finish_reason":null}],"usage":null}\n\n`);
  }
  events.push(`data: ${head}"choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}],"usage":null}\n\n`);
  events.push(`data: ${head}"choices":[],"usage":{"prompt_tokens":19,"completion_tokens":${deltas},"total_tokens":${19 + deltas},"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}}\n\n`);
  events.push('data: [DONE]\n\n');
  return events;
}

// An Anthropic Messages stream of `deltas` text deltas, one event per chunk.
function anthropicEvents(deltas: number): string[] {
  const event = (name: string, data: unknown) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
  const events = [
    event('message_start', { type: 'message_start', message: { id: 'msg_01XFDUDYJgAACzvnptvVoYEL', type: 'message', role: 'assistant', content: [], model: 'claude-sonnet-4-5-20250929', stop_reason: null, stop_sequence: null, usage: { input_tokens: 472, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 2 } } }),
    event('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
    event('ping', { type: 'ping' }),
  ];
  for (let k = 0; k < deltas; k++) {
    events.push(event('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: WORDS[k % WORDS.length] } }));
  }
  events.push(event('content_block_stop', { type: 'content_block_stop', index: 0 }));
  events.push(event('message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: deltas } }));
  events.push(event('message_stop', { type: 'message_stop' }));
  return events;
}

// Cuts the concatenated events into chunks of `size` bytes, as a TCP reader may deliver them.
function rechunk(events: string[], size: number): Buffer[] {
  const all = Buffer.from(events.join(''));
  const chunks: Buffer[] = [];
  for (let at = 0; at < all.length; at += size) chunks.push(all.subarray(at, at + size));
  return chunks;
}

function cases(): Case[] {
  const openai = openaiEvents(2000);
  const anthropic = anthropicEvents(2000);
  return [
    { name: 'OpenAI, 1 event per chunk', format: 'openai', chunks: openai.map((e) => Buffer.from(e)) },
    { name: 'OpenAI, 1 KiB chunks', format: 'openai', chunks: rechunk(openai, 1024) },
    { name: 'Anthropic, 1 event per chunk', format: 'anthropic', chunks: anthropic.map((e) => Buffer.from(e)) },
  ];
}

const METHODS = ['native', 'native + strip', 'JS split + JSON.parse'] as const;
type Method = (typeof METHODS)[number];

// The alternative the scanner replaces: decode, split events, JSON.parse each, read the usage
// and append the delta text.
function jsScan(format: StreamFormat, chunks: Buffer[]): number {
  const decoder = new TextDecoder();
  let pending = '';
  let text = '';
  let usageTokens = 0;
  for (const chunk of chunks) {
    pending += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = pending.indexOf('\n\n')) >= 0) {
      const block = pending.slice(0, end);
      pending = pending.slice(end + 2);
      let data = '';
      for (const line of block.split('\n')) if (line.startsWith('data: ')) data += line.slice(6);
      if (data === '' || data === '[DONE]') continue;
      const event = JSON.parse(data);
      if (format === 'openai') {
        if (event.usage) usageTokens = event.usage.completion_tokens;
        for (const choice of event.choices) if (typeof choice.delta?.content === 'string') text += choice.delta.content;
      } else {
        if (event.usage) usageTokens = event.usage.output_tokens;
        if (event.type === 'content_block_delta' && typeof event.delta.text === 'string') text += event.delta.text;
      }
    }
  }
  return text.length + usageTokens;
}

// One operation: scan the whole stream. Returns something derived from the result so the work
// cannot be optimised away, or null when the method does not apply.
function operation(method: Method, c: Case): (() => number) | null {
  if (method === 'JS split + JSON.parse') return () => jsScan(c.format, c.chunks);
  const strip = method === 'native + strip';
  if (strip && c.format !== 'openai') return null;
  return () => {
    const scanner = new StreamUsageScanner(c.format, { stripUsageEvent: strip, collectText: true });
    let forwarded = 0;
    for (const chunk of c.chunks) forwarded += scanner.feed(chunk).length;
    forwarded += scanner.end().length;
    const result = forwarded + (scanner.usage()?.outputTokens ?? 0) + scanner.outputText().length;
    scanner.close();
    return result;
  };
}

// Median operations per second over the timed rounds (bench/support/measure.ts).
function measure(run: () => number): number {
  return medianRate(run, { rounds: ROUNDS, roundMs: ROUND_MS, warmupMs: WARMUP_MS });
}

function runTrial(caseIndex: number, method: Method): void {
  const run = operation(method, cases()[caseIndex]);
  process.stdout.write(JSON.stringify({ opsPerSecond: run === null ? null : measure(run) }));
}

function trialInChild(caseIndex: number, method: Method): number | null {
  const script = fileURLToPath(import.meta.url);
  const out = execFileSync(process.execPath, [script, '--trial', String(caseIndex), method], { encoding: 'utf8' });
  return (JSON.parse(out) as { opsPerSecond: number | null }).opsPerSecond;
}

function main(): void {
  const header = ['stream', 'bytes', 'chunks'];
  for (const m of METHODS) header.push(`${m} MB/s`, `${m} ns/chunk`);
  header.push('native ÷ JS');
  const rows = [header, header.map((_, i) => (i === 0 ? '---' : '---:'))];
  cases().forEach((c, index) => {
    const bytes = c.chunks.reduce((sum, chunk) => sum + chunk.length, 0);
    const row = [c.name, String(bytes), String(c.chunks.length)];
    const rates = METHODS.map((m) => trialInChild(index, m));
    for (const rate of rates) {
      row.push(rate === null ? '–' : ((rate * bytes) / 1e6).toFixed(0));
      row.push(rate === null ? '–' : (1e9 / rate / c.chunks.length).toFixed(0));
    }
    row.push(`${(rates[0]! / rates[2]!).toFixed(1)}×`);
    rows.push(row);
  });
  console.log(rows.map((cells) => `| ${cells.join(' | ')} |`).join('\n'));
}

if (process.argv[2] === '--trial') {
  runTrial(Number(process.argv[3]), process.argv[4] as Method);
} else {
  main();
}
