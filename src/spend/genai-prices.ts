/**
 * The one door to `@pydantic/genai-prices`: which of its providers an AILB provider prefix means,
 * and a model's prices from its bundled data compiled into PriceVariants (src/spend/prices.ts).
 *
 * Only the data bundled with the installed version is used: nothing here calls updatePrices or
 * waitForUpdate, so pricing never touches the network and a given install always prices alike.
 * Lookups go through calcPrice, so model matching (aliases, dated names, fallback providers) is
 * genai-prices' own; they run when a deployment is built, never per request.
 */

import { calcPrice, type ModelInfo, type ModelPrice, type Tier } from '@pydantic/genai-prices';
import type { PriceTier, PriceVariant, PriceWindow, TokenPrices } from './prices.js';

/**
 * AILB / LiteLLM provider prefix → genai-prices provider id. A prefix not listed (self-hosted
 * servers such as ollama or hosted_vllm, and providers genai-prices does not cover) has no
 * genai-prices price: such a deployment needs model_info prices to be costed.
 */
export const GENAI_PROVIDER_IDS: Readonly<Record<string, string>> = Object.freeze({
  openai: 'openai',
  'text-completion-openai': 'openai',
  azure: 'azure',
  azure_text: 'azure',
  anthropic: 'anthropic',
  anthropic_text: 'anthropic',
  groq: 'groq',
  mistral: 'mistral',
  codestral: 'mistral',
  'text-completion-codestral': 'mistral',
  deepseek: 'deepseek',
  xai: 'x-ai',
  together_ai: 'together',
  fireworks_ai: 'fireworks',
  openrouter: 'openrouter',
  perplexity: 'perplexity',
  cerebras: 'cerebras',
  gemini: 'google',
  vertex_ai: 'google',
  vertex_ai_beta: 'google',
  bedrock: 'aws',
  bedrock_converse: 'aws',
  cohere: 'cohere',
  cohere_chat: 'cohere',
  moonshot: 'moonshotai',
  novita: 'novita',
  voyage: 'voyageai',
  cloudflare: 'cloudflare',
  github_copilot: 'github-copilot',
  minimax: 'minimax',
  zai: 'zai',
  baseten: 'baseten',
  ovhcloud: 'ovhcloud',
});

/** The genai-prices provider id for an AILB provider prefix, or null when it has none. */
export function genaiProviderId(provider: string): string | null {
  return Object.hasOwn(GENAI_PROVIDER_IDS, provider) ? GENAI_PROVIDER_IDS[provider] : null;
}

export interface GenaiPrices {
  /** genai-prices' ids of what matched, e.g. `anthropic` and `claude-3-5-sonnet`. */
  readonly providerId: string;
  readonly modelId: string;
  readonly variants: readonly PriceVariant[];
  /** The model's context window in tokens (input and output together), or null when the data has none. */
  readonly contextWindow: number | null;
}

const PROBE = Object.freeze({ input_tokens: 0, output_tokens: 0 });

/**
 * The bundled prices (and context window) of `model` at genai-prices provider `providerId`, or
 * null when genai-prices does not know the model (or its data for it cannot be read). Never throws.
 */
export function lookupGenaiPrices(providerId: string, model: string): GenaiPrices | null {
  let info: ModelInfo;
  let matchedProvider: string;
  try {
    const result = calcPrice(PROBE, model, { providerId });
    if (result === null) return null;
    info = result.model;
    matchedProvider = result.provider.id;
  } catch {
    return null;
  }
  const raw = Array.isArray(info.prices) ? info.prices : [{ prices: info.prices }];
  const variants: PriceVariant[] = [];
  for (const v of raw) {
    const window = v.constraint === undefined ? null : toWindow(v.constraint);
    if (window === undefined) return null;
    const prices = compile(v.prices);
    if (prices === null) return null;
    variants.push(Object.freeze({ window, prices }));
  }
  const contextWindow = typeof info.context_window === 'number' && info.context_window > 0 ? info.context_window : null;
  return Object.freeze({ providerId: matchedProvider, modelId: info.id, variants: Object.freeze(variants), contextWindow });
}

type Constraint = NonNullable<Exclude<ModelInfo['prices'], ModelPrice>[number]['constraint']>;

/** undefined: a constraint this version does not understand (the model is then treated as unknown). */
function toWindow(c: Constraint): PriceWindow | undefined {
  if (c.type === 'start_date') {
    const ms = Date.parse(c.start_date);
    return Number.isNaN(ms) ? undefined : { kind: 'since', startMs: ms };
  }
  if (c.type === 'time_of_date') {
    const startS = secondsOfDayUtc(c.start_time);
    const endS = secondsOfDayUtc(c.end_time);
    return startS === null || endS === null ? undefined : { kind: 'daily', startS, endS };
  }
  return undefined;
}

/** `HH:MM:SS[.fff](Z|±HH:MM)` → seconds after UTC midnight, as genai-prices reads it. */
function secondsOfDayUtc(text: string): number | null {
  const m = /^(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|([+-])(\d{2}):(\d{2}))$/.exec(text);
  if (m === null) return null;
  const [, hh, mm, ss, frac = '', zone, sign, oh = '00', om = '00'] = m;
  const local = Number(hh) * 3600 + Number(mm) * 60 + Number(ss) + Number(`0.${frac}`);
  const offset = zone === 'Z' ? 0 : (sign === '+' ? 1 : -1) * (Number(oh) * 60 + Number(om)) * 60;
  return (local - offset + 86400) % 86400;
}

/** A price as the data holds it: a number, or `{base, tiers}` (plain data, not a TieredPrices instance). */
type Price = ModelPrice[string];

interface Tiered {
  readonly base: number;
  readonly tiers: readonly Tier[];
}

/**
 * genai-prices prices a call by partitioning the usage: with input_mtok, cache_read_mtok and
 * cache_write_mtok, the cache counts are priced at theirs and the rest of input_tokens at
 * input_mtok; an unpriced part falls into its parent (cached tokens at the input price when there
 * is no cache_read_mtok; reasoning at output_mtok without output_reasoning_mtok). A tiered price
 * applies to the whole count once input_tokens passes the tier's start. Keys for units a text
 * call's usage never reports (audio, images, web searches…) price nothing and are left out;
 * requests_kcount is a per-call fee. Null for a price value it cannot read.
 */
function compile(p: ModelPrice): TokenPrices | null {
  const input = p.input_mtok;
  const output = p.output_mtok;
  const reasoning = p.output_reasoning_mtok;
  const cacheRead = p.cache_read_mtok;
  const cacheWrite = p.cache_write_mtok;
  const requests = p.requests_kcount;
  if (
    !readable(input) || !readable(output) || !readable(reasoning) ||
    !readable(cacheRead) || !readable(cacheWrite) || !readable(requests)
  ) {
    return null;
  }
  const keys = [input, output, reasoning, cacheRead, cacheWrite, requests];
  const starts = new Set<number>([-1]);
  for (const k of keys) if (typeof k === 'object') for (const t of k.tiers) starts.add(t.start);
  const tiers: PriceTier[] = [...starts].sort((a, b) => a - b).map((above) => {
    const inputMicros = priceAbove(input, above) ?? 0;
    const outputMicros = priceAbove(output, above) ?? 0;
    return Object.freeze({
      above,
      inputMicros,
      outputMicros,
      reasoningMicros: priceAbove(reasoning, above) ?? outputMicros,
      cacheReadMicros: priceAbove(cacheRead, above) ?? inputMicros,
      cacheWriteMicros: priceAbove(cacheWrite, above) ?? inputMicros,
      perRequestUsd: (priceAbove(requests, above) ?? 0) / 1000,
    });
  });
  return Object.freeze({ tiers: Object.freeze(tiers) });
}

function isPrice(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0;
}

function readable(p: unknown): p is number | Tiered | undefined {
  if (p === undefined || isPrice(p)) return true;
  if (typeof p !== 'object' || p === null) return false;
  const { base, tiers } = p as { base?: unknown; tiers?: unknown };
  return isPrice(base) && Array.isArray(tiers) && tiers.every(isTier);
}

function isTier(t: unknown): t is Tier {
  if (typeof t !== 'object' || t === null) return false;
  const { price, start } = t as { price?: unknown; start?: unknown };
  return isPrice(price) && Number.isSafeInteger(start) && (start as number) >= 0;
}

/**
 * The price for a prompt longer than `above` tokens: a tier is in force once the prompt passes
 * its `start`, and of those in force the one with the highest start wins.
 */
function priceAbove(p: number | Tiered | undefined, above: number): number | undefined {
  if (p === undefined || typeof p === 'number') return p;
  let price = p.base;
  let from = -1;
  for (const t of p.tiers) {
    if (above >= t.start && t.start >= from) {
      price = t.price;
      from = t.start;
    }
  }
  return price;
}
