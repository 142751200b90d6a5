/**
 * The token counts a call is priced by, and their extraction from the `usage` object of an
 * upstream response (OpenAI or Anthropic wire format, whole body or a stream's last chunk).
 *
 * Contract: every count in a TokenUsage is a total or a part of a total, never a sibling of it.
 * `promptTokens` includes the cached and cache-written tokens; `completionTokens` includes the
 * reasoning tokens. That is OpenAI's convention; Anthropic's separate counts are added up here.
 */

export interface TokenUsage {
  /** Every input token: uncached, cache-read and cache-written ones. */
  readonly promptTokens: number;
  /** Every output token, reasoning included. */
  readonly completionTokens: number;
  /** Part of promptTokens read from the provider's prompt cache. */
  readonly cachedPromptTokens?: number;
  /** Part of promptTokens written to the provider's prompt cache. */
  readonly cacheCreationTokens?: number;
  /** Part of completionTokens spent on reasoning. */
  readonly reasoningTokens?: number;
}

/** What the extractors return: every field present, so the pricing path sees one object shape. */
export interface ExtractedUsage extends TokenUsage {
  readonly cachedPromptTokens: number;
  readonly cacheCreationTokens: number;
  readonly reasoningTokens: number;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A count as reported, or undefined when absent or not a finite non-negative number. */
function count(obj: Json | undefined, key: string): number | undefined {
  const v = obj?.[key];
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined;
}

function details(obj: Json, key: string): Json | undefined {
  const v = obj[key];
  return isObject(v) ? v : undefined;
}

/**
 * OpenAI format: Chat Completions (`prompt_tokens`, `completion_tokens`,
 * `prompt_tokens_details.cached_tokens`, `completion_tokens_details.reasoning_tokens`) and the
 * Responses API's `input_tokens`/`output_tokens` with `input_tokens_details`/`output_tokens_details`,
 * where the cached and reasoning counts are parts of the totals. Also read: DeepSeek's
 * `prompt_cache_hit_tokens` when `cached_tokens` is absent, and a cache-write count in
 * `prompt_tokens_details` (`cache_creation_tokens` or `cache_write_tokens`, as some OpenAI-compatible
 * providers report). Null when `usage` is not an object or carries no token count at all.
 */
export function usageFromOpenAI(usage: unknown): ExtractedUsage | null {
  if (!isObject(usage)) return null;
  const prompt = count(usage, 'prompt_tokens') ?? count(usage, 'input_tokens');
  const completion = count(usage, 'completion_tokens') ?? count(usage, 'output_tokens');
  if (prompt === undefined && completion === undefined) return null;
  const inDetails = details(usage, 'prompt_tokens_details') ?? details(usage, 'input_tokens_details');
  const outDetails = details(usage, 'completion_tokens_details') ?? details(usage, 'output_tokens_details');
  return {
    promptTokens: prompt ?? 0,
    completionTokens: completion ?? 0,
    cachedPromptTokens: count(inDetails, 'cached_tokens') ?? count(usage, 'prompt_cache_hit_tokens') ?? 0,
    cacheCreationTokens: count(inDetails, 'cache_creation_tokens') ?? count(inDetails, 'cache_write_tokens') ?? 0,
    reasoningTokens: count(outDetails, 'reasoning_tokens') ?? 0,
  };
}

/**
 * Anthropic format: `input_tokens` (uncached only), `cache_read_input_tokens`,
 * `cache_creation_input_tokens`, `output_tokens` (thinking included; Anthropic reports no separate
 * reasoning count). The three input counts are added into promptTokens.
 *
 * For a stream, pass the usage of `message_start` overlaid with the last `message_delta`'s
 * (`{ ...start.message.usage, ...delta.usage }`): the delta's `output_tokens` is cumulative and
 * replaces the start's placeholder; newer API versions repeat the input counts there too.
 */
export function usageFromAnthropic(usage: unknown): ExtractedUsage | null {
  if (!isObject(usage)) return null;
  const input = count(usage, 'input_tokens');
  const output = count(usage, 'output_tokens');
  const cacheRead = count(usage, 'cache_read_input_tokens') ?? 0;
  const cacheWrite = count(usage, 'cache_creation_input_tokens') ?? 0;
  if (input === undefined && output === undefined && cacheRead === 0 && cacheWrite === 0) return null;
  return {
    promptTokens: (input ?? 0) + cacheRead + cacheWrite,
    completionTokens: output ?? 0,
    cachedPromptTokens: cacheRead,
    cacheCreationTokens: cacheWrite,
    reasoningTokens: 0,
  };
}

/**
 * Either format, told apart by its fields: Anthropic's when it has a `cache_*_input_tokens` count,
 * or `input_tokens` without `input_tokens_details` (the Responses API's mark); OpenAI's otherwise.
 * The two readings of a bare `{input_tokens, output_tokens}` agree, so that case needs no rule.
 */
export function usageFromJson(usage: unknown): ExtractedUsage | null {
  if (!isObject(usage)) return null;
  const anthropic =
    'cache_read_input_tokens' in usage ||
    'cache_creation_input_tokens' in usage ||
    ('input_tokens' in usage && !('input_tokens_details' in usage) && !('prompt_tokens' in usage));
  return anthropic ? usageFromAnthropic(usage) : usageFromOpenAI(usage);
}

const USAGE_KEY = Buffer.from('"usage"');

/**
 * The `usage` object of a whole (non-streamed) JSON answer, found without parsing the answer: the
 * last `"usage"` key, then its object, read by readUsageMembers. Null when there is none or it
 * does not read as a JSON object.
 */
export function usageFromResponseBody(body: Buffer): ExtractedUsage | null {
  const at = body.lastIndexOf(USAGE_KEY);
  if (at < 0) return null;
  let i = at + USAGE_KEY.length;
  while (i < body.length && (isSpace(body[i]) || body[i] === 0x3a)) i++;
  if (body[i] !== 0x7b) return null; // '{'
  const members = readUsageMembers(body, i);
  return members === null ? null : usageFromJson(members);
}

/**
 * What usageFromJson reads of the JSON object at `start`: the members it looks at (USAGE_MEMBERS),
 * two levels deep, numbers as numbers, nested objects as objects, and every other value (strings,
 * arrays, booleans, null) as null, so that a key's presence still shows (`in`) while its value
 * counts for nothing, exactly as usageFromJson treats those values after JSON.parse. Other members
 * are read past. A key written with an escape, a malformed value or deep nesting takes JSON.parse
 * of the object instead. Null when it is not valid JSON.
 *
 * Why not JSON.parse always: it runs on every non-streamed answer, and JSON.parse of OpenAI's
 * 230-byte usage object costs ~1.9 µs (each key is looked up in V8's string table), several times
 * this one pass, which decodes no key and parses plain integers itself.
 */
export function readUsageMembers(body: Buffer, start: number): Json | null {
  const reader = new MemberReader(body, start);
  const read = reader.object(2, MAX_NESTING);
  if (read !== FALLBACK) return read;
  const end = objectEnd(body, start);
  if (end < 0) return null;
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8', start, end + 1));
    return isObject(parsed) ? parsed : null;
  } catch {
    return null;
  }
}

/** Every key usageFromOpenAI, usageFromAnthropic and usageFromJson read, at either level. */
const USAGE_MEMBERS = [
  'prompt_tokens', 'completion_tokens', 'input_tokens', 'output_tokens',
  'prompt_tokens_details', 'completion_tokens_details', 'input_tokens_details', 'output_tokens_details',
  'cached_tokens', 'cache_creation_tokens', 'cache_write_tokens', 'reasoning_tokens', 'prompt_cache_hit_tokens',
  'cache_read_input_tokens', 'cache_creation_input_tokens',
];

/** USAGE_MEMBERS by their length, each with its bytes, for matching a key without decoding it. */
const MEMBERS_BY_LENGTH: ReadonlyMap<number, readonly (readonly [string, Buffer])[]> = (() => {
  const byLength = new Map<number, [string, Buffer][]>();
  for (const name of USAGE_MEMBERS) {
    const list = byLength.get(name.length) ?? [];
    list.push([name, Buffer.from(name, 'latin1')]);
    byLength.set(name.length, list);
  }
  return byLength;
})();

/** Containers deeper than this inside a usage object are left to JSON.parse. */
const MAX_NESTING = 32;
const FALLBACK = Symbol('fallback');
const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/** One pass over an object's bytes (readUsageMembers). `at` moves forward as values are read. */
class MemberReader {
  /** Whether the string stringEnd last found held an escape. */
  private escaped = false;

  constructor(
    private readonly body: Buffer,
    private at: number,
  ) {}

  /** The object at `at` ('{'), kept `levels` deep (0: read past, null); FALLBACK when this reader cannot say. */
  object(levels: number, nesting: number): Json | null | typeof FALLBACK {
    if (nesting === 0) return FALLBACK;
    const b = this.body;
    const out: Json | null = levels > 0 ? {} : null;
    let i = this.skipSpace(this.at + 1);
    if (b[i] === 0x7d) {
      this.at = i + 1;
      return out;
    }
    for (;;) {
      if (b[i] !== 0x22) return FALLBACK;
      const keyEnd = this.stringEnd(i);
      if (keyEnd < 0 || this.escaped) return FALLBACK;
      const key = out === null ? null : this.member(i + 1, keyEnd);
      i = this.skipSpace(keyEnd + 1);
      if (b[i] !== 0x3a) return FALLBACK;
      this.at = this.skipSpace(i + 1);
      const value = this.value(key === null ? 0 : levels - 1, nesting - 1);
      if (value === FALLBACK) return FALLBACK;
      if (key !== null) out![key] = value;
      i = this.skipSpace(this.at);
      if (b[i] === 0x2c) {
        i = this.skipSpace(i + 1);
        continue;
      }
      if (b[i] !== 0x7d) return FALLBACK;
      this.at = i + 1;
      return out;
    }
  }

  /** The USAGE_MEMBERS name whose bytes lie between `start` and `end`, or null. */
  private member(start: number, end: number): string | null {
    const candidates = MEMBERS_BY_LENGTH.get(end - start);
    if (candidates === undefined) return null;
    const b = this.body;
    for (const [name, bytes] of candidates) {
      let k = 0;
      while (k < bytes.length && bytes[k] === b[start + k]) k++;
      if (k === bytes.length) return name;
    }
    return null;
  }

  /** The value at `at`: a number, an object (kept `levels` deep), or null for anything else. */
  private value(levels: number, nesting: number): unknown {
    const b = this.body;
    const c = b[this.at];
    if (c === 0x7b) return this.object(levels, nesting);
    if (c === 0x5b) return this.skipArray(nesting) ? null : FALLBACK;
    if (c === 0x22) {
      const end = this.stringEnd(this.at);
      if (end < 0) return FALLBACK;
      this.at = end + 1;
      return null;
    }
    // A plain integer, the usual count: its digits, read here.
    let j = this.at;
    let n = 0;
    while (j < b.length && b[j] >= 0x30 && b[j] <= 0x39 && j - this.at < 15) n = n * 10 + (b[j++] - 0x30);
    const next = b[j];
    if (j > this.at && (b[this.at] !== 0x30 || j === this.at + 1) && (next === 0x2c || next === 0x7d || next === 0x5d || isSpace(next))) {
      this.at = j;
      return n;
    }
    // Anything else: a literal, or a number with a sign, fraction or exponent, checked against
    // JSON's grammar (Number() alone would take hex, "Infinity" and padding).
    j = this.at;
    while (j < b.length && b[j] !== 0x2c && b[j] !== 0x7d && b[j] !== 0x5d && !isSpace(b[j])) j++;
    const token = b.toString('latin1', this.at, j);
    this.at = j;
    if (token === 'true' || token === 'false' || token === 'null') return null;
    return JSON_NUMBER.test(token) ? Number(token) : FALLBACK;
  }

  /** Moves `at` past the array at `at`; false when it is malformed or too deep. */
  private skipArray(nesting: number): boolean {
    if (nesting === 0) return false;
    const b = this.body;
    let i = this.skipSpace(this.at + 1);
    if (b[i] === 0x5d) {
      this.at = i + 1;
      return true;
    }
    for (;;) {
      this.at = i;
      if (this.value(0, nesting - 1) === FALLBACK) return false;
      i = this.skipSpace(this.at);
      if (b[i] === 0x2c) {
        i = this.skipSpace(i + 1);
        continue;
      }
      if (b[i] !== 0x5d) return false;
      this.at = i + 1;
      return true;
    }
  }

  /**
   * The index of the quote that ends the string opening at `open` (-1 when it does not end);
   * `escaped` says whether it held a backslash. A loop here, not Buffer.indexOf: each indexOf call
   * costs ~0.1 µs, more than walking the short strings of a usage object.
   */
  private stringEnd(open: number): number {
    const b = this.body;
    this.escaped = false;
    for (let j = open + 1; j < b.length; j++) {
      const c = b[j];
      if (c === 0x22) return j;
      if (c === 0x5c) {
        this.escaped = true;
        j++;
      }
    }
    return -1;
  }

  private skipSpace(i: number): number {
    const b = this.body;
    while (i < b.length && isSpace(b[i])) i++;
    return i;
  }
}

/** The index of the brace that closes the object opening at `open` (strings skipped); -1 if none. */
function objectEnd(body: Buffer, open: number): number {
  let depth = 0;
  let inString = false;
  for (let j = open; j < body.length; j++) {
    const c = body[j];
    if (inString) {
      if (c === 0x5c) j++; // backslash: skip the escaped byte
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b) {
      depth++;
    } else if (c === 0x7d && --depth === 0) {
      return j;
    }
  }
  return -1;
}
