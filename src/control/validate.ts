/**
 * Field readers for management request bodies and queries. Each returns the typed value, or
 * undefined when the field is absent, and throws a 400 `invalid_body` naming the field (as
 * `param`) when it is present with the wrong type, so a handler never sees a half-valid value.
 * `null` is a legal value for the nullable readers ("clear this field"), as in LiteLLM.
 */
import { GatewayError } from '../errors.js';
import type { JsonObject } from '../store/types.js';

function wrong(name: string, expected: string, value: unknown): GatewayError {
  const got = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
  return new GatewayError('invalid_body', `"${name}" must be ${expected}; got ${got}.`, { param: name });
}

export function requiredString(body: JsonObject, name: string): string {
  const value = body[name];
  if (value === undefined || value === null || value === '') {
    throw new GatewayError('invalid_body', `"${name}" is required.`, { param: name });
  }
  if (typeof value !== 'string') throw wrong(name, 'a string', value);
  return value;
}

export function optionalString(body: JsonObject, name: string): string | null | undefined {
  const value = body[name];
  if (value === undefined || value === null) return value;
  if (typeof value !== 'string') throw wrong(name, 'a string', value);
  return value;
}

export function optionalNumber(body: JsonObject, name: string, options: { integer?: boolean; min?: number } = {}): number | null | undefined {
  const value = body[name];
  if (value === undefined || value === null) return value;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw wrong(name, options.integer ? 'an integer' : 'a number', value);
  if (options.integer && !Number.isInteger(value)) throw wrong(name, 'an integer', value);
  const min = options.min ?? 0;
  if (value < min) throw new GatewayError('invalid_body', `"${name}" must be at least ${min}; got ${value}.`, { param: name });
  return value;
}

export function optionalBoolean(body: JsonObject, name: string): boolean | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw wrong(name, 'true or false', value);
  return value;
}

export function optionalStringArray(body: JsonObject, name: string): string[] | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw wrong(name, 'an array of strings', value);
  return value as string[];
}

export function optionalObject(body: JsonObject, name: string): JsonObject | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw wrong(name, 'an object', value);
  return value as JsonObject;
}

/** An object whose values are all numbers (per-model limits). */
export function optionalNumberMap(body: JsonObject, name: string): Record<string, number> | undefined {
  const value = optionalObject(body, name);
  if (value === undefined) return undefined;
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw wrong(`${name}.${k}`, 'a non-negative number', v);
  }
  return value as Record<string, number>;
}

/** An object whose values are all strings (aliases). */
export function optionalStringMap(body: JsonObject, name: string): Record<string, string> | undefined {
  const value = optionalObject(body, name);
  if (value === undefined) return undefined;
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw wrong(`${name}.${k}`, 'a string', v);
  }
  return value as Record<string, string>;
}

/** Paging from a query string: page ≥ 1 (default 1), size 1..maxSize (default `defaultSize`). */
export function paging(query: Readonly<Record<string, string>>, defaultSize = 10, maxSize = 100): { page: number; size: number } {
  const page = query.page === undefined ? 1 : Number(query.page);
  const size = query.size ?? query.page_size;
  const sizeValue = size === undefined ? defaultSize : Number(size);
  if (!Number.isInteger(page) || page < 1) throw new GatewayError('invalid_body', `"page" must be an integer ≥ 1; got ${query.page}.`, { param: 'page' });
  if (!Number.isInteger(sizeValue) || sizeValue < 1 || sizeValue > maxSize) {
    throw new GatewayError('invalid_body', `"size" must be an integer from 1 to ${maxSize}; got ${size}.`, { param: 'size' });
  }
  return { page, size: sizeValue };
}
