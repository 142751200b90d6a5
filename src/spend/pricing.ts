/**
 * What a deployment's calls cost. deploymentPricing() resolves the price source of one
 * ModelDeployment once (when the config is built): the model_info prices when they are set, else
 * the bundled genai-prices data for its provider and model. costOf() then prices a call with
 * arithmetic only. docs/cost.md describes the rules for users.
 */

import type { ModelDeployment } from '../config/types.js';
import { genaiProviderId, lookupGenaiPrices } from './genai-prices.js';
import { costWith, variantAt, type PriceTier, type PriceVariant, type TokenPrices } from './prices.js';
import type { TokenUsage } from './usage.js';

export { costWith, estimateMaxCost, tierFor } from './prices.js';
export type { PriceTier, PriceVariant, PriceWindow, TokenPrices } from './prices.js';

/**
 * Where a deployment's prices come from. `wildcard`: a `provider/*` deployment without model_info
 * prices, priced per concrete model through concretePricing(). `unknown`: no prices; costOf is null.
 */
export type PricingSource = 'model_info' | 'genai-prices' | 'wildcard' | 'unknown';

export interface DeploymentPricing {
  readonly source: PricingSource;
  /** What was priced, for logs and errors: `model_info`, `genai-prices anthropic/claude-3-5-sonnet`, … */
  readonly label: string;
  /** Prices by time of call; one entry except where genai-prices has dated or hourly prices; empty unless priced. */
  readonly variants: readonly PriceVariant[];
  /** Pricing fields that were set but could not be used, one sentence each (for the config report). */
  readonly warnings: readonly string[];
  /** genai-prices provider id that wildcard models are looked up at; null unless source is `wildcard`. */
  readonly wildcardProviderId: string | null;
  /** The model's context window from genai-prices (whatever priced it), null when unknown. */
  readonly contextWindow: number | null;
}

/** The parts of a deployment pricing reads. */
export type PricedDeployment = Pick<ModelDeployment, 'provider' | 'upstreamModel' | 'modelInfo'> &
  Partial<Pick<ModelDeployment, 'litellmParams'>>;

/** Builds a deployment's pricing. Never throws: a model no source prices gets source `unknown`. */
export function deploymentPricing(d: PricedDeployment): DeploymentPricing {
  const warnings: string[] = [];
  const fields = pricingFields(d, warnings);
  const overrides = fromOverrides(fields, warnings);
  if (overrides !== null) return pricing('model_info', 'model_info', [{ window: null, prices: overrides }], warnings, contextWindowOf(d));

  const baseModel = d.modelInfo.base_model;
  const useBase = typeof baseModel === 'string' && baseModel !== '';
  const { provider, model } = useBase ? splitBaseModel(baseModel, d.provider) : { provider: d.provider, model: d.upstreamModel };
  const providerId = genaiProviderId(provider);
  if (providerId === null) return pricing('unknown', `no prices for provider ${provider}`, [], warnings);
  if (!useBase && model.includes('*')) {
    return Object.freeze({
      source: 'wildcard',
      label: `genai-prices ${providerId}/*`,
      variants: Object.freeze([]),
      warnings: Object.freeze(warnings),
      wildcardProviderId: providerId,
      contextWindow: null,
    });
  }
  return fromGenai(providerId, model, warnings);
}

/**
 * The pricing of one concrete model served by a wildcard deployment (`openai/*`), looked up once
 * per model name and kept (at most WILDCARD_CACHE_LIMIT names per deployment, so client-chosen
 * names cannot grow it without bound). Any other pricing is returned as it is.
 */
export function concretePricing(p: DeploymentPricing, upstreamModel: string): DeploymentPricing {
  if (p.source !== 'wildcard' || p.wildcardProviderId === null) return p;
  let cache = wildcardCaches.get(p);
  if (cache === undefined) {
    cache = new Map();
    wildcardCaches.set(p, cache);
  }
  let found = cache.get(upstreamModel);
  if (found === undefined) {
    found = fromGenai(p.wildcardProviderId, upstreamModel, []);
    if (cache.size >= WILDCARD_CACHE_LIMIT) cache.clear();
    cache.set(upstreamModel, found);
  }
  return found;
}

export const WILDCARD_CACHE_LIMIT = 1024;
const wildcardCaches = new WeakMap<DeploymentPricing, Map<string, DeploymentPricing>>();

/**
 * The cost of a call in USD (on the picodollar grid, see src/spend/money.ts), or null when the
 * deployment has no prices. `nowMs` picks the genai-prices variant for models priced by date or
 * hour of day (DeepSeek's off-peak prices); it is read only for those.
 */
export function costOf(p: DeploymentPricing, usage: TokenUsage, nowMs?: number): number | null {
  const v = p.variants;
  if (v.length === 1) return costWith(v[0].prices, usage);
  if (v.length === 0) return null;
  return costWith(variantAt(v, nowMs ?? Date.now()), usage);
}

/** The prices in force at `nowMs`, e.g. for estimateMaxCost(); null when the deployment has none. */
export function pricesAt(p: DeploymentPricing, nowMs?: number): TokenPrices | null {
  const v = p.variants;
  if (v.length === 1) return v[0].prices;
  if (v.length === 0) return null;
  return variantAt(v, nowMs ?? Date.now());
}

function pricing(
  source: PricingSource,
  label: string,
  variants: readonly PriceVariant[],
  warnings: readonly string[],
  contextWindow: number | null = null,
): DeploymentPricing {
  return Object.freeze({
    source,
    label,
    variants: Object.freeze(variants.map((v) => Object.freeze(v))),
    warnings: Object.freeze([...warnings]),
    wildcardProviderId: null,
    contextWindow,
  });
}

function fromGenai(providerId: string, model: string, warnings: readonly string[]): DeploymentPricing {
  const found = lookupGenaiPrices(providerId, model);
  if (found === null) return pricing('unknown', `genai-prices has no ${providerId}/${model}`, [], warnings);
  return pricing('genai-prices', `genai-prices ${found.providerId}/${found.modelId}`, found.variants, warnings, found.contextWindow);
}

/** The context window genai-prices knows for a deployment priced by model_info (its model or base_model). */
function contextWindowOf(d: PricedDeployment): number | null {
  const baseModel = d.modelInfo.base_model;
  const { provider, model } = typeof baseModel === 'string' && baseModel !== '' ? splitBaseModel(baseModel, d.provider) : { provider: d.provider, model: d.upstreamModel };
  const providerId = genaiProviderId(provider);
  if (providerId === null || model.includes('*')) return null;
  return lookupGenaiPrices(providerId, model)?.contextWindow ?? null;
}

/** `azure/gpt-4o` → azure + gpt-4o; a base_model without a known provider prefix is the deployment provider's. */
function splitBaseModel(baseModel: string, provider: string): { provider: string; model: string } {
  const slash = baseModel.indexOf('/');
  if (slash > 0) {
    const prefix = baseModel.slice(0, slash);
    if (genaiProviderId(prefix) !== null) return { provider: prefix, model: baseModel.slice(slash + 1) };
  }
  return { provider, model: baseModel };
}

// ---- model_info overrides (LiteLLM's field names) ----------------------------------------------

const INPUT = 'input_cost_per_token';
const OUTPUT = 'output_cost_per_token';
const REASONING = 'output_cost_per_reasoning_token';
const CACHE_READ = 'cache_read_input_token_cost';
const CACHE_WRITE = 'cache_creation_input_token_cost';
const BASE_FIELDS = [INPUT, OUTPUT, REASONING, CACHE_READ, CACHE_WRITE];
/** `<field>_above_<N>[k]_tokens`: the price for prompts longer than N (×1000 with k) tokens. */
const TIER_FIELD = /^(input_cost_per_token|output_cost_per_token|cache_read_input_token_cost|cache_creation_input_token_cost)_above_(\d+(?:\.\d+)?)(k?)_tokens$/;

/**
 * The pricing fields of a deployment, per token in USD: model_info's, over litellm_params' (LiteLLM
 * accepts custom prices in either; numbers, or numeric text as LiteLLM reads "3e-7").
 */
function pricingFields(d: PricedDeployment, warnings: string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const [where, obj] of [['litellm_params', d.litellmParams], ['model_info', d.modelInfo]] as const) {
    if (obj === undefined) continue;
    for (const [key, raw] of Object.entries(obj)) {
      if (!BASE_FIELDS.includes(key) && !TIER_FIELD.test(key)) continue;
      if (raw === null || raw === undefined) continue;
      const value = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
        warnings.push(`${where}.${key} is not a non-negative number; ignored`);
        continue;
      }
      out.set(key, value);
    }
  }
  return out;
}

/**
 * USD per token → micro-dollars per token, to 15 significant digits, so a price written as 1e-7
 * is 0.1 rather than 0.09999999999999999 (1e-7 × 1e6 in doubles), and 1,000,000 tokens at that
 * price cost 0.1 USD.
 */
function toMicros(usdPerToken: number): number {
  return Number((usdPerToken * 1e6).toPrecision(15));
}

/**
 * The model_info prices, or null when neither input_cost_per_token nor output_cost_per_token is
 * set (genai-prices is used then). As in LiteLLM, tiers come from `input_cost_per_token_above_…`
 * fields, the highest threshold the prompt passes wins, and a price the tier does not set is the
 * base price. Unlike LiteLLM, a missing cache price is the input price (LiteLLM: free).
 */
function fromOverrides(fields: Map<string, number>, warnings: string[]): TokenPrices | null {
  const input = fields.get(INPUT);
  const output = fields.get(OUTPUT);
  if (input === undefined && output === undefined) {
    if (fields.size > 0) {
      warnings.push(
        `${[...fields.keys()].sort().join(', ')} set without ${INPUT} or ${OUTPUT}; ignored (prices come from genai-prices)`,
      );
    }
    return null;
  }
  if (input === undefined) warnings.push(`${OUTPUT} is set but ${INPUT} is not; input tokens are priced at 0`);
  if (output === undefined) warnings.push(`${INPUT} is set but ${OUTPUT} is not; output tokens are priced at 0`);

  const thresholds = new Map<number, string>(); // tokens → the text between _above_ and _tokens
  for (const key of fields.keys()) {
    const m = TIER_FIELD.exec(key);
    if (m === null) continue;
    const label = `${m[2]}${m[3]}`;
    const tokens = Number(m[2]) * (m[3] === 'k' ? 1000 : 1);
    if (m[1] === INPUT) thresholds.set(tokens, label);
    else if (!fields.has(`${INPUT}_above_${label}_tokens`)) {
      warnings.push(`${key} is set without ${INPUT}_above_${label}_tokens; ignored, as LiteLLM does`);
    }
  }

  const base = tier(-1, {
    input: input ?? 0,
    output: output ?? 0,
    reasoning: fields.get(REASONING),
    cacheRead: fields.get(CACHE_READ),
    cacheWrite: fields.get(CACHE_WRITE),
  });
  const tiers: PriceTier[] = [base];
  for (const [tokens, label] of [...thresholds].sort((a, b) => a[0] - b[0])) {
    const at = (field: string): number | undefined => fields.get(`${field}_above_${label}_tokens`);
    tiers.push(
      tier(tokens, {
        input: at(INPUT) ?? input ?? 0,
        output: at(OUTPUT) ?? output ?? 0,
        reasoning: fields.get(REASONING),
        cacheRead: at(CACHE_READ) ?? fields.get(CACHE_READ),
        cacheWrite: at(CACHE_WRITE) ?? fields.get(CACHE_WRITE),
      }),
    );
  }
  return Object.freeze({ tiers: Object.freeze(tiers) });
}

interface PerToken {
  readonly input: number;
  readonly output: number;
  readonly reasoning: number | undefined;
  readonly cacheRead: number | undefined;
  readonly cacheWrite: number | undefined;
}

function tier(above: number, p: PerToken): PriceTier {
  const inputMicros = toMicros(p.input);
  const outputMicros = toMicros(p.output);
  return Object.freeze({
    above,
    inputMicros,
    outputMicros,
    reasoningMicros: p.reasoning === undefined ? outputMicros : toMicros(p.reasoning),
    cacheReadMicros: p.cacheRead === undefined ? inputMicros : toMicros(p.cacheRead),
    cacheWriteMicros: p.cacheWrite === undefined ? inputMicros : toMicros(p.cacheWrite),
    perRequestUsd: 0,
  });
}
