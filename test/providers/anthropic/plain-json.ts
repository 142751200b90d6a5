/**
 * JSON text as clients and upstreams may write it, for the fast paths' equivalence tests: strings
 * with any mix of escapes (`\u00e9` for `é`, `\/`, surrogate pairs as escapes) and raw UTF-8,
 * objects with keys in any order and whitespace between tokens, all from a seeded generator so a
 * failure reproduces. Every text is checked to be strict JSON, as the fast paths require.
 */
import assert from 'node:assert/strict';
import { RequestScan } from '../../../src/native/index.js';
import type { Random } from '../../support/seeded-random.js';

export { seededRandom as seeded, type Random } from '../../support/seeded-random.js';

export function pick<T>(next: Random, items: readonly T[]): T {
  return items[Math.floor(next() * items.length)];
}

export function chance(next: Random, p: number): boolean {
  return next() < p;
}

/** Pieces of text: plain words, JSON's escaped characters, raw multi-byte UTF-8, a lone surrogate. */
const TEXT_PIECES = ['Hello', ' world', ' ', '"', '\\', '\\"', '\n', '\r\n', '\t', '\u0001', '\u001f', '/', 'é', '€', 'Ω', '😀', '\u2028', '\ud800', '\udfff', '{"a":1}', '[', ']', ',', ':', 'null'];

/** A random string of up to `pieces` pieces (possibly empty). */
export function randomText(next: Random, pieces = 6): string {
  let text = '';
  const count = Math.floor(next() * (pieces + 1));
  for (let i = 0; i < count; i++) text += pick(next, TEXT_PIECES);
  return text;
}

/** Whitespace as a JSON writer may put between tokens: mostly none. */
export function space(next: Random): string {
  return chance(next, 0.7) ? '' : pick(next, [' ', '\n', '\t', '\r\n  ', '  ']);
}

/** `value` as a JSON string, each character written raw or as an escape at random (always valid JSON). */
export function jsonString(next: Random, value: string): string {
  let out = '"';
  for (let i = 0; i < value.length; i++) {
    const unit = value.charCodeAt(i);
    const isHigh = unit >= 0xd800 && unit <= 0xdbff;
    const isPair = isHigh && i + 1 < value.length && value.charCodeAt(i + 1) >= 0xdc00 && value.charCodeAt(i + 1) <= 0xdfff;
    const char = isPair ? value.slice(i, i + 2) : value[i];
    const mustEscape = unit < 0x20 || unit === 0x22 || unit === 0x5c || (unit >= 0xd800 && unit <= 0xdfff && !isPair);
    if (mustEscape || chance(next, 0.15)) out += escaped(next, char);
    else out += char;
    if (isPair) i++;
  }
  return out + '"';
}

function escaped(next: Random, char: string): string {
  const short = JSON.stringify(char).slice(1, -1);
  if (short.startsWith('\\') && chance(next, 0.5)) return short;
  if (char === '/' && chance(next, 0.5)) return '\\/';
  let out = '';
  for (let i = 0; i < char.length; i++) {
    const hex = char.charCodeAt(i).toString(16).padStart(4, '0');
    out += '\\u' + (chance(next, 0.5) ? hex : hex.toUpperCase());
  }
  return out;
}

/** An object from `[key, value JSON]` entries, in the given order, with random whitespace. */
export function jsonObject(next: Random, entries: readonly (readonly [string, string])[]): string {
  const members = entries.map(([key, value]) => `${space(next)}${JSON.stringify(key)}${space(next)}:${space(next)}${value}${space(next)}`);
  return `{${members.join(',')}${members.length === 0 ? space(next) : ''}}`;
}

/** An array of JSON values with random whitespace. */
export function jsonArray(next: Random, values: readonly string[]): string {
  return `[${values.map((value) => `${space(next)}${value}${space(next)}`).join(',')}${values.length === 0 ? space(next) : ''}]`;
}

export function shuffled<T>(next: Random, items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

const scanner = new RequestScan();

/** `text` as bytes, asserted to be strict JSON (what the native scanner lets through). */
export function strictJson(text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  assert.equal(scanner.scan(bytes), 0, `not strict JSON (${scanner.errorMessage()}): ${text}`);
  return bytes;
}
