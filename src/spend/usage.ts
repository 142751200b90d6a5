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
 * The `usage` object of a whole (non-streamed) JSON answer, found without parsing the answer:
 * the last `"usage"` key, then its object up to the matching brace (strings skipped, escapes
 * honoured), parsed alone. Null when there is none or it does not parse.
 */
export function usageFromResponseBody(body: Buffer): ExtractedUsage | null {
  const at = body.lastIndexOf(USAGE_KEY);
  if (at < 0) return null;
  let i = at + USAGE_KEY.length;
  while (i < body.length && (body[i] === 0x20 || body[i] === 0x0a || body[i] === 0x0d || body[i] === 0x09 || body[i] === 0x3a)) i++;
  if (body[i] !== 0x7b) return null; // '{'
  let depth = 0;
  let inString = false;
  for (let j = i; j < body.length; j++) {
    const c = body[j];
    if (inString) {
      if (c === 0x5c) j++; // backslash: skip the escaped byte
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b) {
      depth++;
    } else if (c === 0x7d && --depth === 0) {
      try {
        return usageFromJson(JSON.parse(body.toString('utf8', i, j + 1)));
      } catch {
        return null;
      }
    }
  }
  return null;
}
