/**
 * The one place that turns records into SQL: each repository declares its table (name, primary
 * key, a kind per column) and these helpers build the INSERT, UPDATE, SELECT and DELETE text
 * from it. Column names in SQL only ever come from a table declaration, never from a caller:
 * a record or patch field that is not a declared (and, for updates, changeable) column is
 * rejected by name.
 */
import type { ListFilter, Page } from './types.js';
import { quoteIdent, type SqlClient } from './sql.js';

/** How a column's values are passed: jsonb as JSON text, text[] as a string array. */
export type ColumnKind = 'text' | 'number' | 'boolean' | 'timestamptz' | 'jsonb' | 'text[]';

/** Columns every table has and no caller sets through an update. */
const TIMESTAMP_COLUMNS = ['created_at', 'updated_at'];

export interface Table<R> {
  readonly name: string;
  /** Primary key columns, in the order the helpers take their values. */
  readonly key: readonly string[];
  readonly columns: ReadonlyMap<string, ColumnKind>;
  /** Columns an update may set. */
  readonly updatable: ReadonlySet<string>;
  /** Only for typing rows as R. */
  readonly _record?: R;
}

/**
 * Declares a table whose columns are exactly the fields of R (the compiler checks none is
 * missing). Updates may set every column but the key, created_at, updated_at and `fixed`.
 */
export function defineTable<R>(
  name: string,
  key: readonly (keyof R & string)[],
  columns: { readonly [K in keyof R & string]-?: ColumnKind },
  fixed: readonly (keyof R & string)[] = [],
): Table<R> {
  const map = new Map<string, ColumnKind>(Object.entries(columns) as [string, ColumnKind][]);
  const locked = new Set<string>([...key, ...fixed, ...TIMESTAMP_COLUMNS]);
  return { name, key, columns: map, updatable: new Set([...map.keys()].filter((c) => !locked.has(c))) };
}

/** Collects parameter values and hands back their placeholders, cast for their column kind. */
export class Params {
  readonly values: unknown[] = [];

  add(value: unknown, kind: ColumnKind = 'text'): string {
    this.values.push(kind === 'jsonb' && value !== null ? JSON.stringify(value) : value);
    const placeholder = `$${this.values.length}`;
    switch (kind) {
      case 'jsonb':
        return `${placeholder}::jsonb`;
      case 'text[]':
        return `${placeholder}::text[]`;
      case 'timestamptz':
        return `${placeholder}::timestamptz`;
      default:
        return placeholder;
    }
  }
}

/** A WHERE clause built from fixed SQL fragments and parameters. */
export class Where {
  readonly params = new Params();
  private readonly clauses: string[] = [];

  /** Adds a condition; `clause` must be SQL from code, with values only as placeholders from `this.params`. */
  add(clause: string): this {
    this.clauses.push(clause);
    return this;
  }

  /** `column = value`, skipped when value is undefined. */
  equals(column: string, value: unknown, kind: ColumnKind = 'text'): this {
    if (value !== undefined) this.add(`${quoteIdent(column)} = ${this.params.add(value, kind)}`);
    return this;
  }

  get sql(): string {
    return this.clauses.length === 0 ? '' : ` WHERE ${this.clauses.join(' AND ')}`;
  }
}

function kindOf(table: Table<unknown>, column: string, context: string): ColumnKind {
  const kind = table.columns.get(column);
  if (kind === undefined) throw new Error(`${context}: ${JSON.stringify(column)} is not a column of ${table.name}`);
  return kind;
}

/**
 * `"column" = $n` for each field of `patch` that is not undefined. A field that is not a
 * changeable column of the table, or is in `reserved`, is an error naming it.
 */
export function assignments(table: Table<unknown>, patch: object, params: Params, context: string, reserved: readonly string[] = []): string[] {
  const sets: string[] = [];
  for (const [column, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    if (!table.updatable.has(column) || reserved.includes(column)) {
      throw new Error(`${context}: ${JSON.stringify(column)} cannot be changed (changeable: ${[...table.updatable].filter((c) => !reserved.includes(c)).join(', ')})`);
    }
    sets.push(`${quoteIdent(column)} = ${params.add(value, kindOf(table, column, context))}`);
  }
  return sets;
}

function keyCondition(table: Table<unknown>, keyValues: readonly string[], params: Params): string {
  return table.key.map((column, i) => `${quoteIdent(column)} = ${params.add(keyValues[i])}`).join(' AND ');
}

/**
 * Inserts `record` and returns the stored row. Fields left undefined take the column default
 * (now() for created_at/updated_at); a field that is not a column is an error.
 */
export async function insertRow<R>(client: SqlClient, table: Table<R>, record: R, context: string): Promise<R> {
  const params = new Params();
  const columns: string[] = [];
  const values: string[] = [];
  for (const [column, value] of Object.entries(record as object)) {
    if (value === undefined) continue;
    const kind = kindOf(table, column, context);
    columns.push(quoteIdent(column));
    values.push(params.add(value, kind));
  }
  const rows = await client.query(`INSERT INTO ${table.name} (${columns.join(', ')}) VALUES (${values.join(', ')}) RETURNING *`, params.values);
  return rows[0] as R;
}

/** The row with this primary key, or null. */
export async function getRow<R>(client: SqlClient, table: Table<R>, keyValues: readonly string[]): Promise<R | null> {
  const params = new Params();
  const rows = await client.query(`SELECT * FROM ${table.name} WHERE ${keyCondition(table, keyValues, params)}`, params.values);
  return (rows[0] as R | undefined) ?? null;
}

/** The first row where `column = value`, or null. */
export async function findRow<R>(client: SqlClient, table: Table<R>, column: string, value: string): Promise<R | null> {
  const rows = await client.query(`SELECT * FROM ${table.name} WHERE ${quoteIdent(column)} = $1 LIMIT 1`, [value]);
  return (rows[0] as R | undefined) ?? null;
}

/** Assignments a repository adds to an update beside the patch (rotate's new token, for one). */
export interface ExtraAssignments {
  /** The parameters the `sets` placeholders were taken from. */
  readonly params: Params;
  readonly sets: readonly string[];
  /** Columns the patch may not name because `sets` assigns them. */
  readonly reserved: readonly string[];
}

/**
 * Sets the patch's columns (and any `extra` assignments) and updated_at = now() on the row with
 * this primary key; returns the new row, or null when there is none.
 */
export async function updateRow<R>(client: SqlClient, table: Table<R>, keyValues: readonly string[], patch: object, context: string, extra?: ExtraAssignments): Promise<R | null> {
  const params = extra?.params ?? new Params();
  const sets = [...(extra?.sets ?? []), ...assignments(table, patch, params, context, extra?.reserved), 'updated_at = now()'];
  const rows = await client.query(`UPDATE ${table.name} SET ${sets.join(', ')} WHERE ${keyCondition(table, keyValues, params)} RETURNING *`, params.values);
  return (rows[0] as R | undefined) ?? null;
}

/** Deletes the rows with these (single-column) keys; returns the keys that existed. */
export async function deleteRows(client: SqlClient, table: Table<unknown>, ids: readonly string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const key = quoteIdent(table.key[0]);
  const rows = await client.query(`DELETE FROM ${table.name} WHERE ${key} = ANY($1::text[]) RETURNING ${key} AS id`, [ids]);
  return rows.map((row) => row.id as string);
}

/** Every row matching `where`, in `orderBy` order (SQL from code). */
export async function selectRows<R>(client: SqlClient, table: Table<R>, where: Where, orderBy: string): Promise<R[]> {
  return (await client.query(`SELECT * FROM ${table.name}${where.sql} ORDER BY ${orderBy}`, where.params.values)) as R[];
}

/** Checks paging: page counts from 1, size at least 1. */
function offsetOf(paging: ListFilter, context: string): number {
  const { page, size } = paging;
  if (!Number.isInteger(page) || page < 1) throw new RangeError(`${context}: page must be an integer ≥ 1, got ${String(page)}`);
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`${context}: size must be an integer ≥ 1, got ${String(size)}`);
  return (page - 1) * size;
}

/** One page of the rows matching `where` in `orderBy` order, with the total count of matches. */
export async function listPage<R>(client: SqlClient, table: Table<R>, where: Where, orderBy: string, paging: ListFilter, context: string): Promise<Page<R>> {
  const offset = offsetOf(paging, context);
  const values = where.params.values;
  const [{ total }] = await client.query<{ total: number }>(`SELECT count(*) AS total FROM ${table.name}${where.sql}`, values);
  const n = values.length;
  const rows = await client.query(
    `SELECT * FROM ${table.name}${where.sql} ORDER BY ${orderBy} LIMIT $${n + 1} OFFSET $${n + 2}`,
    [...values, paging.size, offset],
  );
  return { rows: rows as R[], total };
}
