/**
 * Typed reads of an Anthropic request body's JSON: each returns the field's value or throws
 * GatewayError('invalid_body') naming the field by its path. `null` counts as absent for optional
 * fields, as the SDKs send it for unset values.
 */
import { GatewayError } from '../../errors.js';
import { missingField, wrongType } from './errors.js';

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

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

export function requiredString(object: JsonObject, key: string, parent = ''): string {
  const value = object[key];
  if (value === undefined || value === null) throw missingField(pathOf(parent, key));
  if (typeof value !== 'string') throw wrongType(pathOf(parent, key), 'a string', value);
  return value;
}

export function optionalString(object: JsonObject, key: string, parent = ''): string | undefined {
  const value = object[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw wrongType(pathOf(parent, key), 'a string', value);
  return value;
}

export function optionalNumber(object: JsonObject, key: string, parent = ''): number | undefined {
  const value = object[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number') throw wrongType(pathOf(parent, key), 'a number', value);
  return value;
}

export function optionalBoolean(object: JsonObject, key: string, parent = ''): boolean | undefined {
  const value = object[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw wrongType(pathOf(parent, key), 'a boolean', value);
  return value;
}

export function requiredArray(object: JsonObject, key: string, parent = ''): unknown[] {
  const value = object[key];
  if (value === undefined || value === null) throw missingField(pathOf(parent, key));
  if (!Array.isArray(value)) throw wrongType(pathOf(parent, key), 'an array', value);
  return value;
}

export function optionalArray(object: JsonObject, key: string, parent = ''): unknown[] | undefined {
  const value = object[key];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw wrongType(pathOf(parent, key), 'an array', value);
  return value;
}

export function requiredObject(object: JsonObject, key: string, parent = ''): JsonObject {
  const value = object[key];
  if (value === undefined || value === null) throw missingField(pathOf(parent, key));
  if (!isObject(value)) throw wrongType(pathOf(parent, key), 'an object', value);
  return value;
}

export function optionalObject(object: JsonObject, key: string, parent = ''): JsonObject | undefined {
  const value = object[key];
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw wrongType(pathOf(parent, key), 'an object', value);
  return value;
}

/** Element `index` of an array read at `path`, which must be an object (a message, a block, a tool). */
export function objectAt(items: unknown[], index: number, path: string): JsonObject {
  const value = items[index];
  if (!isObject(value)) throw wrongType(pathOf(path, index), 'an object', value);
  return value;
}
