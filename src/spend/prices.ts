/**
 * A model's token prices as plain numbers, and the arithmetic that prices a call with them. The
 * sources (model_info overrides, genai-prices) are compiled into this form once per deployment
 * (src/spend/pricing.ts); what runs per request here is a tier pick and a few multiplications.
 *
 * Unit: micro-dollars per token, which is the same number as USD per million tokens (the unit
 * providers publish: gpt-4o input is 2.5). tokens × price is then a micro-dollar amount, exact for
 * the decimal prices providers use, and one division by 1e6 gives USD.
 */

import { roundUsd } from './money.js';
import type { TokenUsage } from './usage.js';

/** Prices in force for prompts longer than `above` tokens. */
export interface PriceTier {
  /** The tier applies when the prompt (all input tokens, cached ones included) has more tokens than this; -1 for the base tier. */
  readonly above: number;
  /** Uncached input token. */
  readonly inputMicros: number;
  /** Output token that is not a reasoning token. */
  readonly outputMicros: number;
  /** Reasoning token (the output price unless the source prices reasoning apart). */
  readonly reasoningMicros: number;
  /** Input token read from the prompt cache (the input price when the source has none). */
  readonly cacheReadMicros: number;
  /** Input token written to the prompt cache (the input price when the source has none). */
  readonly cacheWriteMicros: number;
  /** Flat price of one call, USD (Perplexity's per-request fee); 0 for most models. */
  readonly perRequestUsd: number;
}

/** One model's prices: tiers by prompt length, sorted by `above`, the first one the base (above −1). */
export interface TokenPrices {
  readonly tiers: readonly PriceTier[];
}

/** When a price variant is in force (genai-prices' start-date and time-of-day constraints). */
export type PriceWindow =
  | { readonly kind: 'since'; readonly startMs: number }
  /** Each UTC day from startS to endS seconds after midnight; wraps past midnight when endS < startS. */
  | { readonly kind: 'daily'; readonly startS: number; readonly endS: number };

export interface PriceVariant {
  /** null: always (the variant a dated or timed one is tried against). */
  readonly window: PriceWindow | null;
  readonly prices: TokenPrices;
}

/** The tier for a prompt of `promptTokens` tokens: the last one whose `above` it passes. */
export function tierFor(prices: TokenPrices, promptTokens: number): PriceTier {
  const tiers = prices.tiers;
  for (let i = tiers.length - 1; i > 0; i--) {
    if (promptTokens > tiers[i].above) return tiers[i];
  }
  return tiers[0];
}

/**
 * The cost of a call in USD, on the picodollar grid. Cached and cache-written tokens are priced
 * at their own prices and the rest of the prompt at the input price; reasoning tokens at the
 * reasoning price and the rest of the completion at the output price. Parts larger than their
 * total (a provider's inconsistent counts) are priced as reported, the remainder as zero.
 */
export function costWith(prices: TokenPrices, usage: TokenUsage): number {
  const prompt = usage.promptTokens;
  const cached = usage.cachedPromptTokens ?? 0;
  const written = usage.cacheCreationTokens ?? 0;
  const reasoning = usage.reasoningTokens ?? 0;
  const uncached = prompt - cached - written;
  const text = usage.completionTokens - reasoning;
  const t = tierFor(prices, prompt);
  const micros =
    (uncached > 0 ? uncached * t.inputMicros : 0) +
    cached * t.cacheReadMicros +
    written * t.cacheWriteMicros +
    (text > 0 ? text * t.outputMicros : 0) +
    reasoning * t.reasoningMicros;
  return roundUsd(micros / 1e6 + t.perRequestUsd);
}

/**
 * The most a call can cost, for reserving budget before it is made: the prompt at the uncached
 * input price of its tier plus `maxOutputTokens` at the dearer of the output and reasoning
 * prices. Cache writes, which some providers charge above the input price, are not assumed
 * (see docs/cost.md); the reservation is settled with the real cost afterwards.
 */
export function estimateMaxCost(prices: TokenPrices, inputTokens: number, maxOutputTokens: number): number {
  const t = tierFor(prices, inputTokens);
  const out = t.outputMicros > t.reasoningMicros ? t.outputMicros : t.reasoningMicros;
  return roundUsd((inputTokens * t.inputMicros + maxOutputTokens * out) / 1e6 + t.perRequestUsd);
}

const DAY_MS = 86_400_000;

function inWindow(w: PriceWindow, nowMs: number): boolean {
  if (w.kind === 'since') return nowMs >= w.startMs;
  const s = (((nowMs % DAY_MS) + DAY_MS) % DAY_MS) / 1000;
  return w.endS < w.startS ? s >= w.startS || s < w.endS : s >= w.startS && s < w.endS;
}

/**
 * The variant in force at `nowMs`, chosen as genai-prices does: the last variant whose window
 * holds (one without a window always holds), else the first. `variants` is not empty.
 */
export function variantAt(variants: readonly PriceVariant[], nowMs: number): TokenPrices {
  for (let i = variants.length - 1; i >= 0; i--) {
    const w = variants[i].window;
    if (w === null || inWindow(w, nowMs)) return variants[i].prices;
  }
  return variants[0].prices;
}
