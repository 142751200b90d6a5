/** Reusable budgets referenced by budget_id (table `budgets`). */
import type { BudgetRecord, BudgetRepository } from './types.js';
import type { SqlClient } from './sql.js';
import { defineTable, deleteRows, getRow, insertRow, listPage, updateRow, Where } from './table.js';

export const BUDGETS = defineTable<BudgetRecord>('budgets', ['budget_id'], {
  budget_id: 'text',
  max_budget: 'number',
  soft_budget: 'number',
  max_parallel_requests: 'number',
  tpm_limit: 'number',
  rpm_limit: 'number',
  budget_duration: 'text',
  budget_reset_at: 'timestamptz',
  model_max_budget: 'jsonb',
  created_at: 'timestamptz',
  updated_at: 'timestamptz',
  created_by: 'text',
});

export function createBudgetRepository(client: SqlClient): BudgetRepository {
  return {
    insert: (record) => insertRow(client, BUDGETS, record, 'budgets.insert'),
    get: (budgetId) => getRow(client, BUDGETS, [budgetId]),
    update: (budgetId, patch) => updateRow(client, BUDGETS, [budgetId], patch, 'budgets.update'),
    delete: (budgetIds) => deleteRows(client, BUDGETS, budgetIds),
    list: (filter) => listPage(client, BUDGETS, new Where(), 'created_at, budget_id', filter, 'budgets.list'),
  };
}
