/**
 * How column values are decoded, shared by both backends so rows look the same on each:
 * bigint and numeric as JS numbers (the store's counts and limits stay far below 2^53), and
 * timestamptz as ISO-8601 strings in UTC (`2024-01-02T03:04:05.123Z`, millisecond precision).
 * jsonb, text[], integer, double precision and boolean keep the drivers' own parsing.
 */
import pg from 'pg';

const { builtins } = pg.types;
const parseDate = pg.types.getTypeParser(builtins.TIMESTAMPTZ, 'text') as (text: string) => Date | number;

/** `infinity`/`-infinity` stay as PostgreSQL writes them; every other value becomes ISO UTC. */
function timestampToIso(text: string): string {
  const date = parseDate(text);
  return typeof date === 'number' ? text : date.toISOString();
}

/** Text-format parsers by type oid. */
export const TYPE_PARSERS: Readonly<Record<number, (text: string) => unknown>> = {
  [builtins.INT8]: Number,
  [builtins.NUMERIC]: Number,
  [builtins.TIMESTAMPTZ]: timestampToIso,
};

/** The same parsers in the shape `pg` takes as its `types` option (falls back to pg's defaults). */
export const PG_TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    (format ?? 'text') === 'text' && TYPE_PARSERS[oid] !== undefined
      ? TYPE_PARSERS[oid]
      : pg.types.getTypeParser(oid, format ?? 'text')) as pg.CustomTypesConfig['getTypeParser'],
};
