/**
 * A plain text chat request read straight from the client's bytes, for the adapters' fast path:
 * the common OpenAI chat body is written for the upstream from spans of the client's body, without
 * parsing it into objects and escaping its text again. Any adapter may use it (the Anthropic one
 * does: src/providers/anthropic/plain-body.ts).
 *
 * "Plain" is: top-level keys only from model, messages, stream, stream_options, max_tokens,
 * max_completion_tokens, temperature, top_p, stop (a string or an array of strings) and user, each
 * once; every message an object with exactly `role` (system, developer, user or assistant, written
 * without escapes) and `content` (a string), each once. Any other body reads as null and takes the
 * generic path (the parsed canonical request), which then decides as it always does: null never
 * means the request is invalid.
 *
 * Contract: `body` is strict JSON already (the parse stage's native scanner validated it: strings
 * are well-formed UTF-8 with valid escapes). Spans are byte offsets into `body`; a string's span
 * includes its quotes, so it is a JSON string ready to copy. Numbers are read as JSON.parse reads
 * them (one that overflows to Infinity is not plain). The body is walked as a latin1 string
 * (json-spans.ts), which the reading keeps for the writer to slice.
 */
import { CLOSE_BRACE, COLON, COMMA, isNull, NameSet, NO_SPAN, numberEnd, numberValue, OPEN_BRACE, pastComposite, pastLiteral, pastString, QUOTE, readArray, skipSpace } from './json-spans.js';

/** A message's role in a plain request. */
export const enum PlainRole {
  System = 0,
  Developer = 1,
  User = 2,
  Assistant = 3,
}

export interface PlainChatRequest {
  /** The body as latin1 characters, one per byte: a span sliced from it is the span's bytes. */
  readonly bytes: string;
  /** For each message in order, three entries: its PlainRole, then the start and end of its content string. */
  readonly messages: number[];
  /** Each number is null when the key is absent or null. */
  readonly maxTokens: number | null;
  readonly maxCompletionTokens: number | null;
  readonly temperature: number | null;
  readonly topP: number | null;
  /** Start and end of each stop sequence (a single string is one); null when stop is absent or null. */
  readonly stop: number[] | null;
  /** The span of the `user` string; both -1 when absent or null. */
  readonly userStart: number;
  readonly userEnd: number;
}

/** The top-level keys of a plain request; each one's bit in the seen-set. */
const enum Key {
  Model,
  Messages,
  Stream,
  StreamOptions,
  MaxTokens,
  MaxCompletionTokens,
  Temperature,
  TopP,
  Stop,
  User,
}

/** Key's names, in its order. */
const KEYS = new NameSet(['model', 'messages', 'stream', 'stream_options', 'max_tokens', 'max_completion_tokens', 'temperature', 'top_p', 'stop', 'user']);

/** PlainRole's names, in its order. */
const ROLES = new NameSet(['system', 'developer', 'user', 'assistant']);

/** The keys of a message. */
const enum MessageKey {
  Role,
  Content,
}

const MESSAGE_KEYS = new NameSet(['role', 'content']);

/** The reading under construction: fields the top-level keys fill in. */
class Reading implements PlainChatRequest {
  readonly messages: number[] = [];
  maxTokens: number | null = null;
  maxCompletionTokens: number | null = null;
  temperature: number | null = null;
  topP: number | null = null;
  stop: number[] | null = null;
  userStart = -1;
  userEnd = -1;

  constructor(readonly bytes: string) {}
}

/** `body` (the whole client body, strict JSON) as a plain chat request, or null when it is not one. */
export function readPlainChat(body: Buffer): PlainChatRequest | null {
  const reading = new Reading(body.toString('latin1'));
  return readTopLevel(reading.bytes, reading) ? reading : null;
}

/** The top-level object into `reading`; false when it is not plain. */
function readTopLevel(json: string, reading: Reading): boolean {
  let at = skipSpace(json, 0);
  if (json.charCodeAt(at) !== OPEN_BRACE) return false;
  at = skipSpace(json, at + 1);
  let seen = 0;
  for (;;) {
    const key = KEYS.at(json, at);
    if (key === NO_SPAN || (seen & (1 << key)) !== 0) return false;
    seen |= 1 << key;
    at = skipSpace(json, KEYS.past(key, at));
    if (json.charCodeAt(at) !== COLON) return false;
    at = readField(json, skipSpace(json, at + 1), key, reading);
    if (at === NO_SPAN) return false;
    at = skipSpace(json, at);
    if (json.charCodeAt(at) === CLOSE_BRACE) return true;
    if (json.charCodeAt(at) !== COMMA) return false;
    at = skipSpace(json, at + 1);
  }
}

/** Reads the value of `key` at `at` into `reading`; the offset past it, or NO_SPAN. */
function readField(json: string, at: number, key: Key, reading: Reading): number {
  switch (key) {
    case Key.Model:
      return json.charCodeAt(at) === QUOTE ? pastString(json, at) : NO_SPAN;
    case Key.Messages:
      return readMessages(json, at, reading.messages);
    case Key.Stream:
      return pastLiteral(json, at);
    case Key.StreamOptions:
      return isNull(json, at) ? at + 4 : json.charCodeAt(at) === OPEN_BRACE ? pastComposite(json, at) : NO_SPAN;
    case Key.Stop:
      return readStop(json, at, reading);
    case Key.User: {
      if (isNull(json, at)) return at + 4;
      if (json.charCodeAt(at) !== QUOTE) return NO_SPAN;
      reading.userStart = at;
      reading.userEnd = pastString(json, at);
      return reading.userEnd;
    }
    default:
      return readNumber(json, at, key, reading);
  }
}

/** The messages array: each message's role and content span appended to `out`. */
function readMessages(json: string, at: number, out: number[]): number {
  return readArray(json, at, out, readMessage);
}

/** One `{"role": …, "content": "…"}` message, in either key order. */
function readMessage(json: string, at: number, out: number[]): number {
  if (json.charCodeAt(at) !== OPEN_BRACE) return NO_SPAN;
  let role = NO_SPAN;
  let contentStart = NO_SPAN;
  let contentEnd = NO_SPAN;
  at = skipSpace(json, at + 1);
  for (;;) {
    const key = MESSAGE_KEYS.at(json, at);
    if (key === NO_SPAN) return NO_SPAN;
    at = skipSpace(json, MESSAGE_KEYS.past(key, at));
    if (json.charCodeAt(at) !== COLON) return NO_SPAN;
    at = skipSpace(json, at + 1);
    if (key === MessageKey.Role && role === NO_SPAN) {
      role = ROLES.at(json, at);
      if (role === NO_SPAN) return NO_SPAN;
      at = ROLES.past(role, at);
    } else if (key === MessageKey.Content && contentStart === NO_SPAN && json.charCodeAt(at) === QUOTE) {
      contentStart = at;
      contentEnd = pastString(json, at);
      if (contentEnd === NO_SPAN) return NO_SPAN;
      at = contentEnd;
    } else {
      return NO_SPAN;
    }
    at = skipSpace(json, at);
    if (json.charCodeAt(at) === CLOSE_BRACE) break;
    if (json.charCodeAt(at) !== COMMA) return NO_SPAN;
    at = skipSpace(json, at + 1);
  }
  if (role === NO_SPAN || contentStart === NO_SPAN) return NO_SPAN;
  out.push(role, contentStart, contentEnd);
  return at + 1;
}

/** stop: null, a string, or an array of strings. */
function readStop(json: string, at: number, reading: Reading): number {
  if (isNull(json, at)) return at + 4;
  const spans: number[] = [];
  reading.stop = spans;
  if (json.charCodeAt(at) === QUOTE) {
    const end = pastString(json, at);
    spans.push(at, end);
    return end;
  }
  return readArray(json, at, spans, readStopString);
}

/** One string of a stop array: its span appended to `spans`. */
function readStopString(json: string, at: number, spans: number[]): number {
  if (json.charCodeAt(at) !== QUOTE) return NO_SPAN;
  const end = pastString(json, at);
  if (end === NO_SPAN) return NO_SPAN;
  spans.push(at, end);
  return end;
}

/** A number (or null) for one of the numeric keys. */
function readNumber(json: string, at: number, key: Key, reading: Reading): number {
  if (isNull(json, at)) return at + 4;
  const end = numberEnd(json, at);
  if (end === NO_SPAN) return NO_SPAN;
  const value = numberValue(json, at, end);
  if (!Number.isFinite(value)) return NO_SPAN;
  if (key === Key.MaxTokens) reading.maxTokens = value;
  else if (key === Key.MaxCompletionTokens) reading.maxCompletionTokens = value;
  else if (key === Key.Temperature) reading.temperature = value;
  else reading.topP = value;
  return end;
}
