/** Every repository over one SqlClient: the pool for a Store, one connection for a transaction. */
import { createAuditRepository } from './audit.js';
import { createBudgetRepository } from './budgets.js';
import { createCustomerRepository } from './customers.js';
import { createKeyRepository } from './keys.js';
import { createModelRepository } from './models.js';
import { createSpendLogRepository } from './spend-logs.js';
import { withSpendReports } from './spend-reports.js';
import type { SqlClient } from './sql.js';
import { createTeamRepository } from './teams.js';
import type { Repositories } from './types.js';
import { createUserRepository } from './users.js';

export function createRepositories(client: SqlClient): Repositories {
  return {
    keys: createKeyRepository(client),
    users: createUserRepository(client),
    teams: createTeamRepository(client),
    customers: createCustomerRepository(client),
    budgets: createBudgetRepository(client),
    models: createModelRepository(client),
    audit: createAuditRepository(client),
    // The report queries ride on spendLogs (spend-reports.ts), so Store needs no member for them.
    spendLogs: withSpendReports(createSpendLogRepository(client), client),
  };
}
