// Micro-benchmark: what the limits stage costs per request on an event-loop thread, from the
// stage to the settle at finish, for the master key, a virtual key without limits, and a key with
// its own and its team's limits and budgets (rpm, tpm, max_parallel_requests, max_budget on the
// key; rpm and max_budget on the team: one reservation over 6 counters, then its settle).
//
//   node dist/bench/limits.js
//
// One operation = a fresh RequestContext (as every request has) run through the limits stage,
// then settled as a 200 answer with usage and cost. The first row is the context alone, so the
// stage's own cost is the difference. Prints a markdown table to stdout.

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseConfigText } from '../src/config/load.js';
import { toAuthRecord } from '../src/control/auth-record.js';
import { newKeyRecord } from '../src/control/key-material.js';
import { RequestContext, StageStatus } from '../src/pipeline/context.js';
import { createLimitsStage, RequestLimits } from '../src/pipeline/limits/stage.js';
import { INFERENCE_ROUTES } from '../src/pipeline/routes.js';
import { Runtime } from '../src/pipeline/runtime.js';
import type { TeamRecord } from '../src/store/types.js';
import { medianRate } from './support/measure.js';

const config = parseConfigText(
  `model_list:
  - model_name: gpt-4o
    litellm_params: { model: openai/gpt-4o, api_base: "http://127.0.0.1:9/v1", api_key: sk-up }
general_settings: { master_key: sk-bench-master }
`,
  'bench-limits.yaml',
  {},
).config;
const runtime = new Runtime(config);
const deployment = runtime.deploymentsFor('gpt-4o')[0];
const route = INFERENCE_ROUTES[0];

const at = new Date().toISOString();
const team: TeamRecord = {
  team_id: 'bench-team', team_alias: null, organization_id: null, models: [], max_budget: 1e9, soft_budget: null,
  budget_duration: null, budget_reset_at: null, spend: 0, tpm_limit: null, rpm_limit: 1e12, max_parallel_requests: null,
  model_aliases: {}, metadata: {}, tags: [], blocked: false, model_max_budget: {}, team_member_budget: null,
  team_member_budget_duration: null, team_member_budget_reset_at: null, team_member_rpm_limit: null, team_member_tpm_limit: null,
  created_at: at, updated_at: at, created_by: null,
};
const plain = toAuthRecord(newKeyRecord('sk-bench-plain-key', new Date(), null, {}), null, null, null);
const limited = toAuthRecord(
  newKeyRecord('sk-bench-limited-key', new Date(), null, { team_id: 'bench-team', rpm_limit: 1e12, tpm_limit: 1e14, max_parallel_requests: 1e6, max_budget: 1e9 }),
  null,
  team,
  null,
);

const limits = new RequestLimits();
const stage = createLimitsStage(limits);

function run(record: typeof plain | null, withStage: boolean): number {
  const ctx = new RequestContext(route, runtime, 0);
  ctx.auth = record;
  ctx.model = 'gpt-4o';
  ctx.deployment = deployment;
  ctx.upstreamModel = 'gpt-4o';
  ctx.promptTokens = 12;
  ctx.maxTokens = 100;
  if (!withStage) return ctx.promptTokens;
  if (stage(ctx) !== StageStatus.Continue) throw new Error('refused');
  ctx.status = 200;
  ctx.usage = { promptTokens: 12, completionTokens: 6, source: 'provider' };
  ctx.costUsd = 0.0001;
  limits.finish(ctx);
  return ctx.limitHandle;
}

const options = { rounds: 9, roundMs: 200, warmupMs: 500 };
const cases = [
  ['context only (no stage)', null, false],
  ['master key', null, true],
  ['virtual key without limits', plain, true],
  ['key + team limits and budgets (6 counters)', limited, true],
] as const;
if (process.argv[2] === undefined) {
  console.log('### Limits stage per request (fresh context, stage, settle at finish)\n');
  console.log('| request | ops/s | µs per request |');
  console.log('| --- | ---: | ---: |');
}
// Each case in a fresh process (bench/README.md): one case's JIT state must not slow another's.
const only = process.argv[2];
if (only === undefined) {
  for (let i = 0; i < cases.length; i++) {
    const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), String(i)], { encoding: 'utf8' });
    if (child.status !== 0) throw new Error(child.stderr);
    process.stdout.write(child.stdout);
  }
} else {
  const [label, record, withStage] = cases[Number(only)];
  const rate = medianRate(() => run(record, withStage), options);
  console.log(`| ${label} | ${(rate / 1e6).toFixed(2)}M | ${(1e6 / rate).toFixed(3)} |`);
}
