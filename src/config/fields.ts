/**
 * Typed reads of one config map. Each read returns the value or null (absent, or invalid and
 * reported), so a section parser reads every field, reports every problem, and applies defaults
 * with `??`.
 *
 * Numbers and booleans may also be written as text ("100", "true"): that is what an
 * `os.environ/` reference yields, and LiteLLM accepts both.
 */

import { childPath, type IssueList } from './issues.js';

export type PlainObject = Record<string, unknown>;

export function isPlainObject(value: unknown): value is PlainObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export interface NumberRule {
  /** Smallest allowed value (inclusive). */
  readonly min?: number;
  /** Value must be strictly greater than this. */
  readonly above?: number;
  readonly integer?: boolean;
}

const NUMERIC_TEXT = /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/;

/** A short description of a bad value for messages; long strings are cut (they may be secrets). */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  if (typeof value === 'string') return value.length > 40 ? 'a long string' : JSON.stringify(value);
  return String(value);
}

function ruleText(rule: NumberRule): string {
  const kind = rule.integer ? 'an integer' : 'a number';
  if (rule.above !== undefined) return `${kind} greater than ${rule.above}`;
  if (rule.min !== undefined) return `${kind} ≥ ${rule.min}`;
  return kind;
}

export class Fields {
  private constructor(
    readonly obj: PlainObject,
    readonly path: string,
    private readonly issues: IssueList,
  ) {}

  /** A reader over `raw`; an absent section reads as empty, a non-map is reported and reads as empty. */
  static of(raw: unknown, path: string, issues: IssueList): Fields {
    if (raw === undefined || raw === null) return new Fields({}, path, issues);
    if (!isPlainObject(raw)) {
      issues.error(path, `must be a map, got ${describe(raw)}`);
      return new Fields({}, path, issues);
    }
    return new Fields(raw, path, issues);
  }

  pathOf(key: string): string {
    return childPath(this.path, key);
  }

  /** Present with a value other than null. */
  has(key: string): boolean {
    return this.obj[key] !== undefined && this.obj[key] !== null;
  }

  /**
   * A string. `numbersAsText` also takes a number and returns its text, for fields such as
   * `api_version` or `id` that people write unquoted.
   */
  string(key: string, opts: { numbersAsText?: boolean; nonEmpty?: boolean } = {}): string | null {
    const v = this.obj[key];
    if (v === undefined || v === null) return null;
    if (typeof v === 'number' && opts.numbersAsText && Number.isFinite(v)) return String(v);
    if (typeof v !== 'string') return this.bad(key, `must be a string, got ${describe(v)}`);
    if (opts.nonEmpty && v.trim() === '') return this.bad(key, 'must not be empty');
    return v;
  }

  /** A string that must be present. */
  requiredString(key: string): string | null {
    if (!this.has(key)) return this.bad(key, 'is required', 'key');
    return this.string(key, { nonEmpty: true });
  }

  number(key: string, rule: NumberRule = {}): number | null {
    const v = this.obj[key];
    if (v === undefined || v === null) return null;
    const n = typeof v === 'number' ? v : typeof v === 'string' && NUMERIC_TEXT.test(v) ? Number(v) : NaN;
    const ok =
      Number.isFinite(n) &&
      (!rule.integer || Number.isInteger(n)) &&
      (rule.min === undefined || n >= rule.min) &&
      (rule.above === undefined || n > rule.above);
    return ok ? n : this.bad(key, `must be ${ruleText(rule)}, got ${describe(v)}`);
  }

  boolean(key: string): boolean | null {
    const v = this.obj[key];
    if (v === undefined || v === null) return null;
    if (typeof v === 'boolean') return v;
    if (typeof v === 'string' && /^(true|false)$/i.test(v.trim())) return v.trim().toLowerCase() === 'true';
    return this.bad(key, `must be true or false, got ${describe(v)}`);
  }

  oneOf<T extends string>(key: string, allowed: readonly T[]): T | null {
    const v = this.string(key);
    if (v === null) return null;
    if ((allowed as readonly string[]).includes(v)) return v as T;
    return this.bad(key, `must be one of ${allowed.join(', ')}; got ${describe(v)}`);
  }

  map(key: string): PlainObject | null {
    const v = this.obj[key];
    if (v === undefined || v === null) return null;
    return isPlainObject(v) ? v : this.bad(key, `must be a map, got ${describe(v)}`);
  }

  list(key: string): unknown[] | null {
    const v = this.obj[key];
    if (v === undefined || v === null) return null;
    return Array.isArray(v) ? v : this.bad(key, `must be a list, got ${describe(v)}`);
  }

  /** A map of strings to strings (headers and the like); `lowerCaseKeys` folds the names. */
  stringMap(key: string, opts: { lowerCaseKeys?: boolean } = {}): Record<string, string> | null {
    const m = this.map(key);
    if (m === null) return null;
    const out: Record<string, string> = {};
    let ok = true;
    for (const [name, value] of Object.entries(m)) {
      if (typeof value !== 'string') {
        this.issues.error(childPath(this.pathOf(key), name), `must be a string, got ${describe(value)}`);
        ok = false;
        continue;
      }
      out[opts.lowerCaseKeys ? name.toLowerCase() : name] = value;
    }
    return ok ? out : null;
  }

  /** Reports `message` at `key` and returns null, so invalid reads fall through to defaults. */
  bad(key: string, message: string, at: 'key' | 'value' = 'value'): null {
    this.issues.error(this.pathOf(key), message, at);
    return null;
  }
}
