// Benchmark: spend-log rows per second sustained by SpendLogWriter into the store.
//
//   node dist/bench/spend-logs.js            (SPEND_BENCH_ROWS=200000 by default)
//
// A producer enqueues ROWS rows with realistic field sizes (64-hex key digest, UUID request id,
// ~0.6 KB of metadata, tags, timestamps within the last hour) in bursts of 1000 per event-loop
// turn, as request threads would; the clock runs from the first enqueue until flush() has
// committed the last row. The memory bound is set above ROWS so the figure is the database path,
// not the spill path. PostgreSQL (DATABASE_URL or postgres://postgres@127.0.0.1:5432/test, a
// throwaway schema per case) is skipped with a message when it does not answer; PGlite runs on
// disk in a temporary directory.
//
// A case is `<rows per batch>x<batches in flight>`, with `+spend` when the batches go through the
// gateway's sink (src/spend/store-sink.ts): one transaction per batch that also adds the new rows'
// spend to their key, user, team, member and end user (5,000 distinct end users here, upserted).
// Without it the writer calls insertBatch alone. SPEND_BENCH_PG_CASES and SPEND_BENCH_PGLITE_CASES
// (comma-separated; empty skips that backend) replace the default lists below. Before each case
// the bench waits up to SPEND_BENCH_QUIET_WAIT_S (default 15) for the other work on the machine to
// stop, and prints how busy the busiest core was just before the case.
// The project's target is ≥ 20,000 rows/s. Prints a markdown table to stdout.

import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { SpendLogWriter, type SpendLogSink } from '../src/spend/log-writer.js';
import { storeSpendSink } from '../src/spend/store-sink.js';
import { openStore } from '../src/store/open.js';
import type { SpendLogRecord, Store } from '../src/store/types.js';
import { waitForQuiet } from './e2e/machine.js';

const ROWS = Number(process.env.SPEND_BENCH_ROWS ?? 200_000);
const BURST = 1000;
const TARGET = 20_000;
const QUIET_WAIT_S = Number(process.env.SPEND_BENCH_QUIET_WAIT_S ?? 15);
/** PostgreSQL runs; the writer's defaults are 1000 rows × 4 in flight. */
const PG_CASES = process.env.SPEND_BENCH_PG_CASES ?? '500x1,1000x1,500x4,1000x2,1000x4,2000x4,1000x8,1000x4+spend,2000x4+spend';
/** PGlite is one connection: one batch in flight. */
const PGLITE_CASES = process.env.SPEND_BENCH_PGLITE_CASES ?? '1000x1,2000x1,1000x1+spend';
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

interface Case {
  batchSize: number;
  inFlight: number;
  /** Through the gateway's sink: rows and per-entity spend in one transaction per batch. */
  spend: boolean;
}

function parseCases(list: string): Case[] {
  return list
    .split(',')
    .filter((item) => item.trim() !== '')
    .map((item) => {
      const match = /^\s*(\d+)x(\d+)(\+spend)?\s*$/.exec(item);
      if (match === null) throw new Error(`spend-logs: bad case ${JSON.stringify(item)} (want e.g. 1000x4 or 1000x4+spend)`);
      return { batchSize: Number(match[1]), inFlight: Number(match[2]), spend: match[3] !== undefined };
    });
}

const MODELS = ['gpt-4o-mini', 'gpt-4o', 'claude-3-5-sonnet-20241022', 'gemini-1.5-pro', 'llama-3.1-70b'];
const KEYS = Array.from({ length: 200 }, () => randomBytes(32).toString('hex'));
const TEAMS = Array.from({ length: 20 }, () => randomUUID());

function makeRow(i: number, now: number): SpendLogRecord {
  const start = now - Math.floor(Math.random() * 3_600_000);
  const model = MODELS[i % MODELS.length];
  const prompt = 200 + (i % 1800);
  const completion = 50 + (i % 700);
  return {
    request_id: `chatcmpl-${randomUUID()}`,
    call_type: 'acompletion',
    api_key: KEYS[i % KEYS.length],
    spend: (prompt * 0.15 + completion * 0.6) / 1e6,
    total_tokens: prompt + completion,
    prompt_tokens: prompt,
    completion_tokens: completion,
    startTime: new Date(start).toISOString(),
    endTime: new Date(start + 900 + (i % 4000)).toISOString(),
    completionStartTime: new Date(start + 250).toISOString(),
    model,
    model_id: `deployment-${i % 12}`,
    model_group: model,
    api_base: 'https://api.openai.com/v1',
    user: `user-${i % 500}`,
    metadata: {
      user_api_key_alias: `service-${i % 200}`,
      user_api_key_team_alias: `team-${i % 20}`,
      user_api_key_org_id: null,
      spend_logs_metadata: { feature: 'chat', session: randomUUID() },
      requester_ip_address: '10.1.2.3',
      headers: { 'user-agent': 'OpenAI/Python 1.54.0', 'x-stainless-lang': 'python', 'x-stainless-runtime': 'CPython' },
      applied_guardrails: [],
      model_map_information: { model_map_key: model, model_map_value: { max_tokens: 16384, litellm_provider: 'openai' } },
      additional_usage_values: { prompt_tokens_details: { cached_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 0 } },
    },
    cache_hit: 'False',
    request_tags: ['prod', `tenant-${i % 50}`],
    team_id: TEAMS[i % TEAMS.length],
    end_user: `customer-${i % 5000}`,
    requester_ip_address: '10.1.2.3',
    custom_llm_provider: 'openai',
    request_duration_ms: 900 + (i % 4000),
    status: 'success',
    prompt_tokens_source: i % 10 === 0 ? 'counted' : 'provider',
  };
}

interface Result extends Case {
  backend: string;
  seconds: number;
  rowsPerSecond: number;
  stored: number;
  /** The busiest core's share used by other work just before the case, 0–1 (null off Linux). */
  busy: number | null;
}

async function run(backend: string, store: Store, { batchSize, inFlight, spend }: Case, spillDir: string): Promise<Result> {
  const now = Date.now();
  const rows = Array.from({ length: ROWS }, (_, i) => makeRow(i, now));
  const sink: SpendLogSink = spend ? storeSpendSink(store, () => true) : store;
  const quiet = await waitForQuiet(QUIET_WAIT_S);
  const writer = new SpendLogWriter(sink, { spillDir, batchSize, maxInFlight: inFlight, maxQueuedRows: ROWS + batchSize });
  const started = performance.now();
  for (let i = 0; i < rows.length; i += BURST) {
    for (let j = i; j < Math.min(i + BURST, rows.length); j++) writer.enqueue(rows[j]);
    await new Promise((resolve) => setImmediate(resolve));
  }
  await writer.flush();
  const seconds = (performance.now() - started) / 1000;
  await writer.close();
  const sums = await store.spendLogs.sumByEntity('model_group', new Date(now - 7_200_000).toISOString(), new Date(now + 60_000).toISOString());
  const stored = sums.reduce((sum, s) => sum + s.requests, 0);
  if (writer.stats().spilledRows > 0) throw new Error(`${backend}: rows spilled during the run`);
  const busy = quiet === null ? null : Math.max(...quiet);
  return { backend, batchSize, inFlight, spend, seconds, rowsPerSecond: ROWS / seconds, stored, busy };
}

async function postgresReachable(): Promise<string | null> {
  const client = new pg.Client({ connectionString: DATABASE_URL, connectionTimeoutMillis: 3000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const [{ server_version }] = (await client.query<{ server_version: string }>('SHOW server_version')).rows;
    return server_version.split(' ')[0];
  } catch (error) {
    process.stderr.write(`spend-logs: PostgreSQL skipped: not reachable at ${DATABASE_URL} (${(error as Error).message})\n`);
    return null;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

async function main(): Promise<void> {
  const pgCases = parseCases(PG_CASES);
  const pgliteCases = parseCases(PGLITE_CASES);
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'ailb-bench-spend-'));
  const results: Result[] = [];
  try {
    const version = pgCases.length > 0 ? await postgresReachable() : null;
    if (version !== null) {
      for (const c of pgCases) {
        const schema = `bench_spend_${randomBytes(6).toString('hex')}`;
        const store = await openStore({ databaseUrl: DATABASE_URL, dataDir: tmp, schema });
        try {
          results.push(await run(`PostgreSQL ${version}`, store, c, path.join(tmp, `spill-${schema}`)));
        } finally {
          await store.close();
          await dropSchema(schema);
        }
      }
    }
    for (const [i, c] of pgliteCases.entries()) {
      if (c.inFlight !== 1) throw new Error('spend-logs: PGlite has one connection: its cases have one batch in flight');
      const store = await openStore({ databaseUrl: null, dataDir: path.join(tmp, `pglite-${i}`) });
      try {
        results.push(await run('PGlite (on disk)', store, c, path.join(tmp, `spill-pglite-${i}`)));
      } finally {
        await store.close();
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }

  console.log(`\nSpend-log writer, ${ROWS.toLocaleString('en-US')} rows (target ≥ ${TARGET.toLocaleString('en-US')} rows/s), ${os.cpus().length} CPUs\n`);
  console.log('| backend | batch size | in flight | per-entity spend | seconds | rows/s | vs target | rows stored | other load before |');
  console.log('|---|---:|---:|:---:|---:|---:|---:|---:|---:|');
  for (const r of results) {
    console.log(
      `| ${r.backend} | ${r.batchSize} | ${r.inFlight} | ${r.spend ? 'yes' : 'no'} | ${r.seconds.toFixed(2)} | ${Math.round(r.rowsPerSecond).toLocaleString('en-US')} | ${(r.rowsPerSecond / TARGET).toFixed(2)}× | ${r.stored.toLocaleString('en-US')} | ${r.busy === null ? '—' : `${Math.round(r.busy * 100)}%`} |`,
    );
  }
  const bad = results.filter((r) => r.stored !== ROWS);
  if (bad.length > 0) {
    process.stderr.write(`spend-logs: stored row counts differ from ${ROWS}: ${bad.map((r) => `${r.backend}/${r.batchSize}x${r.inFlight}: ${r.stored}`).join(', ')}\n`);
    process.exitCode = 1;
  }
}

await main();
