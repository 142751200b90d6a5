// Micro-benchmark: the gateway's whole request path on one event-loop thread, without sockets:
// what the pipeline costs per request on top of the runtime floor (`BENCH_CONTENDERS=floor`).
//
//   node dist/bench/pipeline.js [openai|anthropic|full]     (one scenario only when named)
//
// `full` is the every-feature request of the e2e `ailb-full` contender: a virtual key with rpm,
// tpm, parallel and budget limits (served from the thread's key cache, as after its first use),
// ten deployments, a priced deployment and a spend-log row. Its difference from the pass-through
// row is what those features cost the event-loop thread; the main thread's share (decoding the
// rows, the store's writes) is measured by bench/spend-logs.ts.
//
// One operation = one request as the worker serves it: a RequestContext from the client's bytes,
// every stage (auth, parse, access, route, tokens, limits), the upstream call with the deployment's
// connection pool replaced by one that answers at once (head, body, end, as the origin pool calls
// an ExchangeHandler), the answer written to a sink that keeps nothing, and the end of the request
// (limits, spend-log row, metrics). What is left out is exactly what the runtime floor measures:
// uWS.js and the socket I/O. Prints a markdown table to stdout; run it with --cpu-prof to see
// where the time goes.

import { parseConfigText } from '../src/config/load.js';
import { toAuthRecord } from '../src/control/auth-record.js';
import { hashKey, newKeyRecord } from '../src/control/key-material.js';
import { ThreadKeyCache } from '../src/pipeline/auth/key-cache.js';
import { ThreadMetrics } from '../src/observability/metrics.js';
import { RequestContext } from '../src/pipeline/context.js';
import { InferencePipeline } from '../src/pipeline/pipeline.js';
import { INFERENCE_ROUTES } from '../src/pipeline/routes.js';
import { Runtime } from '../src/pipeline/runtime.js';
import type { ResponseSink } from '../src/pipeline/sink.js';
import { SpendRecorder } from '../src/spend/spend-recorder.js';
import type { ExchangeHandler, RequestOptions } from '../src/upstream/origin-pool.js';
import { ailbConfig, FULL_KEY, FULL_KEY_FIELDS } from './e2e/contenders.js';
import { ANTHROPIC_RESPONSE_BODY, MASTER_KEY, REQUEST_BODY, RESPONSE_BODY } from './e2e/fixtures.js';
import { medianRate } from './support/measure.js';

/** The head nginx sends with the fixed answer (the benchmark's upstream). */
function upstreamHead(body: Buffer): Record<string, string> {
  return { server: 'nginx/1.22.1', date: new Date().toUTCString(), 'content-type': 'application/json', 'content-length': String(body.length), connection: 'keep-alive' };
}

class NullSink implements ResponseSink {
  bytes = 0;
  respond(_status: number, headers: readonly string[], body: Uint8Array | string): void {
    this.bytes += headers.length + body.length;
  }
  startStream(): void {}
  write(chunk: Uint8Array | string): boolean {
    this.bytes += chunk.length;
    return true;
  }
  onWritable(): void {}
  end(): void {}
}

interface Scenario {
  readonly label: string;
  readonly provider: 'openai' | 'anthropic';
  readonly answer: Buffer;
  /** Every feature: the virtual key, ten deployments, spend logs (see the top of this file). */
  readonly full?: boolean;
}

/** A key cache that already holds FULL_KEY, as the worker's does after the key's first request. */
function fullKeyCache(): ThreadKeyCache {
  const record = toAuthRecord(newKeyRecord(FULL_KEY, new Date(), null, { key_alias: 'bench-full', ...FULL_KEY_FIELDS }), null, null, null);
  const keys = new ThreadKeyCache((_kind, _id, done) => done(record, null));
  keys.fetchKey(hashKey(FULL_KEY), () => {});
  return keys;
}

function measure(scenario: Scenario): number {
  const full = scenario.full === true;
  const config = parseConfigText(ailbConfig(9, true, full ? 10 : 1, full, scenario.provider), 'bench-pipeline.yaml', {}).config;
  const runtime = new Runtime(config);
  const metrics = new ThreadMetrics();
  const spend = new SpendRecorder(() => {});
  const pipeline = new InferencePipeline(
    {
      finish(ctx) {
        if (ctx.finished) return;
        ctx.finished = true;
        pipeline.limits.finish(ctx);
        const now = performance.now();
        spend.record(ctx, now, ctx.status >= 400);
        metrics.requestFinished(ctx.route.name, ctx.model, ctx.status, (now - ctx.startedAt) / 1000, ctx.overheadMs / 1000);
        if (ctx.usage !== null) {
          metrics.tokensUsed(ctx.model, 'prompt', ctx.usage.source, ctx.usage.promptTokens);
          metrics.tokensUsed(ctx.model, 'completion', ctx.usage.source, ctx.usage.completionTokens);
        }
      },
      upstreamError() {},
    },
    (_ctx, error) => {
      throw error;
    },
    full ? fullKeyCache() : null,
  );
  // The pool answers the exchange right after it is sent, in the same turn.
  let pending: ExchangeHandler | null = null;
  for (const group of runtime.deploymentGroups) {
    for (const deployment of group.deployments) {
      (deployment.pool as unknown as { request: (options: RequestOptions, handler: ExchangeHandler) => unknown }).request = (_options, handler) => {
        pending = handler;
        return { abort() {}, resume() {} };
      };
    }
  }
  const route = INFERENCE_ROUTES.find((candidate) => candidate.name === 'chat_completions')!;
  const body = Buffer.from(REQUEST_BODY);
  const sink = new NullSink();
  const answer = scenario.answer;
  const run = () => {
    const ctx = new RequestContext(route, runtime, performance.now(), route.paths[0]);
    ctx.presentedKey = full ? FULL_KEY : MASTER_KEY;
    ctx.body = body;
    ctx.bodyLength = body.length;
    pipeline.run(ctx, sink);
    const handler = pending;
    pending = null;
    if (handler === null) throw new Error(`no upstream call (status ${ctx.status})`);
    handler.onHead(200, upstreamHead(answer));
    handler.onBody(answer);
    handler.onComplete();
    if (ctx.status !== 200) throw new Error(`status ${ctx.status}`);
    return 1;
  };
  return medianRate(run, { rounds: 9, roundMs: 200, warmupMs: 1000 });
}

const scenarios: Scenario[] = [
  { label: 'pass-through (OpenAI-compatible upstream)', provider: 'openai', answer: Buffer.from(RESPONSE_BODY) },
  { label: 'translated (Anthropic upstream)', provider: 'anthropic', answer: Buffer.from(ANTHROPIC_RESPONSE_BODY) },
  { label: 'every feature (virtual key with limits and budget, 10 deployments, spend row)', provider: 'openai', answer: Buffer.from(RESPONSE_BODY), full: true },
];
const only = process.argv[2];
const rows = scenarios.filter((scenario) => only === undefined || (only === 'full' ? scenario.full === true : scenario.provider === only && scenario.full !== true)).map((scenario) => {
  const rate = measure(scenario);
  return `| ${scenario.label} | ${(rate / 1e3).toFixed(1)}k | ${(1e6 / rate).toFixed(2)} |`;
});
console.log('| request path (no sockets) | requests/s | µs per request |\n|---|--:|--:|');
for (const row of rows) console.log(row);
