/**
 * Walking strict JSON by byte offsets, for the fast paths that write one wire format from another's
 * bytes without parsing them into objects: the plain chat reader here (plain-chat.ts) and adapters
 * reading a plain answer the same way (src/providers/anthropic/plain-answer.ts).
 *
 * The JSON is held as a latin1 string, a character per byte (`buffer.toString('latin1')`: one copy,
 * nothing decoded), so string builtins do the work: indexOf finds a string's closing quote at
 * memchr speed, a key is matched in place (NameSet), and a slice is a span's bytes, which
 * Buffer.from(…, 'latin1') turns back into the same bytes.
 *
 * Contract: the text is strict JSON (the native scanner, src/native/scan.ts, validated it: strings
 * are well-formed UTF-8 with valid escapes). Every function returns NO_SPAN rather than reading past
 * the end, so a caller given anything else stops without looping.
 */

/** What a walk returns where the bytes are not what it reads. */
export const NO_SPAN = -1;

export const QUOTE = 0x22;
export const BACKSLASH = 0x5c;
export const COMMA = 0x2c;
export const COLON = 0x3a;
export const OPEN_BRACE = 0x7b;
export const CLOSE_BRACE = 0x7d;
export const OPEN_BRACKET = 0x5b;
export const CLOSE_BRACKET = 0x5d;

export function skipSpace(json: string, at: number): number {
  for (;;) {
    const byte = json.charCodeAt(at);
    if (byte !== 0x20 && byte !== 0x0a && byte !== 0x0d && byte !== 0x09) return at;
    at++;
  }
}

/**
 * A JSON array at `at` (the offset of its `[`), each element read by `readElement`, which gets the
 * element's offset and `out` and returns the offset just past the element, or NO_SPAN to refuse
 * it. Returns the offset past the `]`, or NO_SPAN when the array or an element is refused.
 */
export function readArray<T>(json: string, at: number, out: T, readElement: (json: string, at: number, out: T) => number): number {
  if (json.charCodeAt(at) !== OPEN_BRACKET) return NO_SPAN;
  at = skipSpace(json, at + 1);
  if (json.charCodeAt(at) === CLOSE_BRACKET) return at + 1;
  for (;;) {
    at = readElement(json, at, out);
    if (at === NO_SPAN) return NO_SPAN;
    at = skipSpace(json, at);
    if (json.charCodeAt(at) === CLOSE_BRACKET) return at + 1;
    if (json.charCodeAt(at) !== COMMA) return NO_SPAN;
    at = skipSpace(json, at + 1);
  }
}

/**
 * The offset of the closing quote of the string whose opening quote is at `open`: a search for the
 * next quote, then a look back at the backslashes before it (an even run escapes itself, not the
 * quote); NO_SPAN when there is none.
 */
export function stringEnd(json: string, open: number): number {
  let quote = json.indexOf('"', open + 1);
  while (quote !== -1) {
    let before = quote - 1;
    while (json.charCodeAt(before) === BACKSLASH) before--;
    if ((quote - 1 - before) % 2 === 0) return quote;
    quote = json.indexOf('"', quote + 1);
  }
  return NO_SPAN;
}

/** The offset past the string opening at `at` (its quote checked by the caller), or NO_SPAN. */
export function pastString(json: string, at: number): number {
  const end = stringEnd(json, at);
  return end === NO_SPAN ? NO_SPAN : end + 1;
}

/** The offset past the JSON value at `at`, whatever it is; NO_SPAN when none starts there. */
export function pastValue(json: string, at: number): number {
  const byte = json.charCodeAt(at);
  if (byte === QUOTE) return pastString(json, at);
  if (byte === OPEN_BRACE || byte === OPEN_BRACKET) return pastComposite(json, at);
  let end = at;
  // A number or true/false/null: its bytes run to the next delimiter.
  while (end < json.length && isScalarByte(json.charCodeAt(end))) end++;
  return end === at ? NO_SPAN : end;
}

/** The offset past the object or array at `at`, its strings skipped whole. */
export function pastComposite(json: string, at: number): number {
  let depth = 0;
  for (let i = at; i < json.length; i++) {
    const byte = json.charCodeAt(i);
    if (byte === QUOTE) {
      i = stringEnd(json, i);
      if (i === NO_SPAN) return NO_SPAN;
    } else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
      depth++;
    } else if ((byte === CLOSE_BRACE || byte === CLOSE_BRACKET) && --depth === 0) {
      return i + 1;
    }
  }
  return NO_SPAN;
}

/** The offset past the number at `at`, or NO_SPAN when none starts there. */
export function numberEnd(json: string, at: number): number {
  let end = at;
  while (isNumberByte(json.charCodeAt(end))) end++;
  return end === at ? NO_SPAN : end;
}

/** The value of the JSON number spanning `start` to `end`, as JSON.parse reads it. */
export function numberValue(json: string, start: number, end: number): number {
  // Up to 15 digits are exact in a double: the common counts need no string made.
  if (end - start > 15) return Number(json.slice(start, end));
  let value = 0;
  for (let i = start; i < end; i++) {
    const digit = json.charCodeAt(i) - 0x30;
    if (digit < 0 || digit > 9) return Number(json.slice(start, end));
    value = value * 10 + digit;
  }
  return value;
}

/** Digits, sign, decimal point and exponent: the bytes of a JSON number. */
function isNumberByte(byte: number): boolean {
  return (byte >= 0x30 && byte <= 0x39) || byte === 0x2d || byte === 0x2e || byte === 0x2b || byte === 0x65 || byte === 0x45;
}

/** The bytes of a number or a literal (letters for true, false, null). */
function isScalarByte(byte: number): boolean {
  return isNumberByte(byte) || (byte >= 0x61 && byte <= 0x7a);
}

export function isNull(json: string, at: number): boolean {
  return json.startsWith('null', at);
}

/** The offset past `true`, `false` or `null` at `at`, or NO_SPAN. */
export function pastLiteral(json: string, at: number): number {
  if (json.startsWith('null', at) || json.startsWith('true', at)) return at + 4;
  return json.startsWith('false', at) ? at + 5 : NO_SPAN;
}

/**
 * The offset past the string at `at` when it has no escapes, so its bytes are its value (a key, a
 * role); NO_SPAN when there is no string there or it has an escape.
 */
export function pastPlainString(json: string, at: number): number {
  if (json.charCodeAt(at) !== QUOTE) return NO_SPAN;
  for (let i = at + 1; i < json.length; i++) {
    const byte = json.charCodeAt(i);
    if (byte === QUOTE) return i + 1;
    if (byte === BACKSLASH) return NO_SPAN;
  }
  return NO_SPAN;
}

/**
 * A closed set of names (keys, enum values: ASCII, no two of one length with the same first and
 * last character) matched where they are written, without making a string of the bytes there:
 * by length and end characters, then compared. A string with escapes matches none (no name holds
 * a backslash), so a match is the string's value.
 */
export class NameSet {
  private readonly byShape = new Map<number, number>();

  constructor(private readonly names: readonly string[]) {
    names.forEach((name, index) => {
      const shape = shapeOf(name.length, name.charCodeAt(0), name.charCodeAt(name.length - 1));
      if (this.byShape.has(shape)) throw new Error(`NameSet: '${name}' has the length and end characters of '${names[this.byShape.get(shape)!]}'`);
      this.byShape.set(shape, index);
    });
  }

  /** The index of the name written as the JSON string at `at`, or NO_SPAN. */
  at(json: string, at: number): number {
    if (json.charCodeAt(at) !== QUOTE) return NO_SPAN;
    // The first quote after it ends a string without escapes; one with escapes then matches no name.
    const end = json.indexOf('"', at + 1);
    const length = end - at - 1;
    if (length <= 0) return NO_SPAN;
    const index = this.byShape.get(shapeOf(length, json.charCodeAt(at + 1), json.charCodeAt(end - 1)));
    return index !== undefined && json.startsWith(this.names[index], at + 1) ? index : NO_SPAN;
  }

  /** The offset past name `index` written as a JSON string at `at`. */
  past(index: number, at: number): number {
    return at + this.names[index].length + 2;
  }
}

function shapeOf(length: number, first: number, last: number): number {
  return (length * 256 + first) * 256 + last;
}

/** The value of the JSON string spanning `start` to `end` of `body` (quotes included): for short fields. */
export function stringValue(body: Buffer, start: number, end: number): string {
  for (let i = start + 1; i < end - 1; i++) {
    // Escapes are rare in the fields read this way: JSON.parse decodes them exactly.
    if (body[i] === BACKSLASH) return JSON.parse(body.toString('utf8', start, end)) as string;
  }
  return body.toString('utf8', start + 1, end - 1);
}
