// Micro-benchmark: what authenticating a request costs on an event-loop thread, master key
// against a virtual key found in the thread's cache (the common case: a key is resolved through
// the main thread once, then served from the cache until an admin change).
//
//   node dist/bench/auth.js
//
// One operation = a fresh RequestContext run through the auth and access stages, as the pipeline
// runs them for every request. Prints a markdown table to stdout.

import { parseConfigText } from '../src/config/load.js';
import { toAuthRecord } from '../src/control/auth-record.js';
import { hashKey, newKeyRecord } from '../src/control/key-material.js';
import { createAccessStage } from '../src/pipeline/access/stage.js';
import { ThreadKeyCache } from '../src/pipeline/auth/key-cache.js';
import { createAuthStage } from '../src/pipeline/auth/stage.js';
import { RequestContext, StageStatus } from '../src/pipeline/context.js';
import { INFERENCE_ROUTES } from '../src/pipeline/routes.js';
import { Runtime } from '../src/pipeline/runtime.js';
import type { KeyRecord } from '../src/store/types.js';
import { medianRate } from './support/measure.js';

const MASTER = 'sk-bench-master-key';
const VIRTUAL = 'sk-bench-virtual-key-0123456789abcdefghijklmnopqrstuv';

const config = parseConfigText(
  `model_list:
  - model_name: gpt-4o
    litellm_params: { model: openai/gpt-4o, api_base: "http://127.0.0.1:9/v1", api_key: sk-up }
general_settings: { master_key: ${MASTER} }
`,
  'bench-auth.yaml',
  {},
).config;
const runtime = new Runtime(config);

function keyRecord(): KeyRecord {
  return newKeyRecord(VIRTUAL, new Date(), null, { key_alias: 'bench', models: ['gpt-4o'] });
}

// The main thread's answer, given at once: the cache is filled before timing starts.
const cache = new ThreadKeyCache((_kind, _id, done) => done(structuredClone(toAuthRecord(keyRecord(), null, null, null)), null));
cache.fetchKey(hashKey(VIRTUAL), () => {});

const auth = createAuthStage(cache);
const access = createAccessStage(cache);
const route = INFERENCE_ROUTES[0];

function run(key: string): number {
  const ctx = new RequestContext(route, runtime, 0);
  ctx.presentedKey = key;
  ctx.model = 'gpt-4o';
  if (auth(ctx) !== StageStatus.Continue || access(ctx) !== StageStatus.Continue) throw new Error('refused');
  return ctx.auth === null ? 0 : 1;
}

const options = { rounds: 9, roundMs: 200, warmupMs: 500 };
const rows: string[] = [];
for (const [label, key] of [['master key', MASTER], ['virtual key (cached)', VIRTUAL]] as const) {
  const rate = medianRate(() => run(key), options);
  rows.push(`| ${label} | ${(rate / 1e6).toFixed(2)}M | ${(1e6 / rate).toFixed(2)} |`);
}
console.log('### Authentication per request (auth + access stages, fresh context each)\n');
console.log('| key | ops/s | µs per request |');
console.log('| --- | ---: | ---: |');
for (const row of rows) console.log(row);
