import { test } from 'node:test';
import assert from 'node:assert/strict';
import { calcPrice, type Usage } from '@pydantic/genai-prices';
import {
  concretePricing,
  costOf,
  deploymentPricing,
  estimateMaxCost,
  pricesAt,
  type DeploymentPricing,
  type PricedDeployment,
} from '../../src/spend/pricing.js';
import { addUsd, fromMicroUsd, roundUsd, toMicroUsd } from '../../src/spend/money.js';
import { usageFromAnthropic, usageFromOpenAI, type TokenUsage } from '../../src/spend/usage.js';

const EPS = 1e-12;

function deployment(provider: string, upstreamModel: string, modelInfo: Record<string, unknown> = {}): PricedDeployment {
  return { provider, upstreamModel, modelInfo };
}

/** The usage as genai-prices takes it: input_tokens is the total, the cache counts parts of it. */
function genaiUsage(u: TokenUsage): Usage {
  return {
    input_tokens: u.promptTokens,
    cache_read_tokens: u.cachedPromptTokens ?? 0,
    cache_write_tokens: u.cacheCreationTokens ?? 0,
    output_tokens: u.completionTokens,
    output_reasoning_tokens: u.reasoningTokens ?? 0,
  };
}

function assertClose(actual: number | null, expected: number, what: string): void {
  assert.ok(actual !== null, `${what}: no cost`);
  assert.ok(Math.abs(actual - expected) <= EPS, `${what}: ${actual} vs ${expected}`);
}

const USAGES: readonly TokenUsage[] = [
  { promptTokens: 0, completionTokens: 0 },
  { promptTokens: 1, completionTokens: 1 },
  { promptTokens: 1234, completionTokens: 567 },
  { promptTokens: 10_000, completionTokens: 2_000, cachedPromptTokens: 8_192, reasoningTokens: 1_500 },
  { promptTokens: 50_000, completionTokens: 300, cachedPromptTokens: 10_000, cacheCreationTokens: 30_000 },
  { promptTokens: 1_000_000, completionTokens: 1_000_000 },
];

test('known models cost what calcPrice says, to 1e-12 USD', () => {
  const cases: [string, string, string, string][] = [
    // AILB provider, upstream model, genai-prices provider, genai-prices model id
    ['openai', 'gpt-4o', 'openai', 'gpt-4o'],
    ['openai', 'gpt-4o-mini', 'openai', 'gpt-4o-mini'],
    ['openai', 'gpt-4o-2024-08-06', 'openai', 'gpt-4o'],
    ['anthropic', 'claude-3-5-sonnet-20241022', 'anthropic', 'claude-3-5-sonnet'],
    ['anthropic', 'claude-3-5-sonnet-latest', 'anthropic', 'claude-3-5-sonnet'],
    ['groq', 'llama-3.3-70b-versatile', 'groq', 'llama-3.3-70b-versatile'],
    ['groq', 'llama-3.1-8b-instant', 'groq', 'llama-3.1-8b-instant'],
    ['xai', 'grok-3', 'x-ai', 'grok-3'],
    ['together_ai', 'meta-llama/Llama-3.3-70B-Instruct-Turbo', 'together', 'meta-llama/Llama-3.3-70B-Instruct-Turbo'],
    ['openrouter', 'openai/gpt-4o', 'openrouter', 'openai/gpt-4o'],
    ['mistral', 'mistral-large-latest', 'mistral', 'mistral-large'],
    ['perplexity', 'sonar', 'perplexity', 'sonar'],
    ['gemini', 'gemini-2.5-pro', 'google', 'gemini-2.5-pro'],
  ];
  for (const [provider, model, genaiProvider, genaiModel] of cases) {
    const p = deploymentPricing(deployment(provider, model));
    assert.equal(p.source, 'genai-prices', `${provider}/${model}`);
    assert.equal(p.label, `genai-prices ${genaiProvider}/${genaiModel}`);
    for (const u of USAGES) {
      const expected = calcPrice(genaiUsage(u), model, { providerId: genaiProvider });
      assert.ok(expected !== null);
      assertClose(costOf(p, u), expected.total_price, `${provider}/${model} ${JSON.stringify(u)}`);
    }
  }
});

test('gpt-4o by hand: 1M prompt tokens (half cached) and 1M completion tokens (some reasoning)', () => {
  const p = deploymentPricing(deployment('openai', 'gpt-4o'));
  // $2.50/M input, $1.25/M cached input, $10/M output; reasoning priced as output.
  const u = { promptTokens: 1_000_000, completionTokens: 1_000_000, cachedPromptTokens: 500_000, reasoningTokens: 400_000 };
  assert.equal(costOf(p, u), 1.25 + 0.625 + 10);
});

test('cached and reasoning tokens, from both wire formats, are priced as calcPrice prices them', () => {
  const sonnet = deploymentPricing(deployment('anthropic', 'claude-3-5-sonnet-20241022'));
  const anthropic = usageFromAnthropic({
    input_tokens: 100,
    cache_read_input_tokens: 20_000,
    cache_creation_input_tokens: 3_000,
    output_tokens: 700,
  });
  assert.ok(anthropic !== null);
  // $3/M input, $0.30/M cache read, $3.75/M cache write, $15/M output.
  assertClose(costOf(sonnet, anthropic), (100 * 3 + 20_000 * 0.3 + 3_000 * 3.75 + 700 * 15) / 1e6, 'sonnet by hand');
  const viaGenai = calcPrice(
    { input_tokens: 23_100, cache_read_tokens: 20_000, cache_write_tokens: 3_000, output_tokens: 700 },
    'claude-3-5-sonnet-20241022',
    { providerId: 'anthropic' },
  );
  assertClose(costOf(sonnet, anthropic), viaGenai!.total_price, 'sonnet vs calcPrice');

  const mini = deploymentPricing(deployment('openai', 'gpt-4o-mini'));
  const openai = usageFromOpenAI({
    prompt_tokens: 5_000,
    completion_tokens: 900,
    prompt_tokens_details: { cached_tokens: 4_096 },
    completion_tokens_details: { reasoning_tokens: 600 },
  });
  assert.ok(openai !== null);
  // $0.15/M input, $0.075/M cached, $0.60/M output (reasoning included).
  assertClose(costOf(mini, openai), (904 * 0.15 + 4_096 * 0.075 + 900 * 0.6) / 1e6, 'mini by hand');
});

test('model_info prices win over genai-prices entirely', () => {
  const p = deploymentPricing(
    deployment('openai', 'gpt-4o', { input_cost_per_token: 1e-6, output_cost_per_token: 2e-6 }),
  );
  assert.equal(p.source, 'model_info');
  assert.deepEqual(p.warnings, []);
  // Cached tokens at the input price: model_info sets no cache price, and gpt-4o's is not used.
  assert.equal(costOf(p, { promptTokens: 1_000_000, completionTokens: 500_000, cachedPromptTokens: 400_000 }), 2);
  // An unknown model is priced by model_info too, and so is a wildcard deployment.
  assert.equal(costOf(deploymentPricing(deployment('hosted_vllm', 'my-llama', { input_cost_per_token: 0, output_cost_per_token: 0 })), USAGES[2]), 0);
  const wild = deploymentPricing(deployment('openai', '*', { input_cost_per_token: 1e-6, output_cost_per_token: 1e-6 }));
  assert.equal(wild.source, 'model_info');
  assert.equal(costOf(concretePricing(wild, 'gpt-4o'), { promptTokens: 3, completionTokens: 0 }), 3e-6);
});

test('model_info: reasoning, cache read and cache creation prices', () => {
  const p = deploymentPricing(
    deployment('openai', 'o-custom', {
      input_cost_per_token: 2e-6,
      output_cost_per_token: 8e-6,
      output_cost_per_reasoning_token: 1.2e-5,
      cache_read_input_token_cost: 5e-7,
      cache_creation_input_token_cost: 2.5e-6,
    }),
  );
  const u = { promptTokens: 1_000, completionTokens: 500, cachedPromptTokens: 600, cacheCreationTokens: 100, reasoningTokens: 200 };
  assert.equal(costOf(p, u), roundUsd((300 * 2 + 600 * 0.5 + 100 * 2.5 + 300 * 8 + 200 * 12) / 1e6));
});

test('model_info tiers switch when the prompt passes exactly 128k and 200k tokens', () => {
  const p = deploymentPricing(
    deployment('vertex_ai', 'gemini-custom', {
      input_cost_per_token: 1e-6,
      output_cost_per_token: 4e-6,
      input_cost_per_token_above_128k_tokens: 2e-6,
      output_cost_per_token_above_128k_tokens: 8e-6,
      input_cost_per_token_above_200k_tokens: 3e-6,
      // no output price above 200k: the base output price applies there, as in LiteLLM
      cache_read_input_token_cost_above_200k_tokens: 1e-7,
    }),
  );
  assert.deepEqual(p.warnings, []);
  const cost = (prompt: number, cached = 0) =>
    costOf(p, { promptTokens: prompt, completionTokens: 1_000, cachedPromptTokens: cached });
  assert.equal(cost(128_000), roundUsd((128_000 * 1 + 1_000 * 4) / 1e6));
  assert.equal(cost(128_001), roundUsd((128_001 * 2 + 1_000 * 8) / 1e6));
  assert.equal(cost(200_000), roundUsd((200_000 * 2 + 1_000 * 8) / 1e6));
  assert.equal(cost(200_001), roundUsd((200_001 * 3 + 1_000 * 4) / 1e6));
  // Cached tokens count toward the tier, and take the tier's cache price.
  assert.equal(cost(200_001, 100_001), roundUsd((100_000 * 3 + 100_001 * 0.1 + 1_000 * 4) / 1e6));
  // Without a cache price below 200k, cached tokens cost the tier's input price.
  assert.equal(cost(150_000, 50_000), roundUsd((150_000 * 2 + 1_000 * 8) / 1e6));
});

test("genai-prices tiers switch where calcPrice's do (claude-sonnet-4-5 and gemini-1.5-pro)", () => {
  for (const [provider, model, genaiProvider, start] of [
    ['anthropic', 'claude-sonnet-4-5', 'anthropic', 200_000],
    ['gemini', 'gemini-1.5-pro', 'google', 128_000],
  ] as const) {
    const p = deploymentPricing(deployment(provider, model));
    assert.equal(pricesAt(p)?.tiers.length, 2, model);
    for (const prompt of [start - 1, start, start + 1]) {
      const u = { promptTokens: prompt, completionTokens: 10_000, cachedPromptTokens: 1_000 };
      const expected = calcPrice(genaiUsage(u), model, { providerId: genaiProvider });
      assertClose(costOf(p, u), expected!.total_price, `${model} at ${prompt}`);
    }
    const below = costOf(p, { promptTokens: start, completionTokens: 0 })!;
    const above = costOf(p, { promptTokens: start + 1, completionTokens: 0 })!;
    assert.ok(above > below * 1.5, `${model}: ${below} → ${above}`);
  }
});

test('unknown models and providers cost null, and building their pricing does not throw', () => {
  for (const [provider, model] of [
    ['openai', 'gpt-does-not-exist'],
    ['groq', ''],
    ['ollama', 'llama3'],
    ['hosted_vllm', 'meta-llama/Llama-3.1-8B-Instruct'],
    ['no_such_provider', 'gpt-4o'],
    ['fireworks_ai', 'accounts/fireworks/models/llama-v3p3-70b-instruct'],
  ]) {
    const p = deploymentPricing(deployment(provider, model));
    assert.equal(p.source, 'unknown', `${provider}/${model}`);
    assert.equal(costOf(p, USAGES[2]), null);
    assert.equal(pricesAt(p), null);
  }
});

test('model_info.base_model picks the genai-prices model (LiteLLM cost tracking for custom names)', () => {
  const p = deploymentPricing(deployment('azure', 'my-gpt4o-deployment', { base_model: 'azure/gpt-4o' }));
  assert.equal(p.label, 'genai-prices azure/gpt-4o');
  const bare = deploymentPricing(deployment('openai_compatible', 'whatever', { base_model: 'openai/gpt-4o-mini' }));
  assert.equal(bare.label, 'genai-prices openai/gpt-4o-mini');
  const unprefixed = deploymentPricing(deployment('openai', 'ft:gpt-4o:acme', { base_model: 'gpt-4o' }));
  assert.equal(unprefixed.label, 'genai-prices openai/gpt-4o');
});

test('wildcard deployments are priced per concrete model, once per name', () => {
  const p = deploymentPricing(deployment('openai', '*'));
  assert.equal(p.source, 'wildcard');
  assert.equal(costOf(p, USAGES[2]), null);
  const a = concretePricing(p, 'gpt-4o');
  assert.equal(a.source, 'genai-prices');
  assert.equal(concretePricing(p, 'gpt-4o'), a);
  assert.equal(concretePricing(p, 'not-a-model').source, 'unknown');
  assert.equal(concretePricing(a, 'gpt-4o-mini'), a);
});

test('pricing fields that cannot be used are reported as warnings, never thrown', () => {
  const cacheOnly = deploymentPricing(deployment('openai', 'gpt-4o', { cache_read_input_token_cost: 1e-7 }));
  assert.equal(cacheOnly.source, 'genai-prices');
  assert.match(cacheOnly.warnings.join('\n'), /cache_read_input_token_cost set without input_cost_per_token/);
  const inputOnly = deploymentPricing(deployment('openai', 'x', { input_cost_per_token: 1e-6 }));
  assert.match(inputOnly.warnings.join('\n'), /output tokens are priced at 0/);
  const outputTierOnly = deploymentPricing(
    deployment('openai', 'x', { input_cost_per_token: 1e-6, output_cost_per_token: 2e-6, output_cost_per_token_above_128k_tokens: 4e-6 }),
  );
  assert.match(outputTierOnly.warnings.join('\n'), /ignored, as LiteLLM does/);
  assert.equal(pricesAt(outputTierOnly)?.tiers.length, 1);
  const bad = deploymentPricing({
    provider: 'openai',
    upstreamModel: 'x',
    modelInfo: { input_cost_per_token: 1e-6, output_cost_per_token: 'lots' },
  });
  assert.match(bad.warnings.join('\n'), /model_info.output_cost_per_token is not a non-negative number/);
});

test('litellm_params prices count too (LiteLLM custom pricing); model_info wins over them', () => {
  const p = deploymentPricing({
    provider: 'openai',
    upstreamModel: 'gpt-4o',
    modelInfo: { output_cost_per_token: 3e-6 },
    litellmParams: { model: 'openai/gpt-4o', input_cost_per_token: '1e-6', output_cost_per_token: 9e-6 },
  });
  assert.equal(p.source, 'model_info');
  assert.equal(costOf(p, { promptTokens: 1_000_000, completionTokens: 1_000_000 }), 4);
});

test('genai-prices variants by hour: DeepSeek off-peak prices follow the time of the call', () => {
  const p = deploymentPricing(deployment('deepseek', 'deepseek-chat'));
  assert.ok(p.variants.length > 1);
  const u = { promptTokens: 100_000, completionTokens: 10_000, cachedPromptTokens: 50_000 };
  for (const iso of ['2025-06-01T00:29:59Z', '2025-06-01T00:30:00Z', '2025-06-01T12:00:00Z', '2025-06-01T16:30:00Z', '2025-06-01T23:00:00Z']) {
    const at = new Date(iso);
    const expected = calcPrice(genaiUsage(u), 'deepseek-chat', { providerId: 'deepseek', timestamp: at });
    assertClose(costOf(p, u, at.getTime()), expected!.total_price, iso);
    assertClose(estimateMaxCost(pricesAt(p, at.getTime())!, 0, 0), 0, iso);
  }
  const day = costOf(p, u, Date.parse('2025-06-01T12:00:00Z'))!;
  const night = costOf(p, u, Date.parse('2025-06-01T23:00:00Z'))!;
  assert.notEqual(day, night);
});

test('estimateMaxCost: the exact prompt cost plus every allowed output token at the output price', () => {
  const gpt = pricesAt(deploymentPricing(deployment('openai', 'gpt-4o')))!;
  assert.equal(estimateMaxCost(gpt, 1_000, 4_096), roundUsd((1_000 * 2.5 + 4_096 * 10) / 1e6));
  assert.equal(estimateMaxCost(gpt, 1_000, 4_096), costOf(deploymentPricing(deployment('openai', 'gpt-4o')), { promptTokens: 1_000, completionTokens: 4_096 }));
  const tiered = pricesAt(
    deploymentPricing(
      deployment('x', 'y', {
        input_cost_per_token: 1e-6,
        output_cost_per_token: 2e-6,
        output_cost_per_reasoning_token: 3e-6,
        input_cost_per_token_above_128k_tokens: 2e-6,
        output_cost_per_token_above_128k_tokens: 4e-6,
      }),
    ),
  )!;
  // Reasoning dearer than output below the tier; output dearer above it.
  assert.equal(estimateMaxCost(tiered, 128_000, 1_000), roundUsd((128_000 * 1 + 1_000 * 3) / 1e6));
  assert.equal(estimateMaxCost(tiered, 128_001, 1_000), roundUsd((128_001 * 2 + 1_000 * 4) / 1e6));
  // Never below what the call can cost without cache writes.
  for (const u of USAGES) {
    const p = deploymentPricing(deployment('openai', 'o4-mini'));
    assert.ok(estimateMaxCost(pricesAt(p)!, u.promptTokens, u.completionTokens) >= costOf(p, u)!);
  }
});

test('money: 1,000,000 tokens at 2.5e-6 cost 2.5, at 1e-7 cost 0.1, and sums stay on the decimal grid', () => {
  const p = deploymentPricing(deployment('x', 'y', { input_cost_per_token: 2.5e-6, output_cost_per_token: 1e-7 }));
  assert.equal(costOf(p, { promptTokens: 1_000_000, completionTokens: 0 }), 2.5);
  assert.equal(costOf(p, { promptTokens: 0, completionTokens: 1_000_000 }), 0.1);
  assert.notEqual(1_000_000 * 1e-7, 0.1); // what multiplying the per-token price would give
  let spend = 0;
  for (let i = 0; i < 25; i++) spend = addUsd(spend, costOf(p, { promptTokens: 40_000, completionTokens: 0 })!);
  assert.equal(spend, 2.5); // 25 × 0.1, so a max_budget of 2.5 blocks the next call
  assert.equal(addUsd(0.1, 0.2), 0.3);
  assert.equal(toMicroUsd(2.5), 2_500_000);
  assert.equal(toMicroUsd(2.01, 'up'), 2_010_000);
  assert.equal(toMicroUsd(0.0000015), 2);
  assert.equal(toMicroUsd(0.0000011, 'up'), 2);
  assert.equal(fromMicroUsd(2_500_000), 2.5);
});

/** ns per call of `fn` over `n` calls, after a warm-up. */
function nsPerCall(fn: (i: number) => number, n: number): number {
  let sink = 0;
  for (let i = 0; i < n; i++) sink += fn(i);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) sink += fn(i);
  const ns = Number(process.hrtime.bigint() - t0) / n;
  if (sink === -1) console.log('');
  return ns;
}

test('costOf is arithmetic only: well under a microsecond per call', (t) => {
  const usages = USAGES.slice(1);
  const cost = (p: DeploymentPricing) => (i: number) => costOf(p, usages[i % usages.length], 1_750_000_000_000) ?? 0;
  const overrides = deploymentPricing(deployment('x', 'y', { input_cost_per_token: 1e-6, output_cost_per_token: 2e-6 }));
  const gpt = deploymentPricing(deployment('openai', 'gpt-4o'));
  const sonnet45 = deploymentPricing(deployment('anthropic', 'claude-sonnet-4-5'));
  const deepseek = deploymentPricing(deployment('deepseek', 'deepseek-chat'));
  const n = 200_000;
  const figures = {
    'model_info': nsPerCall(cost(overrides), n),
    'genai-prices gpt-4o': nsPerCall(cost(gpt), n),
    'genai-prices claude-sonnet-4-5 (tiered)': nsPerCall(cost(sonnet45), n),
    'genai-prices deepseek-chat (by hour)': nsPerCall(cost(deepseek), n),
    'calcPrice gpt-4o (for comparison)': nsPerCall(
      (i) => calcPrice(genaiUsage(usages[i % usages.length]), 'gpt-4o', { providerId: 'openai' })!.total_price,
      5_000,
    ),
  };
  for (const [what, ns] of Object.entries(figures)) t.diagnostic(`${what}: ${ns.toFixed(0)} ns per call`);
  // A loose bound: a regression to per-call lookups (tens of µs) fails it; a loaded machine does not.
  for (const [what, ns] of Object.entries(figures)) if (!what.startsWith('calcPrice')) assert.ok(ns < 5_000, `${what}: ${ns} ns`);
});
