/** Complete records with every field set to its "empty" value; tests override what they check. */
import { randomBytes } from 'node:crypto';
import { newKeyRecord } from '../../src/control/key-material.js';
import type { AuditRecord, BudgetRecord, CustomerRecord, KeyRecord, ModelRecord, TeamMemberRecord, TeamRecord, UserRecord } from '../../src/store/types.js';

export const T0 = '2025-01-02T03:04:05.678Z';

/** A unique id with a readable prefix (tests share one store). */
export function id(prefix: string): string {
  return `${prefix}-${randomBytes(6).toString('hex')}`;
}

export function keyRecord(overrides: Partial<KeyRecord> = {}): KeyRecord {
  // The control plane's own defaults for a new key, then whatever the test sets (any field).
  return { ...newKeyRecord(`sk-${randomBytes(32).toString('base64url')}`, new Date(T0), null), key_name: 'sk-...abcd', ...overrides };
}

export function userRecord(overrides: Partial<UserRecord> = {}): UserRecord {
  return {
    user_id: id('user'),
    user_email: null,
    user_alias: null,
    user_role: 'internal_user',
    password_hash: null,
    models: [],
    max_budget: null,
    soft_budget: null,
    budget_duration: null,
    budget_reset_at: null,
    spend: 0,
    tpm_limit: null,
    rpm_limit: null,
    max_parallel_requests: null,
    model_max_budget: {},
    metadata: {},
    blocked: false,
    created_at: T0,
    updated_at: T0,
    created_by: null,
    ...overrides,
  };
}

export function teamRecord(overrides: Partial<TeamRecord> = {}): TeamRecord {
  return {
    team_id: id('team'),
    team_alias: null,
    organization_id: null,
    models: [],
    max_budget: null,
    soft_budget: null,
    budget_duration: null,
    budget_reset_at: null,
    spend: 0,
    tpm_limit: null,
    rpm_limit: null,
    max_parallel_requests: null,
    model_aliases: {},
    metadata: {},
    tags: [],
    blocked: false,
    model_max_budget: {},
    team_member_budget: null,
    team_member_budget_duration: null,
    team_member_budget_reset_at: null,
    team_member_rpm_limit: null,
    team_member_tpm_limit: null,
    created_at: T0,
    updated_at: T0,
    created_by: null,
    ...overrides,
  };
}

export function memberRecord(team_id: string, user_id: string, overrides: Partial<TeamMemberRecord> = {}): TeamMemberRecord {
  return { team_id, user_id, role: 'user', spend: 0, max_budget: null, budget_duration: null, budget_reset_at: null, tpm_limit: null, rpm_limit: null, created_at: T0, updated_at: T0, ...overrides };
}

export function customerRecord(overrides: Partial<CustomerRecord> = {}): CustomerRecord {
  return {
    user_id: id('customer'),
    alias: null,
    blocked: false,
    budget_id: null,
    max_budget: null,
    budget_duration: null,
    budget_reset_at: null,
    spend: 0,
    tpm_limit: null,
    rpm_limit: null,
    allowed_model_region: null,
    default_model: null,
    metadata: {},
    created_at: T0,
    updated_at: T0,
    ...overrides,
  };
}

export function budgetRecord(overrides: Partial<BudgetRecord> = {}): BudgetRecord {
  return {
    budget_id: id('budget'),
    max_budget: null,
    soft_budget: null,
    max_parallel_requests: null,
    tpm_limit: null,
    rpm_limit: null,
    budget_duration: null,
    budget_reset_at: null,
    model_max_budget: {},
    created_at: T0,
    updated_at: T0,
    created_by: null,
    ...overrides,
  };
}

export function modelRecord(overrides: Partial<ModelRecord> = {}): ModelRecord {
  return {
    model_id: id('model'),
    model_name: 'gpt-4o',
    litellm_params_encrypted: 'v1.aGVsbG8=',
    model_info: {},
    created_at: T0,
    updated_at: T0,
    created_by: null,
    ...overrides,
  };
}

export function auditRecord(overrides: Partial<AuditRecord> = {}): AuditRecord {
  return {
    id: id('audit'),
    changed_at: T0,
    changed_by: 'master_key',
    changed_by_api_key: 'a'.repeat(64),
    changed_by_header: null,
    action: 'key.generate',
    target_type: 'key',
    target_id: 'k1',
    before: null,
    after: null,
    call_id: id('call'),
    ...overrides,
  };
}
