/**
 * A plain Anthropic answer written as an OpenAI client's chat.completion straight from its bytes:
 * the answer's text is copied as the JSON string the upstream wrote, never decoded and escaped
 * again. This is the common answer's fast path; every other answer takes chatCompletionFromBody
 * (response.ts) and the client format's serialisation.
 *
 * "Plain" is: strict JSON (checked with the native scanner, so every copied span is valid JSON), a
 * string `id` and `model`, `content` an array of text blocks only (`type` "text" and a string
 * `text`; any other block, tool_use or thinking, goes the generic way), `stop_reason` a string
 * without escapes or null, and a `usage` object; other keys and block fields are skipped. A key
 * written with escapes (its bytes are not its name, which could be one read) or a key read given
 * twice is not plain.
 *
 * Contract: the text is the completion response.ts makes, serialised (the same values, keys in the
 * same order; a string may keep the upstream's escapes), and the usage is response.ts's.
 */
import { isAscii } from 'node:buffer';
import { CLOSE_BRACE, COLON, COMMA, isNull, NameSet, NO_SPAN, numberEnd, numberValue, OPEN_BRACE, pastPlainString, pastString, pastValue, QUOTE, readArray, skipSpace } from '../../frontdoor/openai/json-spans.js';
import { RequestScan } from '../../native/index.js';
import type { CompletionText } from '../types.js';
import { finishReason, openAIUsage } from './response.js';

/** The answer's top-level keys read; each one's bit in the seen-set. */
const enum AnswerKey {
  Id,
  Model,
  Content,
  StopReason,
  Usage,
}

/** AnswerKey's names, in its order. */
const ANSWER_KEYS = new NameSet(['id', 'model', 'content', 'stop_reason', 'usage']);

const enum BlockKey {
  Type,
  Text,
}

const BLOCK_KEYS = new NameSet(['type', 'text']);

/** Anthropic's usage counts: the index in PlainAnswer.usage. */
const USAGE_KEYS = new NameSet(['input_tokens', 'output_tokens', 'cache_read_input_tokens', 'cache_creation_input_tokens']);

/** The spans and counts a plain answer holds. */
class PlainAnswer {
  idStart = NO_SPAN;
  idEnd = NO_SPAN;
  modelStart = NO_SPAN;
  modelEnd = NO_SPAN;
  /** Start and end of each text block's string, quotes included. */
  readonly texts: number[] = [];
  stopReason: string | null = null;
  /** input, output, cache read, cache creation: as USAGE_KEYS. */
  readonly usage = [0, 0, 0, 0];
  hasUsage = false;
  hasContent = false;
}

// One scanner per thread: it owns a preallocated output array and is reused for every answer.
const scan = new RequestScan();

/** The chat.completion for a plain answer `body`, or null to take the generic path. */
export function plainCompletion(body: Buffer): CompletionText | null {
  if (scan.scan(body) !== 0) return null;
  const json = body.toString('latin1');
  const answer = new PlainAnswer();
  if (!readAnswer(json, answer) || !answer.hasContent || !answer.hasUsage || answer.idStart === NO_SPAN || answer.modelStart === NO_SPAN) return null;
  const usage = openAIUsage({ input_tokens: answer.usage[0], output_tokens: answer.usage[1], cache_read_input_tokens: answer.usage[2], cache_creation_input_tokens: answer.usage[3] });
  // JSON has no Infinity: a sum that overflows is left to the generic serialisation.
  if (!Number.isFinite(usage.total_tokens)) return null;
  // A span as text: its latin1 characters are its bytes only when all of them are ASCII.
  const spanText = isAscii(body) ? (start: number, end: number) => json.slice(start, end) : (start: number, end: number) => body.toString('utf8', start, end);
  const details = usage.prompt_tokens_details!;
  const completion =
    `{"id":${spanText(answer.idStart, answer.idEnd)},"object":"chat.completion","created":${Math.floor(Date.now() / 1000)},` +
    `"model":${spanText(answer.modelStart, answer.modelEnd)},"choices":[{"index":0,"message":{"role":"assistant","content":${content(answer.texts, spanText)}},` +
    `"finish_reason":"${finishReason(answer.stopReason, false)}","logprobs":null}],` +
    `"usage":{"prompt_tokens":${usage.prompt_tokens},"completion_tokens":${usage.completion_tokens},"total_tokens":${usage.total_tokens},` +
    `"prompt_tokens_details":{"cached_tokens":${details.cached_tokens},"cache_creation_tokens":${details.cache_creation_tokens}}}}`;
  return { body: completion, usage };
}

/** The text blocks joined into one JSON string (each span's inside, between one pair of quotes); null when empty. */
function content(texts: readonly number[], spanText: (start: number, end: number) => string): string {
  if (texts.length === 2) return texts[1] - texts[0] === 2 ? 'null' : spanText(texts[0], texts[1]);
  let inside = '';
  for (let i = 0; i < texts.length; i += 2) inside += spanText(texts[i] + 1, texts[i + 1] - 1);
  return inside === '' ? 'null' : `"${inside}"`;
}

/** The top-level object into `answer`; false when it is not plain. */
function readAnswer(json: string, answer: PlainAnswer): boolean {
  let at = skipSpace(json, 0);
  if (json.charCodeAt(at) !== OPEN_BRACE) return false;
  at = skipSpace(json, at + 1);
  if (json.charCodeAt(at) === CLOSE_BRACE) return true;
  let seen = 0;
  for (;;) {
    const key = ANSWER_KEYS.at(json, at);
    const keyEnd = key === NO_SPAN ? pastPlainString(json, at) : ANSWER_KEYS.past(key, at);
    if (keyEnd === NO_SPAN) return false;
    if (key !== NO_SPAN && (seen & (1 << key)) !== 0) return false;
    seen |= key === NO_SPAN ? 0 : 1 << key;
    at = skipSpace(json, keyEnd);
    if (json.charCodeAt(at) !== COLON) return false;
    at = skipSpace(json, at + 1);
    at = key === NO_SPAN ? pastValue(json, at) : readField(json, at, key, answer);
    if (at === NO_SPAN) return false;
    at = skipSpace(json, at);
    if (json.charCodeAt(at) === CLOSE_BRACE) return true;
    if (json.charCodeAt(at) !== COMMA) return false;
    at = skipSpace(json, at + 1);
  }
}

function readField(json: string, at: number, key: AnswerKey, answer: PlainAnswer): number {
  switch (key) {
    case AnswerKey.Id:
    case AnswerKey.Model: {
      if (json.charCodeAt(at) !== QUOTE) return NO_SPAN;
      const end = pastString(json, at);
      if (key === AnswerKey.Id) {
        answer.idStart = at;
        answer.idEnd = end;
      } else {
        answer.modelStart = at;
        answer.modelEnd = end;
      }
      return end;
    }
    case AnswerKey.Content:
      answer.hasContent = true;
      return readContent(json, at, answer.texts);
    case AnswerKey.StopReason:
      return readStopReason(json, at, answer);
    default:
      answer.hasUsage = true;
      return readUsage(json, at, answer.usage);
  }
}

/** The content array: each text block's string span appended to `texts`. */
function readContent(json: string, at: number, texts: number[]): number {
  return readArray(json, at, texts, readTextBlock);
}

/** `{"type":"text","text":"…", …}`: other fields (citations) skipped. */
function readTextBlock(json: string, at: number, texts: number[]): number {
  if (json.charCodeAt(at) !== OPEN_BRACE) return NO_SPAN;
  let isText = false;
  let textStart = NO_SPAN;
  let textEnd = NO_SPAN;
  at = skipSpace(json, at + 1);
  if (json.charCodeAt(at) === CLOSE_BRACE) return NO_SPAN;
  for (;;) {
    const key = BLOCK_KEYS.at(json, at);
    const keyEnd = key === NO_SPAN ? pastPlainString(json, at) : BLOCK_KEYS.past(key, at);
    if (keyEnd === NO_SPAN) return NO_SPAN;
    at = skipSpace(json, keyEnd);
    if (json.charCodeAt(at) !== COLON) return NO_SPAN;
    at = skipSpace(json, at + 1);
    if (key === BlockKey.Type) {
      if (isText || !json.startsWith('"text"', at)) return NO_SPAN;
      isText = true;
      at += 6;
    } else if (key === BlockKey.Text) {
      if (textStart !== NO_SPAN || json.charCodeAt(at) !== QUOTE) return NO_SPAN;
      textStart = at;
      textEnd = pastString(json, at);
      at = textEnd;
    } else {
      at = pastValue(json, at);
    }
    if (at === NO_SPAN) return NO_SPAN;
    at = skipSpace(json, at);
    if (json.charCodeAt(at) === CLOSE_BRACE) break;
    if (json.charCodeAt(at) !== COMMA) return NO_SPAN;
    at = skipSpace(json, at + 1);
  }
  if (!isText || textStart === NO_SPAN) return NO_SPAN;
  texts.push(textStart, textEnd);
  return at + 1;
}

/** stop_reason: null, or a string without escapes (Anthropic's reasons are plain words). */
function readStopReason(json: string, at: number, answer: PlainAnswer): number {
  if (isNull(json, at)) return at + 4;
  if (json.charCodeAt(at) !== QUOTE) return NO_SPAN;
  const end = pastString(json, at);
  if (end === NO_SPAN) return NO_SPAN;
  const reason = json.slice(at + 1, end - 1);
  if (reason.includes('\\')) return NO_SPAN;
  answer.stopReason = reason;
  return end;
}

/** The usage object: the four counts (0 where absent or not a number, as response.ts counts), other fields skipped. */
function readUsage(json: string, at: number, counts: number[]): number {
  if (json.charCodeAt(at) !== OPEN_BRACE) return NO_SPAN;
  at = skipSpace(json, at + 1);
  if (json.charCodeAt(at) === CLOSE_BRACE) return at + 1;
  let seen = 0;
  for (;;) {
    const key = USAGE_KEYS.at(json, at);
    const keyEnd = key === NO_SPAN ? pastPlainString(json, at) : USAGE_KEYS.past(key, at);
    if (keyEnd === NO_SPAN) return NO_SPAN;
    if (key !== NO_SPAN && (seen & (1 << key)) !== 0) return NO_SPAN;
    seen |= key === NO_SPAN ? 0 : 1 << key;
    at = skipSpace(json, keyEnd);
    if (json.charCodeAt(at) !== COLON) return NO_SPAN;
    at = skipSpace(json, at + 1);
    const end = key !== NO_SPAN ? numberEnd(json, at) : NO_SPAN;
    if (end !== NO_SPAN) {
      counts[key] = numberValue(json, at, end);
      at = end;
    } else {
      at = pastValue(json, at);
      if (at === NO_SPAN) return NO_SPAN;
    }
    at = skipSpace(json, at);
    if (json.charCodeAt(at) === CLOSE_BRACE) return at + 1;
    if (json.charCodeAt(at) !== COMMA) return NO_SPAN;
    at = skipSpace(json, at + 1);
  }
}
