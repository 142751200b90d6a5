/**
 * Report queries (docs/spend-logs.md, "Reports"): sums of spend_logs rows grouped by a closed set
 * of dimensions over a filtered time range, and the keys, users and teams tables ordered by their
 * spend counters. src/control/handlers/spend.ts shapes the results into LiteLLM's formats.
 *
 * Every filter is an equality on a column that leads one of spend_logs' indexes, and the range is
 * on start_time, the partition key: a report reads only the partitions of its days and, where it
 * names a key, user, team, end user or model group, only that entity's range of its index. Days
 * are UTC days, like the partitions, whatever the session's TimeZone.
 *
 * The queries ride on the spend-log repository object: repositories.ts attaches them to every
 * `spendLogs` it makes (the pool's and each transaction's), and spendReports() finds them there,
 * so a Store needs no member of its own for them.
 */
import type { SpendLogRepository, TeamRecord, UserRecord } from './types.js';
import type { SqlClient } from './sql.js';
import { Where } from './table.js';

/** What a report may group by. `day` is the UTC day of startTime, as `YYYY-MM-DD`. */
export type SpendDimension = 'day' | 'api_key' | 'user' | 'team_id' | 'end_user' | 'model' | 'model_group';

/** Dimension → SQL expression; the only SQL a dimension name ever becomes. */
const DIMENSION_SQL: Readonly<Record<SpendDimension, string>> = {
  day: `to_char(start_time AT TIME ZONE 'UTC', 'YYYY-MM-DD')`,
  api_key: 'api_key',
  user: '"user"',
  team_id: 'team_id',
  end_user: 'end_user',
  model: 'model',
  model_group: 'model_group',
};

export const SPEND_DIMENSIONS = Object.keys(DIMENSION_SQL) as SpendDimension[];

/** Which rows a report covers: each field given is one equality; `start` inclusive, `end` exclusive (ISO, on startTime). */
export interface SpendScope {
  api_key?: string;
  user?: string;
  team_id?: string;
  end_user?: string;
  request_id?: string;
  model_group?: string;
  start?: string;
  end?: string;
}

/** Sums of a group of rows. `spend` is the plain SQL sum of doubles; callers round it to their money grid. */
export interface SpendTotals {
  spend: number;
  requests: number;
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/** One group: its dimension values (null where the column is null) and its sums. */
export type SpendGroup<D extends SpendDimension> = { [K in D]: string | null } & SpendTotals;

export interface EntityPage {
  page: number;
  size: number;
}

export interface SpendReportRepository {
  /** The sums of the rows in `scope`, one per distinct combination of `dimensions`, in no particular order. */
  groupedSums<D extends SpendDimension>(dimensions: readonly D[], scope: SpendScope): Promise<SpendGroup<D>[]>;
  /** team_id → team_alias (null when the team has none) for the teams of these ids that exist. */
  teamAliases(teamIds: readonly string[]): Promise<Map<string, string | null>>;
  /** Users by their spend counter, highest first (ties by user_id). */
  usersBySpend(page: EntityPage): Promise<UserRecord[]>;
  /** Teams by their spend counter, highest first (ties by team_id); only `team_ids` when given. */
  teamsBySpend(page: EntityPage & { team_ids?: readonly string[] }): Promise<TeamRecord[]>;
}

function offsetOf({ page, size }: EntityPage, context: string): number {
  if (!Number.isInteger(page) || page < 1) throw new RangeError(`${context}: page must be an integer ≥ 1, got ${String(page)}`);
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`${context}: size must be an integer ≥ 1, got ${String(size)}`);
  return (page - 1) * size;
}

export function createSpendReportRepository(client: SqlClient): SpendReportRepository {
  return {
    async groupedSums(dimensions, scope) {
      if (dimensions.length === 0) throw new RangeError('spendReports.groupedSums: name at least one dimension');
      for (const d of dimensions) {
        if (!Object.hasOwn(DIMENSION_SQL, d)) {
          throw new RangeError(`spendReports.groupedSums: cannot group by ${JSON.stringify(d)} (one of ${SPEND_DIMENSIONS.join(', ')})`);
        }
      }
      const where = new Where()
        .equals('api_key', scope.api_key)
        .equals('user', scope.user)
        .equals('team_id', scope.team_id)
        .equals('end_user', scope.end_user)
        .equals('request_id', scope.request_id)
        .equals('model_group', scope.model_group);
      if (scope.start !== undefined) where.add(`start_time >= ${where.params.add(scope.start, 'timestamptz')}`);
      if (scope.end !== undefined) where.add(`start_time < ${where.params.add(scope.end, 'timestamptz')}`);
      const select = dimensions.map((d) => `${DIMENSION_SQL[d]} AS "${d}"`).join(', ');
      const positions = dimensions.map((_, i) => i + 1).join(', ');
      return client.query(
        `SELECT ${select}, sum(spend) AS spend, count(*) AS requests, sum(prompt_tokens) AS prompt_tokens,
                sum(completion_tokens) AS completion_tokens, sum(total_tokens) AS total_tokens
         FROM spend_logs${where.sql} GROUP BY ${positions}`,
        where.params.values,
      );
    },

    async teamAliases(teamIds) {
      if (teamIds.length === 0) return new Map();
      const rows = await client.query<{ team_id: string; team_alias: string | null }>(
        'SELECT team_id, team_alias FROM teams WHERE team_id = ANY($1::text[])',
        [[...new Set(teamIds)]],
      );
      return new Map(rows.map((r) => [r.team_id, r.team_alias]));
    },

    async usersBySpend(page) {
      const offset = offsetOf(page, 'spendReports.usersBySpend');
      return client.query<UserRecord>('SELECT * FROM users ORDER BY spend DESC, user_id LIMIT $1 OFFSET $2', [page.size, offset]);
    },

    async teamsBySpend(page) {
      const offset = offsetOf(page, 'spendReports.teamsBySpend');
      if (page.team_ids === undefined) {
        return client.query<TeamRecord>('SELECT * FROM teams ORDER BY spend DESC, team_id LIMIT $1 OFFSET $2', [page.size, offset]);
      }
      return client.query<TeamRecord>(
        'SELECT * FROM teams WHERE team_id = ANY($1::text[]) ORDER BY spend DESC, team_id LIMIT $2 OFFSET $3',
        [[...page.team_ids], page.size, offset],
      );
    },
  };
}

const attached = new WeakMap<SpendLogRepository, SpendReportRepository>();

/** Attaches the report queries over `client` to a spend-log repository made over the same client; returns it. */
export function withSpendReports(spendLogs: SpendLogRepository, client: SqlClient): SpendLogRepository {
  attached.set(spendLogs, createSpendReportRepository(client));
  return spendLogs;
}

/** The report queries of a store or transaction (anything with the `spendLogs` that repositories.ts made). */
export function spendReports(repos: { readonly spendLogs: SpendLogRepository }): SpendReportRepository {
  const reports = attached.get(repos.spendLogs);
  if (reports === undefined) throw new Error('spendReports: this spendLogs repository was not made by createRepositories');
  return reports;
}
