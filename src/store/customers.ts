/** End users named by a request's `user` field (table `customers`). */
import type { CustomerRecord, CustomerRepository } from './types.js';
import type { SqlClient } from './sql.js';
import { defineTable, deleteRows, getRow, insertRow, listPage, updateRow, Where } from './table.js';

export const CUSTOMERS = defineTable<CustomerRecord>('customers', ['user_id'], {
  user_id: 'text',
  alias: 'text',
  blocked: 'boolean',
  budget_id: 'text',
  max_budget: 'number',
  budget_duration: 'text',
  budget_reset_at: 'timestamptz',
  spend: 'number',
  tpm_limit: 'number',
  rpm_limit: 'number',
  allowed_model_region: 'text',
  default_model: 'text',
  metadata: 'jsonb',
  created_at: 'timestamptz',
  updated_at: 'timestamptz',
});

export function createCustomerRepository(client: SqlClient): CustomerRepository {
  return {
    insert: (record) => insertRow(client, CUSTOMERS, record, 'customers.insert'),
    get: (userId) => getRow(client, CUSTOMERS, [userId]),
    update: (userId, patch) => updateRow(client, CUSTOMERS, [userId], patch, 'customers.update'),
    delete: (userIds) => deleteRows(client, CUSTOMERS, userIds),
    list: (filter) => listPage(client, CUSTOMERS, new Where(), 'created_at, user_id', filter, 'customers.list'),
  };
}
