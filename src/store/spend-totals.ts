/**
 * Per-entity spend (the `spend` columns of keys, users, teams, team_members and customers), added
 * in batches from the spend-log rows that were stored (docs/spend-logs.md#per-entity-spend).
 *
 * Exactness contract: a row's spend is added exactly once, in the same transaction that inserted
 * the row. `insertBatchCharges` returns only the rows it stored: all of them when its COPY
 * succeeded (a COPY loads every row or none, and fails on a row already stored), else those its
 * INSERT … ON CONFLICT (request_id, start_time) DO NOTHING did not skip; only those are summed here.
 * So a batch retried after a failure, an ambiguous commit, or a spill file written back twice
 * charges nothing twice, and after any of them a key's spend is the sum of its rows' spend.
 *
 * Sums are kept on the picodollar grid (src/spend/money.ts): each delta is summed with addUsd,
 * and the column is rounded after the addition in SQL (the same IEEE operations as roundUsd), so
 * a column equals the decimal sum of its rows, whatever the batches were.
 */
import { addUsd } from '../spend/money.js';
import type { SqlClient } from './sql.js';
import type { SpendCharge, SpendTotals } from './types.js';

/** 'AILB' in ASCII, the first half of every AILB advisory lock key (migrate.ts, migration 2). */
const LOCK_CLASS = 1095322690;

/** `spend + delta`, rounded to the picodollar grid as roundUsd does. */
const ADD = (column: string, delta: string) => `round((${column} + ${delta}) * 1e12::float8) / 1e12::float8`;

const KEYS_SQL = `UPDATE keys AS k SET spend = ${ADD('k.spend', 's.delta')}, updated_at = now()
  FROM (SELECT k2.token, sum(d.delta) AS delta
        FROM unnest($1::text[], $2::float8[]) AS d(id, delta)
        JOIN keys AS k2 ON k2.token = d.id OR k2.previous_token = d.id
        GROUP BY k2.token) AS s
  WHERE k.token = s.token`;

const USERS_SQL = `UPDATE users AS u SET spend = ${ADD('u.spend', 'd.delta')}, updated_at = now()
  FROM unnest($1::text[], $2::float8[]) AS d(id, delta) WHERE u.user_id = d.id`;

const TEAMS_SQL = `UPDATE teams AS t SET spend = ${ADD('t.spend', 'd.delta')}, updated_at = now()
  FROM unnest($1::text[], $2::float8[]) AS d(id, delta) WHERE t.team_id = d.id`;

const MEMBERS_SQL = `UPDATE team_members AS m SET spend = ${ADD('m.spend', 'd.delta')}, updated_at = now()
  FROM unnest($1::text[], $2::text[], $3::float8[]) AS d(team_id, user_id, delta)
  WHERE m.team_id = d.team_id AND m.user_id = d.user_id`;

// LiteLLM upserts end users on spend too: an end user exists once it has spent.
const CUSTOMERS_SQL = `INSERT INTO customers AS c (user_id, spend)
  SELECT d.id, d.delta FROM unnest($1::text[], $2::float8[]) AS d(id, delta)
  ON CONFLICT (user_id) DO UPDATE SET spend = ${ADD('c.spend', 'EXCLUDED.spend')}, updated_at = now()`;

function add(map: Map<string, number>, id: string | null, spend: number): void {
  if (id === null || id === '') return;
  map.set(id, addUsd(map.get(id) ?? 0, spend));
}

/** What each entity is charged for these rows; rows of zero spend charge nothing. */
export function spendTotalsOf(charges: Iterable<SpendCharge>): SpendTotals {
  const keys = new Map<string, number>();
  const users = new Map<string, number>();
  const teams = new Map<string, number>();
  const teamMembers = new Map<string, Map<string, number>>();
  const endUsers = new Map<string, number>();
  for (const charge of charges) {
    const spend = charge.spend;
    if (!(spend !== 0 && Number.isFinite(spend))) continue;
    add(keys, charge.api_key, spend);
    add(users, charge.user, spend);
    add(teams, charge.team_id, spend);
    add(endUsers, charge.end_user, spend);
    if (charge.team_id !== null && charge.team_id !== '' && charge.user !== null && charge.user !== '') {
      let members = teamMembers.get(charge.team_id);
      if (members === undefined) teamMembers.set(charge.team_id, (members = new Map()));
      add(members, charge.user, spend);
    }
  }
  return { keys, users, teams, teamMembers, endUsers };
}

function isEmpty(totals: SpendTotals): boolean {
  return totals.keys.size + totals.users.size + totals.teams.size + totals.teamMembers.size + totals.endUsers.size === 0;
}

/** The map as the two arrays unnest() zips back into (id, delta) rows. */
function columns(map: ReadonlyMap<string, number>): [string[], number[]] {
  return [[...map.keys()], [...map.values()]];
}

/**
 * Adds `totals` to the spend columns (see SpendLogRepository.addSpend). The lock serialises
 * concurrent adders per schema: without it two batches touching the same keys in a different
 * order could deadlock. It is taken after the caller's insert, so inserts still run in parallel;
 * only these few UPDATEs and the commit wait for one another.
 */
export async function addSpend(client: SqlClient, totals: SpendTotals): Promise<void> {
  if (isEmpty(totals)) return;
  await client.query("SELECT pg_advisory_xact_lock($1::integer, hashtext(current_schema() || '.spend_totals')) AS locked", [LOCK_CLASS]);
  if (totals.keys.size > 0) await client.query(KEYS_SQL, columns(totals.keys));
  if (totals.users.size > 0) await client.query(USERS_SQL, columns(totals.users));
  if (totals.teams.size > 0) await client.query(TEAMS_SQL, columns(totals.teams));
  if (totals.teamMembers.size > 0) {
    const teamIds: string[] = [];
    const userIds: string[] = [];
    const deltas: number[] = [];
    for (const [teamId, members] of totals.teamMembers) {
      for (const [userId, delta] of members) {
        teamIds.push(teamId);
        userIds.push(userId);
        deltas.push(delta);
      }
    }
    await client.query(MEMBERS_SQL, [teamIds, userIds, deltas]);
  }
  if (totals.endUsers.size > 0) await client.query(CUSTOMERS_SQL, columns(totals.endUsers));
}
