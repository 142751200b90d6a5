/**
 * Every management route's handler, by section. The control plane checks at construction that
 * this list and access-table.ts name exactly the same routes.
 */
import type { AdminRouteDef } from '../types.js';
import { AUDIT_ROUTES } from './audit.js';
import { BUDGET_ROUTES } from './budgets.js';
import { CUSTOMER_ROUTES } from './customers.js';
import { KEY_ROUTES } from './keys.js';
import { MODEL_ROUTES } from './models.js';
import { SPEND_ROUTES } from './spend.js';
import { TEAM_ROUTES } from './teams.js';
import { USER_ROUTES } from './users.js';

export const ALL_ROUTES: readonly AdminRouteDef[] = [
  ...KEY_ROUTES,
  ...USER_ROUTES,
  ...TEAM_ROUTES,
  ...CUSTOMER_ROUTES,
  ...BUDGET_ROUTES,
  ...MODEL_ROUTES,
  ...AUDIT_ROUTES,
  ...SPEND_ROUTES,
];
