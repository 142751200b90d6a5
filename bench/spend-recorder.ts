// Micro-benchmark: what recording a spend-log row adds to an event-loop thread's finish().
//
//   node dist/bench/spend-recorder.js
//
// One operation = the finish work of src/server/worker.ts (inflight set, limits settle, request
// metrics, token metrics) on a finished virtual-key request that reached an upstream, without and
// with SpendRecorder.record(): once with its batches dropped (the recording alone), once posting
// them (512 rows each) to a real worker thread that discards them, so the structured-clone cost
// of each postMessage is inside the timing, spread over the rows of its batch. The receiving
// thread competes for the same CPUs, as the main thread does in the gateway. The budget is
// ≤ 1 µs per request. Prints a markdown table.

import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { parseConfigText } from '../src/config/load.js';
import { toAuthRecord } from '../src/control/auth-record.js';
import { newKeyRecord } from '../src/control/key-material.js';
import { ThreadMetrics } from '../src/observability/metrics.js';
import { RequestContext } from '../src/pipeline/context.js';
import { KeyLimits } from '../src/pipeline/limits/stage.js';
import { INFERENCE_ROUTES } from '../src/pipeline/routes.js';
import { Runtime } from '../src/pipeline/runtime.js';
import { SpendRecorder } from '../src/spend/spend-recorder.js';
import { medianRate } from './support/measure.js';

const config = parseConfigText(
  `model_list:
  - model_name: gpt-4o
    litellm_params: { model: openai/gpt-4o-2024-08-06, api_base: "http://127.0.0.1:9/v1", api_key: sk-up }
`,
  'bench-spend-recorder.yaml',
  {},
).config;
const runtime = new Runtime(config);
const deployment = runtime.deploymentsFor('gpt-4o')[0];
const auth = structuredClone(
  toAuthRecord(newKeyRecord('sk-bench-virtual-key-0123456789abcdefghij', new Date(), null, { user_id: 'alice', team_id: 'team-a' }), null, null, null),
);

const POOL = 4096;
const contexts = Array.from({ length: POOL }, () => {
  const ctx = new RequestContext(INFERENCE_ROUTES[0], runtime, performance.now());
  ctx.auth = auth;
  ctx.model = 'gpt-4o';
  ctx.upstreamModel = 'gpt-4o-2024-08-06';
  ctx.deployment = deployment;
  ctx.dispatchedAt = ctx.startedAt + 0.2;
  ctx.upstreamHeadersAt = ctx.startedAt + 40;
  ctx.overheadMs = 0.05;
  ctx.status = 200;
  ctx.promptTokens = 12;
  ctx.usage = { promptTokens: 12, completionTokens: 6, source: 'provider' };
  ctx.costUsd = 0.000042;
  return ctx;
});

const sinkWorker = new Worker('require("node:worker_threads").parentPort.on("message", () => {});', { eval: true });
sinkWorker.unref();

class Thread {
  readonly metrics = new ThreadMetrics();
  readonly limits = new KeyLimits();
  readonly inflight = new Set<RequestContext>();
  readonly upstreamFailed = new Set<RequestContext>();
  constructor(readonly spend: SpendRecorder | null) {}

  /** worker.ts finish(), line for line (drain bookkeeping aside). */
  finish(ctx: RequestContext): void {
    if (ctx.finished) return;
    ctx.finished = true;
    this.inflight.delete(ctx);
    this.limits.finish(ctx);
    const now = performance.now();
    const upstreamFailed = this.upstreamFailed.size !== 0 && this.upstreamFailed.delete(ctx);
    if (this.spend !== null && ctx.dispatchedAt > 0 && ctx.deployment !== null) {
      this.spend.record(ctx, now, upstreamFailed || ctx.aborted || ctx.status < 200 || ctx.status >= 400);
    }
    const durationS = (now - ctx.startedAt) / 1000;
    this.metrics.requestFinished(ctx.route.name, ctx.model, ctx.aborted ? 499 : ctx.status, durationS, ctx.overheadMs / 1000);
    const usage = ctx.usage;
    if (usage !== null) {
      this.metrics.tokensUsed(ctx.model, 'prompt', usage.source, usage.promptTokens);
      this.metrics.tokensUsed(ctx.model, 'completion', usage.source, usage.completionTokens);
    }
  }
}

const variants: [string, Thread][] = [
  ['finish, no store (no recording)', new Thread(null)],
  ['finish + SpendRecorder.record (batches dropped, not posted)', new Thread(new SpendRecorder(() => {}))],
  [
    'finish + SpendRecorder.record (512-row postMessage included)',
    new Thread(
      new SpendRecorder((batch) => sinkWorker.postMessage(batch)),
    ),
  ],
];

const options = { rounds: 9, roundMs: 100, warmupMs: 300 };
const TRIALS = 7;

/** One variant in this process: ns per finish. */
async function measure(v: number): Promise<number> {
  const thread = variants[v][1];
  let i = 0;
  const rate = medianRate(() => {
    const ctx = contexts[i++ & (POOL - 1)];
    ctx.finished = false;
    thread.inflight.add(ctx);
    thread.metrics.requestStarted();
    thread.finish(ctx);
    return 1;
  }, options);
  return 1e9 / rate;
}

const only = process.env.SPEND_RECORDER_VARIANT;
if (only !== undefined) {
  // A child: one variant, one trial, in a fresh process (no JIT or GC state from the others).
  process.stdout.write(`${(await measure(Number(only))).toFixed(1)}\n`);
} else {
  // Variants alternate within each trial, so a neighbour's load drifts over all of them alike.
  const samples: number[][] = variants.map(() => []);
  for (let trial = 0; trial < TRIALS; trial++) {
    for (let v = 0; v < variants.length; v++) {
      const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url)], { env: { ...process.env, SPEND_RECORDER_VARIANT: String(v) } });
      samples[v].push(Number(out.toString().trim()));
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  const base = median(samples[0]);
  console.log('### Spend-log recording in finish() (one event-loop thread)\n');
  console.log(`| variant | ns per finish (median of ${TRIALS} processes) | added | range |`);
  console.log('| --- | ---: | ---: | ---: |');
  for (const [v, [label]] of variants.entries()) {
    const ns = median(samples[v]);
    console.log(`| ${label} | ${ns.toFixed(0)} | ${(ns - base).toFixed(0)} | ${Math.min(...samples[v]).toFixed(0)}–${Math.max(...samples[v]).toFixed(0)} |`);
  }
}
await sinkWorker.terminate();
