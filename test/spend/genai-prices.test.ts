import { test } from 'node:test';
import assert from 'node:assert/strict';
import { calcPrice, findProvider, type MatchLogic } from '@pydantic/genai-prices';
import { GENAI_PROVIDER_IDS, lookupGenaiPrices } from '../../src/spend/genai-prices.js';
import { costWith, variantAt } from '../../src/spend/prices.js';
import type { TokenUsage } from '../../src/spend/usage.js';
import { seededRandom as random } from '../support/seeded-random.js';

test('every genai-prices provider id AILB maps to exists in the installed data', () => {
  for (const [ours, theirs] of Object.entries(GENAI_PROVIDER_IDS)) {
    assert.equal(findProvider({ providerId: theirs })?.id, theirs, `${ours} → ${theirs}`);
  }
});

/** A model name the match accepts: its first `equals` or `starts_with` text. */
function nameFor(match: MatchLogic): string | null {
  if ('equals' in match) return match.equals;
  if ('starts_with' in match) return match.starts_with;
  if ('or' in match) {
    for (const m of match.or) {
      const name = nameFor(m);
      if (name !== null) return name;
    }
  }
  return null;
}

const TIMES = [
  '2024-01-01T00:00:00Z', '2025-06-01T00:29:59Z', '2025-06-01T00:30:00Z', '2025-06-01T01:30:00Z',
  '2025-06-01T07:00:00Z', '2025-06-01T16:30:00Z', '2025-06-01T22:00:00Z', '2026-08-17T00:00:00Z',
  '2026-08-17T02:00:00Z', '2026-08-17T08:00:00Z', '2026-08-17T12:00:00Z', '2030-01-01T03:00:00Z',
].map((iso) => new Date(iso));

// Regression guard for the compiled form: every model of every mapped provider, priced with
// random text usage (tiers crossed, cache and reasoning counts set) at dated and hourly variants,
// must cost what calcPrice computes from the same data.
test('compiled prices agree with calcPrice for every bundled model of the mapped providers', (t) => {
  const next = random(20250601);
  const providers = new Set(Object.values(GENAI_PROVIDER_IDS));
  let models = 0;
  let checks = 0;
  let skipped = 0;
  for (const providerId of providers) {
    for (const model of findProvider({ providerId })!.models) {
      const name = nameFor(model.match) ?? model.id;
      const found = lookupGenaiPrices(providerId, name);
      if (found === null) {
        skipped++;
        continue;
      }
      models++;
      const tierStarts = found.variants.flatMap((v) => v.prices.tiers.map((tier) => tier.above)).filter((a) => a > 0);
      for (let k = 0; k < 8; k++) {
        const prompt =
          k < 2 && tierStarts.length > 0 ? tierStarts[0] + k : Math.floor(next() ** 2 * 400_000);
        const cached = Math.floor(next() * prompt * 0.6);
        const written = k % 3 === 0 ? Math.floor(next() * (prompt - cached)) : 0;
        const completion = Math.floor(next() * 20_000);
        const reasoning = k % 2 === 0 ? Math.floor(next() * completion) : 0;
        const usage: TokenUsage = {
          promptTokens: prompt,
          completionTokens: completion,
          cachedPromptTokens: cached,
          cacheCreationTokens: written,
          reasoningTokens: reasoning,
        };
        const times = found.variants.length > 1 ? TIMES : TIMES.slice(0, 1);
        for (const at of times) {
          const expected = calcPrice(
            {
              input_tokens: prompt,
              cache_read_tokens: cached,
              cache_write_tokens: written,
              output_tokens: completion,
              output_reasoning_tokens: reasoning,
            },
            name,
            { providerId, timestamp: at },
          );
          assert.ok(expected !== null, `${providerId}/${name}`);
          const actual = costWith(variantAt(found.variants, at.getTime()), usage);
          assert.ok(
            Math.abs(actual - expected.total_price) <= 1e-12,
            `${providerId}/${name} at ${at.toISOString()} ${JSON.stringify(usage)}: ${actual} vs ${expected.total_price}`,
          );
          checks++;
        }
      }
    }
  }
  t.diagnostic(`${models} models, ${checks} comparisons; ${skipped} models not reachable by a name from their match`);
  assert.ok(models > 1000);
});
