/**
 * GET /audit: the audit log, in the store's order, filtered by actor
 * (`changed_by`), `action`, `target_type`, `target_id` and time (`since`, `until`: ISO-8601,
 * inclusive; a date alone means its midnight UTC, a time without a zone is UTC), paged with
 * `page` and `size` (≤ 100). Records were redacted when written (ControlPlane's ctx.audit).
 */
import { GatewayError } from '../../errors.js';
import type { AuditFilter } from '../../store/types.js';
import type { AdminContext, AdminRouteDef } from '../types.js';
import { paging } from '../validate.js';

const ISO_TIME = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)(Z|[+-]\d{2}:?\d{2})?)?$/i;

/** `value` as a canonical ISO timestamp (UTC), or a 400 naming `param`. */
export function isoParam(param: string, value: string): string {
  const match = ISO_TIME.exec(value.trim());
  const text = match === null ? '' : match[2] === undefined ? match[1] : `${match[1]}T${match[2]}${match[3] ?? 'Z'}`;
  const ms = Date.parse(text);
  if (match === null || Number.isNaN(ms)) {
    throw new GatewayError('invalid_body', `"${param}" must be an ISO-8601 date or time (e.g. 2025-01-31 or 2025-01-31T12:00:00Z); got ${JSON.stringify(value)}.`, { param });
  }
  return new Date(ms).toISOString();
}

async function listAudit(ctx: AdminContext): Promise<unknown> {
  const query = ctx.request.query;
  const filter: AuditFilter = { ...paging(query) };
  for (const name of ['changed_by', 'action', 'target_type', 'target_id'] as const) {
    const value = query[name];
    if (value !== undefined && value !== '') filter[name] = value;
  }
  if (query.since !== undefined && query.since !== '') filter.since = isoParam('since', query.since);
  if (query.until !== undefined && query.until !== '') filter.until = isoParam('until', query.until);
  if (filter.since !== undefined && filter.until !== undefined && filter.since > filter.until) {
    throw new GatewayError('invalid_body', '"until" must not be before "since".', { param: 'until' });
  }
  const page = await ctx.store.audit.list(filter);
  return { audit_logs: page.rows, total: page.total, page: filter.page, size: filter.size };
}

export const AUDIT_ROUTES: readonly AdminRouteDef[] = [{ method: 'GET', path: '/audit', handler: listAudit }];
