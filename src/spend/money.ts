/**
 * Money arithmetic. Costs are floating-point USD (what LiteLLM reports in
 * `x-litellm-response-cost` and stores as spend), kept on a grid of whole picodollars (1e-12 USD)
 * so that a cost, and a sum of costs made with addUsd, is the double nearest to the decimal
 * amount it stands for: 1,000,000 tokens at 1e-7 USD cost 0.1 (not 0.09999999999999999), and
 * 0.1 + 0.2 adds to 0.3 (not 0.30000000000000004), so `spend >= max_budget` compares as the
 * decimal amounts would. docs/cost.md has the error bounds.
 *
 * The native counters (src/native/counters.ts) hold integers; money goes there as micro-dollars.
 */

const PICOS_PER_USD = 1e12;
export const MICROS_PER_USD = 1e6;

/**
 * The double nearest to `usd` rounded to whole picodollars. Exact to the picodollar below
 * 2^53 picodollars (about 9,007 USD); above that the double itself is coarser than the grid
 * (its spacing passes 1e-12 USD) and the value is returned to within its own precision.
 */
export function roundUsd(usd: number): number {
  return Math.round(usd * PICOS_PER_USD) / PICOS_PER_USD;
}

/** a + b on the picodollar grid: sums of costs do not drift away from their decimal value. */
export function addUsd(a: number, b: number): number {
  return roundUsd(a + b);
}

/**
 * USD → whole micro-dollars for the native counters: `nearest` for a settled cost (at most half a
 * micro-dollar off per call), `up` for a reservation (never below the amount). The picodollar
 * rounding first keeps float noise (2.01 × 1e6 = 2009999.9999999998) from moving a whole number.
 */
export function toMicroUsd(usd: number, rounding: 'nearest' | 'up' = 'nearest'): number {
  const micros = Math.round(usd * PICOS_PER_USD) / (PICOS_PER_USD / MICROS_PER_USD);
  return rounding === 'up' ? Math.ceil(micros) : Math.round(micros);
}

/** Whole micro-dollars → USD. */
export function fromMicroUsd(micros: number): number {
  return micros / MICROS_PER_USD;
}
