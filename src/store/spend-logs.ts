/**
 * Spend logs (table `spend_logs`, migration 2; docs/spend-logs.md): batched inserts (a COPY, or
 * an INSERT that skips stored rows when the COPY meets one), daily partitions and their
 * retention, the filtered list and per-entity sums reports need.
 *
 * Rows are written by src/spend/log-writer.ts in batches, never by a request. The record keeps
 * LiteLLM's JSON names; the columns are snake_case. The mapping is SPEND_LOG_COLUMNS below, used
 * both ways: inserts read the records' fields into their columns, SELECTs alias the columns back.
 */
import type {
  SpendCharge,
  SpendGroupBy,
  SpendLogFilter,
  SpendLogPage,
  SpendLogPartition,
  SpendLogRecord,
  SpendLogRepository,
  SpendSum,
} from './types.js';
import { SPEND_GROUP_BY } from './types.js';
import { quoteIdent, type SqlClient } from './sql.js';
import { addSpend } from './spend-totals.js';
import { Where } from './table.js';

/** Record field → [column, SQL type]. Every field of SpendLogRecord, in column order. */
export const SPEND_LOG_COLUMNS: { readonly [K in keyof SpendLogRecord]-?: readonly [string, string] } = {
  request_id: ['request_id', 'text'],
  call_type: ['call_type', 'text'],
  api_key: ['api_key', 'text'],
  spend: ['spend', 'double precision'],
  total_tokens: ['total_tokens', 'bigint'],
  prompt_tokens: ['prompt_tokens', 'bigint'],
  completion_tokens: ['completion_tokens', 'bigint'],
  startTime: ['start_time', 'timestamptz'],
  endTime: ['end_time', 'timestamptz'],
  completionStartTime: ['completion_start_time', 'timestamptz'],
  model: ['model', 'text'],
  model_id: ['model_id', 'text'],
  model_group: ['model_group', 'text'],
  api_base: ['api_base', 'text'],
  user: ['user', 'text'],
  metadata: ['metadata', 'jsonb'],
  cache_hit: ['cache_hit', 'text'],
  request_tags: ['request_tags', 'text[]'],
  team_id: ['team_id', 'text'],
  end_user: ['end_user', 'text'],
  requester_ip_address: ['requester_ip_address', 'text'],
  custom_llm_provider: ['custom_llm_provider', 'text'],
  request_duration_ms: ['request_duration_ms', 'bigint'],
  status: ['status', 'text'],
  prompt_tokens_source: ['prompt_tokens_source', 'text'],
};

/**
 * Defaults for fields a record (say, from an older spill file) lacks, matching the columns' NOT
 * NULL defaults. As text: COPY writes it as is, the general INSERT as a literal.
 */
const FALLBACK: Partial<Record<keyof SpendLogRecord, string>> = {
  call_type: '',
  api_key: '',
  spend: '0',
  total_tokens: '0',
  prompt_tokens: '0',
  completion_tokens: '0',
  model: '',
  metadata: '{}',
  cache_hit: '',
  request_tags: '{}',
  status: 'success',
  prompt_tokens_source: 'provider',
};

const FIELDS = Object.keys(SPEND_LOG_COLUMNS) as (keyof SpendLogRecord)[];
const COLUMN_LIST = FIELDS.map((f) => quoteIdent(SPEND_LOG_COLUMNS[f][0])).join(', ');

/**
 * The general INSERT, for any number of rows: each field travels as one array parameter and
 * unnest() zips them back into rows, so a batch is 25 parameters whatever its size (no
 * 65535-parameter limit) and every value goes through its type's plain input function. jsonb and
 * text[] fields are sent as text (JSON, and an array literal) and cast per row, since arrays of
 * arrays must be rectangular. Rows already stored are skipped (ON CONFLICT DO NOTHING).
 */
const INSERT_SQL = (() => {
  const values = FIELDS.map((f, i) => {
    const type = SPEND_LOG_COLUMNS[f][1];
    const value = type === 'jsonb' || type === 'text[]' ? `c${i}::${type}` : `c${i}`;
    return FALLBACK[f] === undefined ? value : `COALESCE(${value}, '${FALLBACK[f]}')`;
  }).join(', ');
  const arrays = FIELDS.map((f, i) => {
    const type = SPEND_LOG_COLUMNS[f][1];
    return `$${i + 1}::${type === 'jsonb' || type === 'text[]' ? 'text' : type}[]`;
  }).join(', ');
  const names = FIELDS.map((_, i) => `c${i}`).join(', ');
  return `INSERT INTO spend_logs (${COLUMN_LIST}) SELECT ${values} FROM unnest(${arrays}) AS r(${names}) ON CONFLICT (request_id, start_time) DO NOTHING`;
})();

/** A PostgreSQL array literal of strings, for a text[] value sent as text. */
function arrayLiteral(items: unknown): string | null {
  if (!Array.isArray(items)) return null;
  return `{${items.map((item) => (item === null ? 'NULL' : `"${String(item).replace(/[\\"]/g, '\\$&')}"`)).join(',')}}`;
}

/** The batch as one array per field, in FIELDS order: the general INSERT's parameters. */
function columnsOf(rows: readonly SpendLogRecord[]): unknown[][] {
  const columns = FIELDS.map(() => new Array<unknown>(rows.length));
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r];
    for (let i = 0; i < FIELDS.length; i++) {
      const value = row[FIELDS[i]] ?? null;
      const type = SPEND_LOG_COLUMNS[FIELDS[i]][1];
      columns[i][r] = value === null ? null : type === 'jsonb' ? JSON.stringify(value) : type === 'text[]' ? arrayLiteral(value) : value;
    }
  }
  return columns;
}

const COPY_TARGET = `spend_logs (${COLUMN_LIST})`;
const COPY_SPECIAL = /[\\\n\r\t]/;
const COPY_SPECIALS = /[\\\n\r\t]/g;
const COPY_ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** A value as one field of COPY's text format: backslash, newline, carriage return and tab escaped. */
export function copyEscape(value: string): string {
  return COPY_SPECIAL.test(value) ? value.replace(COPY_SPECIALS, (c) => COPY_ESCAPES[c]) : value;
}

/** Each field's FALLBACK as COPY writes it, `\N` (NULL) where there is none. */
const COPY_MISSING: readonly string[] = FIELDS.map((f) => (FALLBACK[f] === undefined ? '\\N' : copyEscape(FALLBACK[f])));

/** Set by a field function below when a value is not of its column's kind; copyInputOf resets it per call. */
let declined = false;

/**
 * Per column, the last text value and its escaped, ended form: most columns repeat one string
 * (the key, the model, the deployment) across a batch, so their escape check and tab are paid
 * once, not per row (1.41 → 1.12 µs a row with it).
 */
const NOTHING_YET = Symbol('nothing yet');
const lastText: unknown[] = FIELDS.map(() => NOTHING_YET);
const lastEscaped: string[] = FIELDS.map(() => '');

/** What ends each field: a tab, or the newline after the last. */
const END: readonly string[] = FIELDS.map((_, i) => (i === FIELDS.length - 1 ? '\n' : '\t'));
/** COPY_MISSING with its END. */
const MISSING_ENDED: readonly string[] = FIELDS.map((_, i) => COPY_MISSING[i] + END[i]);

/*
 * The field functions: each writes one field as COPY's text format writes it (COPY_MISSING[i] for
 * null) with the tab, or for the last the newline, that ends it, so each field is one string
 * piece, not two, in the rope that copyInputOf builds and Buffer.from then walks. A value that is
 * not what the COPY path takes for its column (a string for text and timestamptz, a number for
 * bigint and double precision; jsonb takes any JSON, text[] an array or anything else as missing,
 * as the general INSERT does) sets `declined` and writes nothing.
 */

function textField(value: unknown, i: number): string {
  if (value === lastText[i]) return lastEscaped[i];
  if (value === null || value === undefined) return MISSING_ENDED[i];
  if (typeof value !== 'string') {
    declined = true;
    return '';
  }
  const escaped = copyEscape(value) + END[i];
  lastText[i] = value;
  lastEscaped[i] = escaped;
  return escaped;
}

function numberField(value: unknown, i: number): string {
  if (value === null || value === undefined) return MISSING_ENDED[i];
  // String() of a double is its shortest exact form, which float8in reads back as the same double.
  if (typeof value === 'number') return String(value) + END[i];
  declined = true;
  return '';
}

function jsonField(value: unknown, i: number): string {
  if (value === null || value === undefined) return MISSING_ENDED[i];
  // Most rows' metadata is a fresh {}: no JSON.stringify for it.
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype && isEmptyObject(value as object)) return '{}' + END[i];
  const json = JSON.stringify(value);
  return json === undefined ? MISSING_ENDED[i] : copyEscape(json) + END[i];
}

/** No enumerable string key (what JSON.stringify writes of a plain object), so it writes `{}`. */
function isEmptyObject(value: object): boolean {
  for (const _ in value) return false;
  return true;
}

function arrayField(value: unknown, i: number): string {
  if (Array.isArray(value) && value.length === 0) return '{}' + END[i];
  const literal = arrayLiteral(value);
  return literal === null ? MISSING_ENDED[i] : copyEscape(literal) + END[i];
}

/** The columns copyLine writes, in its order; checked against FIELDS when this module loads. */
const COPY_LINE_FIELDS = 'request_id call_type api_key spend total_tokens prompt_tokens completion_tokens startTime endTime completionStartTime model model_id model_group api_base user metadata cache_hit request_tags team_id end_user requester_ip_address custom_llm_provider request_duration_ms status prompt_tokens_source';
if (FIELDS.join(' ') !== COPY_LINE_FIELDS) throw new Error('spend-logs: copyLine is out of step with SPEND_LOG_COLUMNS');

/**
 * One row as a line of COPY input, fields in FIELDS order. Why written out field by field rather
 * than a loop over FIELDS: a loop reads `row[FIELDS[i]]` (a keyed load that sees 25 names, so
 * V8 treats it as megamorphic) and dispatches on the column's kind per field; this reads each
 * property by name and calls each kind's function directly. With the per-column memo above, a
 * 1000-row batch of gateway rows takes 1.12 µs a row instead of 1.67, main-thread time under
 * load (docs/spend-logs.md#in-the-gateway-under-load).
 */
function copyLine(row: SpendLogRecord): string {
  return (
    textField(row.request_id, 0) +
    textField(row.call_type, 1) +
    textField(row.api_key, 2) +
    numberField(row.spend, 3) +
    numberField(row.total_tokens, 4) +
    numberField(row.prompt_tokens, 5) +
    numberField(row.completion_tokens, 6) +
    textField(row.startTime, 7) +
    textField(row.endTime, 8) +
    textField(row.completionStartTime, 9) +
    textField(row.model, 10) +
    textField(row.model_id, 11) +
    textField(row.model_group, 12) +
    textField(row.api_base, 13) +
    textField(row.user, 14) +
    jsonField(row.metadata, 15) +
    textField(row.cache_hit, 16) +
    arrayField(row.request_tags, 17) +
    textField(row.team_id, 18) +
    textField(row.end_user, 19) +
    textField(row.requester_ip_address, 20) +
    textField(row.custom_llm_provider, 21) +
    numberField(row.request_duration_ms, 22) +
    textField(row.status, 23) +
    textField(row.prompt_tokens_source, 24)
  );
}

/**
 * The rows as COPY's text-format input (a line per row, fields in FIELDS order separated by tabs,
 * `\N` for NULL, FALLBACK for a NOT NULL column's missing value), or null when a value is not of
 * the kind its column takes on this path (see textField and the rest): such a batch goes the
 * general way, whose conversions are the driver's, so an odd value is stored exactly as before
 * COPY was used.
 */
export function copyInputOf(rows: readonly SpendLogRecord[]): Buffer | null {
  declined = false;
  let input = '';
  for (let r = 0; r < rows.length; r++) {
    input += copyLine(rows[r]);
    if (declined) return null;
  }
  return Buffer.from(input);
}

/** What a row loaded by COPY charges: the values copyInputOf wrote, so the same the general INSERT would return. */
function chargeOf(row: SpendLogRecord): SpendCharge {
  return { api_key: row.api_key ?? '', user: row.user ?? null, team_id: row.team_id ?? null, end_user: row.end_user ?? null, spend: row.spend ?? 0 };
}

/** Whether the error, or one it wraps, is PostgreSQL's unique_violation. */
function isUniqueViolation(error: unknown): boolean {
  for (let e: unknown = error; typeof e === 'object' && e !== null; e = (e as { cause?: unknown }).cause) {
    if ((e as { code?: unknown }).code === '23505') return true;
  }
  return false;
}

/** The columns under the record's names. */
const SELECT_LIST = FIELDS.map((f) => {
  const column = SPEND_LOG_COLUMNS[f][0];
  return column === f ? quoteIdent(column) : `${quoteIdent(column)} AS ${quoteIdent(f)}`;
}).join(', ');

/**
 * Rows per statement: the input grows with the batch (about 1 KB a row), so very large batches
 * are cut to keep each statement's message and memory moderate. Outside a transaction each chunk
 * commits alone; a retry of the whole batch is safe, since stored rows are skipped.
 */
const MAX_ROWS_PER_STATEMENT = 5_000;

const DAY = /^(\d{4})-(\d\d)-(\d\d)$/;
const PARTITION = /^spend_logs_p(\d{4})(\d\d)(\d\d)$/;
const DAY_MS = 86_400_000;

/** The UTC day (YYYY-MM-DD) of an instant. */
export function utcDay(time: Date | number): string {
  return new Date(time).toISOString().slice(0, 10);
}

/** The UTC day of an ISO time; the common `…Z` form without parsing a Date. null when it is not a time. */
export function dayOfIso(iso: string): string | null {
  if (iso.length >= 20 && iso.charCodeAt(iso.length - 1) === 90 /* Z */ && iso.charCodeAt(10) === 84 /* T */ && DAY.test(iso.slice(0, 10))) {
    return iso.slice(0, 10);
  }
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? null : utcDay(ms);
}

/** `today` and the `ahead` days after it (UTC), the partitions kept ready. */
export function daysAround(now: Date, ahead = 2): string[] {
  const start = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return Array.from({ length: ahead + 1 }, (_, i) => utcDay(start + i * DAY_MS));
}

function checkPaging(filter: SpendLogFilter): number {
  const { page, size } = filter;
  if (!Number.isInteger(page) || page < 1) throw new RangeError(`spendLogs.list: page must be an integer ≥ 1, got ${String(page)}`);
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`spendLogs.list: size must be an integer ≥ 1, got ${String(size)}`);
  return (page - 1) * size;
}

export function createSpendLogRepository(client: SqlClient): SpendLogRepository {
  async function partitions(): Promise<SpendLogPartition[]> {
    const rows = await client.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
       WHERE i.inhparent = 'spend_logs'::regclass ORDER BY c.relname`,
    );
    const daily: SpendLogPartition[] = [];
    const other: SpendLogPartition[] = [];
    for (const { name } of rows) {
      const match = PARTITION.exec(name);
      if (match) daily.push({ name, day: `${match[1]}-${match[2]}-${match[3]}` });
      else other.push({ name, day: null });
    }
    return [...daily, ...other];
  }

  /**
   * Stores one chunk and returns the charges of the rows it stored. First one COPY of every row,
   * which loads all of them or none: a row already stored (a retried batch, a duplicate inside
   * it) makes it fail with unique_violation and leave nothing behind, and the chunk then takes
   * the general INSERT, which skips the stored rows and returns the new ones. Either way exactly
   * the rows this call stored are returned.
   */
  async function insertChunk(rows: readonly SpendLogRecord[]): Promise<SpendCharge[]> {
    const input = copyInputOf(rows);
    if (input !== null) {
      try {
        await client.copyFrom(COPY_TARGET, input);
        return rows.map(chargeOf);
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
      }
    }
    return client.query<SpendCharge>(`${INSERT_SQL} RETURNING api_key, "user", team_id, end_user, spend`, columnsOf(rows));
  }

  /** insertChunk over chunks of at most MAX_ROWS_PER_STATEMENT rows. */
  async function insertChunks(rows: readonly SpendLogRecord[]): Promise<SpendCharge[]> {
    if (rows.length <= MAX_ROWS_PER_STATEMENT) return insertChunk(rows);
    const out: SpendCharge[] = [];
    for (let i = 0; i < rows.length; i += MAX_ROWS_PER_STATEMENT) {
      for (const charge of await insertChunk(rows.slice(i, i + MAX_ROWS_PER_STATEMENT))) out.push(charge);
    }
    return out;
  }

  return {
    async insertBatch(rows) {
      return (await insertChunks(rows)).length;
    },

    insertBatchCharges: insertChunks,

    addSpend(totals) {
      return addSpend(client, totals);
    },

    async ensurePartitions(days) {
      for (const day of days) {
        if (!DAY.test(day)) throw new RangeError(`spendLogs.ensurePartitions: ${JSON.stringify(day)} is not a YYYY-MM-DD day`);
      }
      if (days.length === 0) return [];
      const rows = await client.query<{ day: string; made: boolean }>(
        'SELECT d AS day, spend_logs_ensure_partition(d::date) AS made FROM unnest($1::text[]) AS d',
        [[...new Set(days)].sort()],
      );
      return rows.filter((r) => r.made).map((r) => r.day);
    },

    partitions,

    async dropPartitionsOlderThan(days, now = new Date()) {
      if (!Number.isInteger(days) || days < 1) {
        throw new RangeError(`spendLogs.dropPartitionsOlderThan: days must be an integer ≥ 1, got ${String(days)}`);
      }
      const cutoff = daysAround(new Date(now.getTime() - days * DAY_MS), 0)[0];
      const dropped: string[] = [];
      for (const partition of await partitions()) {
        if (partition.day === null || partition.day >= cutoff) continue;
        // The name matched PARTITION, so it is safe to quote; a partition dropped meanwhile is fine.
        await client.exec(`DROP TABLE IF EXISTS ${quoteIdent(partition.name)}`);
        dropped.push(partition.name);
      }
      await client.query('DELETE FROM spend_logs_default WHERE start_time < $1::timestamptz', [`${cutoff}T00:00:00Z`]);
      return dropped;
    },

    async list(filter) {
      const offset = checkPaging(filter);
      const where = new Where()
        .equals('request_id', filter.request_id)
        .equals('api_key', filter.api_key)
        .equals('user', filter.user)
        .equals('team_id', filter.team_id)
        .equals('end_user', filter.end_user)
        .equals('model_group', filter.model_group);
      if (filter.start !== undefined) where.add(`start_time >= ${where.params.add(filter.start, 'timestamptz')}`);
      if (filter.end !== undefined) where.add(`start_time < ${where.params.add(filter.end, 'timestamptz')}`);
      const n = where.params.values.length;
      const rows = await client.query<SpendLogRecord>(
        `SELECT ${SELECT_LIST} FROM spend_logs${where.sql} ORDER BY start_time DESC, request_id DESC LIMIT $${n + 1} OFFSET $${n + 2}`,
        [...where.params.values, filter.size + 1, offset],
      );
      const has_more = rows.length > filter.size;
      if (has_more) rows.pop();
      return { rows, has_more };
    },

    async sumByEntity(groupBy: SpendGroupBy, start: string, end: string): Promise<SpendSum[]> {
      if (!SPEND_GROUP_BY.includes(groupBy)) {
        throw new RangeError(`spendLogs.sumByEntity: cannot group by ${JSON.stringify(groupBy)} (one of ${SPEND_GROUP_BY.join(', ')})`);
      }
      const column = quoteIdent(groupBy);
      return client.query<SpendSum>(
        `SELECT ${column} AS entity, sum(spend) AS spend, count(*) AS requests, sum(prompt_tokens) AS prompt_tokens,
                sum(completion_tokens) AS completion_tokens, sum(total_tokens) AS total_tokens
         FROM spend_logs WHERE start_time >= $1::timestamptz AND start_time < $2::timestamptz
         GROUP BY ${column} ORDER BY spend DESC, entity NULLS LAST`,
        [start, end],
      );
    },
  };
}
