/** The audit log of management mutations (table `audit_log`): append and filter, newest first. */
import type { AuditFilter, AuditRecord, AuditRepository } from './types.js';
import type { SqlClient } from './sql.js';
import { defineTable, insertRow, listPage, Where } from './table.js';

export const AUDIT_LOG = defineTable<AuditRecord>('audit_log', ['id'], {
  id: 'text',
  changed_at: 'timestamptz',
  changed_by: 'text',
  changed_by_api_key: 'text',
  changed_by_header: 'text',
  action: 'text',
  target_type: 'text',
  target_id: 'text',
  before: 'jsonb',
  after: 'jsonb',
  call_id: 'text',
});

export function createAuditRepository(client: SqlClient): AuditRepository {
  return {
    async insert(record) {
      await insertRow(client, AUDIT_LOG, record, 'audit.insert');
    },
    list(filter: AuditFilter) {
      const where = new Where()
        .equals('changed_by', filter.changed_by)
        .equals('action', filter.action)
        .equals('target_type', filter.target_type)
        .equals('target_id', filter.target_id);
      if (filter.since !== undefined) where.add(`changed_at >= ${where.params.add(filter.since, 'timestamptz')}`);
      if (filter.until !== undefined) where.add(`changed_at <= ${where.params.add(filter.until, 'timestamptz')}`);
      return listPage(client, AUDIT_LOG, where, 'changed_at DESC, id DESC', filter, 'audit.list');
    },
  };
}
