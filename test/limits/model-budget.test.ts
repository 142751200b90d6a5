/**
 * model_max_budget entries (src/limits/model-budget.ts): LiteLLM's shapes, which entry governs a
 * model, the entries' rpm_limit / tpm_limit, and that the data path skips what the control plane
 * would refuse.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GatewayError } from '../../src/errors.js';
import { checkModelMaxBudget, hasModelBudgets, modelBudgetFor } from '../../src/limits/model-budget.js';

const budget = (budgetModel: string, maxBudget: number | null, duration: string | null, rpm: number | null = null, tpm: number | null = null) =>
  ({ budgetModel, maxBudget, duration, rpm, tpm });

test('both spellings of BudgetConfig, numeric strings, the limits, and the older number form', () => {
  const entries = {
    'gpt-4o': { budget_limit: 0.0005, time_period: '1d' },
    'gpt-4o-mini': { max_budget: '2.5', budget_duration: '30d', rpm_limit: 3, tpm_limit: '1000' },
    legacy: 0.5,
  };
  assert.deepEqual(modelBudgetFor(entries, 'gpt-4o'), budget('gpt-4o', 0.0005, '1d'));
  assert.deepEqual(modelBudgetFor(entries, 'gpt-4o-mini'), budget('gpt-4o-mini', 2.5, '30d', 3, 1000));
  assert.deepEqual(modelBudgetFor(entries, 'legacy'), budget('legacy', 0.5, null));
  assert.equal(modelBudgetFor(entries, 'claude'), null);
  assert.equal(modelBudgetFor(null, 'gpt-4o'), null);
});

test('the exact model name first, then its last path segment', () => {
  const entries = { 'gpt-4o': 1, 'azure/gpt-4o': 2 };
  assert.equal(modelBudgetFor(entries, 'azure/gpt-4o')!.maxBudget, 2);
  assert.deepEqual(modelBudgetFor(entries, 'openai/gpt-4o'), budget('gpt-4o', 1, null));
  assert.equal(modelBudgetFor({ toString: 1 }, 'constructor'), null, 'only own entries count');
});

test('an entry with only rpm_limit / tpm_limit governs a model only where rates are counted', () => {
  const entries = { 'gpt-4o': { rpm_limit: 10 }, 'openai/gpt-4o': { tpm_limit: 50 }, fallback: { budget_limit: 1 } };
  assert.equal(modelBudgetFor(entries, 'gpt-4o'), null);
  assert.deepEqual(modelBudgetFor(entries, 'gpt-4o', true), budget('gpt-4o', null, null, 10));
  // The exact name limits nothing without rates: its last segment is tried next.
  assert.equal(modelBudgetFor(entries, 'openai/gpt-4o'), null);
  assert.deepEqual(modelBudgetFor(entries, 'openai/gpt-4o', true), budget('openai/gpt-4o', null, null, null, 50));
  assert.equal(hasModelBudgets({ 'gpt-4o': { rpm_limit: 10 } }), false);
  assert.equal(hasModelBudgets({ 'gpt-4o': { rpm_limit: 10 } }, true), true);
  assert.equal(hasModelBudgets(entries), true);
});

test('entries without a limit, or that cannot be read, limit nothing on the data path and are refused on write', () => {
  const entries = { none: { time_period: '1h' }, bad: { budget_limit: 1, time_period: 'weekly' }, negative: -1, fraction: { budget_limit: 1, rpm_limit: 1.5 } };
  for (const model of Object.keys(entries)) assert.equal(modelBudgetFor(entries, model, true), null, model);
  assert.equal(hasModelBudgets(entries, true), false);
  assert.equal(hasModelBudgets({ ...entries, good: 1 }), true);
  const good = { none: { time_period: '1h' }, good: 1 };
  assert.equal(checkModelMaxBudget(good), good);
  assert.equal(checkModelMaxBudget(undefined), undefined);
  const refused = (value: object, message: RegExp) =>
    assert.throws(() => checkModelMaxBudget(value as never), (error: unknown) => {
      assert.ok(error instanceof GatewayError);
      assert.equal(error.code, 'invalid_body');
      assert.equal(error.param, 'model_max_budget');
      assert.match(error.message, message);
      return true;
    });
  refused({ bad: { budget_limit: 1, time_period: 'weekly' } }, /^"model_max_budget\.bad" has a time_period that is not a budget duration/);
  refused({ fraction: { rpm_limit: 1.5 } }, /^"model_max_budget\.fraction" has an rpm_limit that is not a whole number of 0 or more: 1\.5/);
  refused({ negative: { tpm_limit: -1 } }, /^"model_max_budget\.negative" has a tpm_limit that is not a whole number/);
  refused({ text: { rpm_limit: 'many' } }, /^"model_max_budget\.text" has an rpm_limit that is not a whole number of 0 or more: "many"/);
});
