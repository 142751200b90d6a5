/**
 * Shared pieces of the end-to-end budget tests: a config whose prices make call costs exact, and
 * the settled value of a native counter.
 */
import assert from 'node:assert/strict';
import { CounterStore } from '../../src/native/index.js';
import { MASTER_KEY } from './gateway.js';
import { sleep } from './mock-openai.js';

/**
 * `gpt-4o` charges output tokens only, 1/60 USD each: the mock's 6 completion tokens cost exactly
 * 0.1, and with max_tokens 6 a call reserves exactly 0.1. `gpt-4o-mini` is free. Budgets follow
 * Europe/Berlin's calendar.
 */
export function exactPriceConfig(apiBase: string): string {
  const deployment = (name: string, id: string, output: string) => `  - model_name: ${name}
    litellm_params:
      model: openai/${name}
      api_base: ${JSON.stringify(apiBase)}
      api_key: sk-upstream-secret
      timeout: 5
    model_info:
      id: ${id}
      input_cost_per_token: 0
      output_cost_per_token: ${output}`;
  return `model_list:
${deployment('gpt-4o', 'priced', '0.016666666666666666')}
${deployment('gpt-4o-mini', 'free', '0')}
general_settings:
  master_key: ${MASTER_KEY}
litellm_settings:
  timezone: Europe/Berlin
ailb_settings:
  hot_reload: false
`;
}

/** Settled value of a native counter once no reservation is open on it (settlement follows the answer). */
export async function settledCounter(name: string): Promise<number> {
  const store = new CounterStore();
  const id = store.intern(name);
  for (let i = 0; i < 100 && store.info(id).reserved > 0; i++) await sleep(10);
  const info = store.info(id);
  assert.equal(info.reserved, 0, `${name} still has reservations open`);
  return info.current;
}
