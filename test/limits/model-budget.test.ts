/**
 * model_max_budget entries (src/limits/model-budget.ts): LiteLLM's shapes, which entry governs a
 * model, and that the data path skips what the control plane would refuse.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GatewayError } from '../../src/errors.js';
import { checkModelMaxBudget, hasModelBudgets, modelBudgetFor } from '../../src/limits/model-budget.js';

test('both spellings of BudgetConfig, a numeric-string limit, and the older number form', () => {
  const entries = {
    'gpt-4o': { budget_limit: 0.0005, time_period: '1d' },
    'gpt-4o-mini': { max_budget: '2.5', budget_duration: '30d', rpm_limit: 3 },
    legacy: 0.5,
  };
  assert.deepEqual(modelBudgetFor(entries, 'gpt-4o'), { budgetModel: 'gpt-4o', maxBudget: 0.0005, duration: '1d' });
  assert.deepEqual(modelBudgetFor(entries, 'gpt-4o-mini'), { budgetModel: 'gpt-4o-mini', maxBudget: 2.5, duration: '30d' });
  assert.deepEqual(modelBudgetFor(entries, 'legacy'), { budgetModel: 'legacy', maxBudget: 0.5, duration: null });
  assert.equal(modelBudgetFor(entries, 'claude'), null);
  assert.equal(modelBudgetFor(null, 'gpt-4o'), null);
});

test('the exact model name first, then its last path segment', () => {
  const entries = { 'gpt-4o': 1, 'azure/gpt-4o': 2 };
  assert.equal(modelBudgetFor(entries, 'azure/gpt-4o')!.maxBudget, 2);
  assert.deepEqual(modelBudgetFor(entries, 'openai/gpt-4o'), { budgetModel: 'gpt-4o', maxBudget: 1, duration: null });
  assert.equal(modelBudgetFor({ toString: 1 }, 'constructor'), null, 'only own entries count');
});

test('entries without a limit, or that cannot be read, limit nothing on the data path and are refused on write', () => {
  const entries = { none: { time_period: '1h' }, bad: { budget_limit: 1, time_period: 'weekly' }, negative: -1 };
  assert.equal(modelBudgetFor(entries, 'none'), null);
  assert.equal(modelBudgetFor(entries, 'bad'), null);
  assert.equal(modelBudgetFor(entries, 'negative'), null);
  assert.equal(hasModelBudgets(entries), false);
  assert.equal(hasModelBudgets({ ...entries, good: 1 }), true);
  assert.doesNotThrow(() => checkModelMaxBudget({ none: { time_period: '1h' }, good: 1 }));
  assert.throws(() => checkModelMaxBudget({ bad: { budget_limit: 1, time_period: 'weekly' } }), (error: unknown) => {
    assert.ok(error instanceof GatewayError);
    assert.equal(error.code, 'invalid_body');
    assert.equal(error.param, 'model_max_budget');
    assert.match(error.message, /^"model_max_budget\.bad" has a time_period that is not a budget duration/);
    return true;
  });
});
