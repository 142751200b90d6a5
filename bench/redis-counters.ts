// Micro-benchmark: the Redis counter store (src/limits/redis-counters.ts), one connection.
//
//   node dist/bench/redis-counters.js        (REDIS_URL, default redis://127.0.0.1:6379)
//
// One operation is what a request does: reserve against 4 counters (fixed window, sliding
// window, gauge, accumulator; one Lua script call) and settle it (a second call). Rows:
// 1 request at a time (each op waits for its two round trips), and 64 requests in flight on
// the same connection with ioredis autopipelining on (the default) and off. Each trial runs
// in a fresh child process; the table shows the median of rounds. Skipped with a line when
// Redis does not answer. Prints a markdown table to stdout.

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';

import { RedisCounterStore, UNLIMITED } from '../src/limits/redis-counters.js';
import { CounterKind } from '../src/native/counters.js';

const ROUNDS = 5;
const ROUND_MS = 1_000;
const WARMUP_MS = 500;
const URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

const NAMES = ['bench:key:rpm', 'bench:key:tpm', 'bench:key:parallel', 'bench:team:budget'];
const RESERVE = [1, 1500, 1, 2500];
const ACTUAL = [1, 640, 1, 1800];

async function reachable(): Promise<string | null> {
  const client = new Redis(URL, { lazyConnect: true, connectTimeout: 2_000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
    return null;
  } catch (error) {
    return (error as Error).message;
  } finally {
    client.disconnect();
  }
}

async function deleteKeys(prefix: string): Promise<void> {
  const client = new Redis(URL);
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `{${prefix}}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await client.del(...keys);
  } while (cursor !== '0');
  client.disconnect();
}

async function runTrial(concurrency: number, autoPipelining: boolean): Promise<void> {
  const prefix = `bench_${randomBytes(6).toString('hex')}`;
  const store = await RedisCounterStore.connect({ url: URL, keyPrefix: prefix, autoPipelining });
  try {
    await store.define(NAMES[0], { kind: CounterKind.FixedWindow, limit: UNLIMITED, windowMs: 60_000 });
    await store.define(NAMES[1], { kind: CounterKind.SlidingWindow, limit: UNLIMITED, windowMs: 60_000 });
    await store.define(NAMES[2], { kind: CounterKind.Gauge, limit: UNLIMITED });
    await store.define(NAMES[3], { kind: CounterKind.Accumulator, limit: UNLIMITED });
    const entries = NAMES.map((name, i) => ({ name, amount: RESERVE[i] }));
    let ops = 0;
    let stop = false;
    const loop = async () => {
      while (!stop) {
        const result = await store.reserve(entries);
        if (!result.ok) throw new Error('refused');
        await store.settle(result.reservation, ACTUAL);
        ops++;
      }
    };
    const loops = Array.from({ length: concurrency }, loop);
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    await sleep(WARMUP_MS);
    const rates: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const before = ops;
      const t0 = performance.now();
      await sleep(ROUND_MS);
      rates.push(((ops - before) * 1000) / (performance.now() - t0));
    }
    stop = true;
    await Promise.all(loops);
    rates.sort((x, y) => x - y);
    process.stdout.write(JSON.stringify({ rate: rates[Math.floor(rates.length / 2)] }));
  } finally {
    await store.close();
    await deleteKeys(prefix);
  }
}

function trialInChild(concurrency: number, autoPipelining: boolean): number {
  const script = fileURLToPath(import.meta.url);
  const out = execFileSync(process.execPath, [script, '--trial', String(concurrency), String(autoPipelining)], { encoding: 'utf8' });
  return (JSON.parse(out) as { rate: number }).rate;
}

async function main(): Promise<void> {
  const why = await reachable();
  if (why !== null) {
    console.log(`redis-counters: skipped, Redis is not reachable at ${URL} (${why}); set REDIS_URL or start it`);
    return;
  }
  const format = (rate: number) => `${Math.round(rate).toLocaleString('en-US')}`;
  const one = trialInChild(1, true);
  const piped = trialInChild(64, true);
  const unpiped = trialInChild(64, false);
  console.log('One operation: reserve over 4 counters (fixed, sliding, gauge, accumulator) + settle: 2 script calls.');
  console.log(`One connection to ${URL}; median of ${ROUNDS} rounds of ${ROUND_MS} ms.\n`);
  console.log('| requests in flight | autopipelining | reserve+settle ops/s | ÷ 1 in flight |');
  console.log('| ---: | :---: | ---: | ---: |');
  console.log(`| 1 | on | ${format(one)} | 1.00× |`);
  console.log(`| 64 | on | ${format(piped)} | ${(piped / one).toFixed(2)}× |`);
  console.log(`| 64 | off | ${format(unpiped)} | ${(unpiped / one).toFixed(2)}× |`);
}

if (process.argv[2] === '--trial') {
  await runTrial(Number(process.argv[3]), process.argv[4] === 'true');
} else {
  await main();
}
