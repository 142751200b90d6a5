/**
 * Typed reads of a client request body's JSON, for the front doors that translate one (the
 * Anthropic Messages and OpenAI Responses formats): each returns the field's value or throws
 * GatewayError('invalid_body') naming the field by its path in the body (e.g.
 * `messages[2].content[0].source`), worded like the parse stage's errors. `null` counts as absent
 * for optional fields, as the SDKs send it for unset values.
 */
import { GatewayError } from '../errors.js';

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// ---- errors ----

export function missingField(path: string): GatewayError {
  return new GatewayError('invalid_body', `Missing required parameter: ${path}.`, { param: path });
}

export function wrongType(path: string, expected: string, value: unknown): GatewayError {
  return new GatewayError('invalid_body', `Invalid type for '${path}': expected ${expected}, but got ${jsonKind(value)}.`, { param: path });
}

export function invalidValue(path: string, message: string): GatewayError {
  return new GatewayError('invalid_body', `Invalid value for '${path}': ${message}`, { param: path });
}

function jsonKind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

// ---- reads ----

/** The body as a JSON object (the parse stage has checked it is JSON; this checks it is an object). */
export function parseBody(body: Buffer): JsonObject {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new GatewayError('invalid_json', `Invalid JSON in request body: ${(error as Error).message}.`);
  }
  if (!isObject(value)) throw new GatewayError('invalid_body', 'The request body must be a JSON object.');
  return value;
}

/** `parent.key` as a path, or `key` at the top level. */
export function pathOf(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  return parent === '' ? key : `${parent}.${key}`;
}

/** One JSON type a field may have: its name in errors, and its test. */
interface Kind<T> {
  readonly name: string;
  readonly is: (value: unknown) => value is T;
}

const STRING: Kind<string> = { name: 'a string', is: (v): v is string => typeof v === 'string' };
const NUMBER: Kind<number> = { name: 'a number', is: (v): v is number => typeof v === 'number' };
const BOOLEAN: Kind<boolean> = { name: 'a boolean', is: (v): v is boolean => typeof v === 'boolean' };
const ARRAY: Kind<unknown[]> = { name: 'an array', is: (v): v is unknown[] => Array.isArray(v) };
const OBJECT: Kind<JsonObject> = { name: 'an object', is: isObject };

function optional<T>(kind: Kind<T>, object: JsonObject, key: string, parent: string): T | undefined {
  const value = object[key];
  if (value === undefined || value === null) return undefined;
  if (!kind.is(value)) throw wrongType(pathOf(parent, key), kind.name, value);
  return value;
}

function required<T>(kind: Kind<T>, object: JsonObject, key: string, parent: string): T {
  const value = optional(kind, object, key, parent);
  if (value === undefined) throw missingField(pathOf(parent, key));
  return value;
}

export function requiredString(object: JsonObject, key: string, parent = ''): string {
  return required(STRING, object, key, parent);
}

export function optionalString(object: JsonObject, key: string, parent = ''): string | undefined {
  return optional(STRING, object, key, parent);
}

export function optionalNumber(object: JsonObject, key: string, parent = ''): number | undefined {
  return optional(NUMBER, object, key, parent);
}

export function optionalBoolean(object: JsonObject, key: string, parent = ''): boolean | undefined {
  return optional(BOOLEAN, object, key, parent);
}

export function requiredArray(object: JsonObject, key: string, parent = ''): unknown[] {
  return required(ARRAY, object, key, parent);
}

export function optionalArray(object: JsonObject, key: string, parent = ''): unknown[] | undefined {
  return optional(ARRAY, object, key, parent);
}

export function requiredObject(object: JsonObject, key: string, parent = ''): JsonObject {
  return required(OBJECT, object, key, parent);
}

export function optionalObject(object: JsonObject, key: string, parent = ''): JsonObject | undefined {
  return optional(OBJECT, object, key, parent);
}

/** Element `index` of an array read at `path`, which must be an object (a message, a block, a tool). */
export function objectAt(items: unknown[], index: number, path: string): JsonObject {
  const value = items[index];
  if (!isObject(value)) throw wrongType(pathOf(path, index), 'an object', value);
  return value;
}
