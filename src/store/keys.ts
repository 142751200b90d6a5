/** Virtual keys (table `keys`), identified by the SHA-256 digest of the raw key. */
import type { KeyListFilter, KeyPatch, KeyRecord, KeyRepository, Page } from './types.js';
import type { SqlClient } from './sql.js';
import { defineTable, deleteRows, findRow, listPage, Params, selectRows, updateRow, insertRow, Where } from './table.js';

export const KEYS = defineTable<KeyRecord>('keys', ['token'], {
  token: 'text',
  key_name: 'text',
  key_alias: 'text',
  user_id: 'text',
  team_id: 'text',
  models: 'text[]',
  max_budget: 'number',
  soft_budget: 'number',
  budget_duration: 'text',
  budget_reset_at: 'timestamptz',
  spend: 'number',
  tpm_limit: 'number',
  rpm_limit: 'number',
  max_parallel_requests: 'number',
  model_rpm_limit: 'jsonb',
  model_tpm_limit: 'jsonb',
  model_max_budget: 'jsonb',
  temp_budget_increase: 'number',
  temp_budget_expiry: 'timestamptz',
  metadata: 'jsonb',
  tags: 'text[]',
  permissions: 'jsonb',
  allowed_routes: 'text[]',
  allowed_ips: 'text[]',
  aliases: 'jsonb',
  guardrails: 'text[]',
  blocked: 'boolean',
  expires: 'timestamptz',
  key_type: 'text',
  auto_rotate: 'boolean',
  rotation_interval: 'text',
  key_rotation_at: 'timestamptz',
  last_rotation_at: 'timestamptz',
  rotation_count: 'number',
  budget_id: 'text',
  previous_token: 'text',
  previous_token_expires: 'timestamptz',
  created_at: 'timestamptz',
  updated_at: 'timestamptz',
  created_by: 'text',
  updated_by: 'text',
});

/** Columns KeyListFilter.sort_by may name. */
export const KEY_SORT_COLUMNS: readonly string[] = ['created_at', 'updated_at', 'spend', 'key_alias', 'expires', 'max_budget'];

/** Columns rotate() assigns itself, so its patch may not. */
const ROTATION_COLUMNS = ['token', 'key_name', 'previous_token', 'previous_token_expires', 'rotation_count', 'last_rotation_at'];

function orderOf(filter: KeyListFilter): string {
  const column = filter.sort_by ?? 'created_at';
  if (!KEY_SORT_COLUMNS.includes(column)) {
    throw new RangeError(`keys.list: cannot sort by ${JSON.stringify(column)} (allowed: ${KEY_SORT_COLUMNS.join(', ')})`);
  }
  const order = filter.sort_order ?? 'desc';
  if (order !== 'asc' && order !== 'desc') throw new RangeError(`keys.list: sort_order must be asc or desc, got ${JSON.stringify(order)}`);
  // The token breaks ties so that paging is stable.
  return `"${column}" ${order} NULLS LAST, token ${order}`;
}

export function createKeyRepository(client: SqlClient): KeyRepository {
  return {
    insert: (record) => insertRow(client, KEYS, record, 'keys.insert'),

    async findByToken(token, now = new Date()) {
      const rows = await client.query<KeyRecord>(
        `SELECT * FROM keys
          WHERE token = $1 OR (previous_token = $1 AND previous_token_expires > $2::timestamptz)
          ORDER BY token = $1 DESC LIMIT 1`,
        [token, now.toISOString()],
      );
      return rows[0] ?? null;
    },

    findByAlias: (alias) => findRow(client, KEYS, 'key_alias', alias),

    update: (token, patch: KeyPatch) => updateRow(client, KEYS, [token], patch, 'keys.update'),

    rotate(token, next) {
      const params = new Params();
      const grace = next.graceUntil;
      const sets = [
        `token = ${params.add(next.token)}`,
        `key_name = ${params.add(next.key_name)}`,
        // Right-hand sides see the row before the update: `token` here is the old digest.
        grace === null ? 'previous_token = NULL' : 'previous_token = token',
        `previous_token_expires = ${params.add(grace, 'timestamptz')}`,
        'rotation_count = rotation_count + 1',
        'last_rotation_at = now()',
      ];
      return updateRow(client, KEYS, [token], next.patch ?? {}, 'keys.rotate', { params, sets, reserved: ROTATION_COLUMNS });
    },

    delete: (tokens) => deleteRows(client, KEYS, tokens),

    async list(filter: KeyListFilter): Promise<Page<KeyRecord>> {
      const where = new Where()
        .equals('user_id', filter.user_id)
        .equals('team_id', filter.team_id)
        .equals('key_alias', filter.key_alias);
      const visible = filter.visible_to;
      if (visible !== undefined) {
        const own = visible.user_id === null ? 'false' : `user_id = ${where.params.add(visible.user_id)}`;
        where.add(`(${own} OR team_id = ANY(${where.params.add(visible.team_ids, 'text[]')}))`);
      }
      return listPage(client, KEYS, where, orderOf(filter), filter, 'keys.list');
    },

    listByUser: (userId) => selectRows(client, KEYS, new Where().equals('user_id', userId), 'created_at, token'),

    listByTeam: (teamId) => selectRows(client, KEYS, new Where().equals('team_id', teamId), 'created_at, token'),

    dueForRotation(now) {
      const where = new Where();
      where.add(`auto_rotate AND key_rotation_at <= ${where.params.add(now.toISOString(), 'timestamptz')}`);
      return selectRows(client, KEYS, where, 'key_rotation_at, token');
    },
  };
}
