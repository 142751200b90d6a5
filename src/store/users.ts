/** Internal users (table `users`). */
import type { UserRecord, UserRepository } from './types.js';
import type { SqlClient } from './sql.js';
import { defineTable, deleteRows, findRow, getRow, insertRow, listPage, updateRow, Where } from './table.js';

export const USERS = defineTable<UserRecord>('users', ['user_id'], {
  user_id: 'text',
  user_email: 'text',
  user_alias: 'text',
  user_role: 'text',
  password_hash: 'text',
  models: 'text[]',
  max_budget: 'number',
  soft_budget: 'number',
  budget_duration: 'text',
  budget_reset_at: 'timestamptz',
  spend: 'number',
  tpm_limit: 'number',
  rpm_limit: 'number',
  max_parallel_requests: 'number',
  model_max_budget: 'jsonb',
  metadata: 'jsonb',
  blocked: 'boolean',
  created_at: 'timestamptz',
  updated_at: 'timestamptz',
  created_by: 'text',
});

export function createUserRepository(client: SqlClient): UserRepository {
  return {
    insert: (record) => insertRow(client, USERS, record, 'users.insert'),
    get: (userId) => getRow(client, USERS, [userId]),
    findByEmail: (email) => findRow(client, USERS, 'user_email', email),
    update: (userId, patch) => updateRow(client, USERS, [userId], patch, 'users.update'),
    delete: (userIds) => deleteRows(client, USERS, userIds),
    list(filter) {
      const where = new Where().equals('user_role', filter.role);
      if (filter.user_ids !== undefined) where.add(`user_id = ANY(${where.params.add(filter.user_ids, 'text[]')})`);
      return listPage(client, USERS, where, 'created_at, user_id', filter, 'users.list');
    },
  };
}
