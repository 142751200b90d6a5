/**
 * The Messages API body for a plain text chat request (src/frontdoor/openai/plain-chat.ts), written
 * from the client's bytes: each message's text is the client's own JSON string, copied, never
 * decoded and escaped again. This is the common call's fast path; every other request takes
 * anthropicMessagesBody (request.ts).
 *
 * Contract: the bytes are the body anthropicMessagesBody + JSON.stringify would send for the same
 * request (the same values, keys in the same order; a string may keep the client's escapes, e.g.
 * `\u00e9` for `é`), so its rules hold here too: system and developer text becomes the top-level
 * `system` blocks (empty text left out), consecutive turns of one role merge, empty assistant text
 * is left out, max_tokens is max_tokens, else max_completion_tokens, else 4096, stop goes to
 * stop_sequences and `user` to metadata.user_id unless it looks like an e-mail address or a phone
 * number. Returns null where the generic path decides otherwise: a whitespace-only stop sequence
 * under drop_params (request.ts drops it).
 */
import { stringValue } from '../../frontdoor/openai/json-spans.js';
import { PlainRole, type PlainChatRequest } from '../../frontdoor/openai/plain-chat.js';
import type { UpstreamTarget } from '../types.js';
import { DEFAULT_MAX_TOKENS, metadataUserId, type AnthropicBodyOptions } from './request.js';

/**
 * The body as bytes, or null to take the generic path. The body is built as one string of
 * latin1 characters, one per byte (the client's spans are sliced as latin1, so UTF-8 text passes
 * unchanged), then written out once.
 */
export function anthropicBodyFromPlain(body: Buffer, plain: PlainChatRequest, target: UpstreamTarget, options: AnthropicBodyOptions): Buffer | null {
  if (plain.stop !== null && target.dropParams && hasBlankStop(body, plain.stop)) return null;
  let out = '{';
  if (options.includeModel) out += `"model":${modelJson(target.upstreamModel)},`;
  if (options.anthropicVersion !== undefined) out += `"anthropic_version":${jsonBytes(options.anthropicVersion)},`;
  out += `"max_tokens":${plain.maxTokens ?? plain.maxCompletionTokens ?? DEFAULT_MAX_TOKENS}`;
  out += systemField(plain.bytes, plain.messages);
  out += `,"messages":${turns(plain.bytes, plain.messages)}`;
  if (plain.stop !== null && plain.stop.length > 0) out += `,"stop_sequences":${stringList(plain.bytes, plain.stop)}`;
  if (plain.temperature !== null) out += `,"temperature":${plain.temperature}`;
  if (plain.topP !== null) out += `,"top_p":${plain.topP}`;
  if (plain.userStart !== -1 && metadataUserId(stringValue(body, plain.userStart, plain.userEnd)) !== undefined) {
    out += `,"metadata":{"user_id":${plain.bytes.slice(plain.userStart, plain.userEnd)}}`;
  }
  if (target.stream) out += ',"stream":true';
  return Buffer.from(out + '}', 'latin1');
}

/** `,"system":[…]` with a text block per non-empty system or developer message; '' when none. */
function systemField(bytes: string, messages: readonly number[]): string {
  let blocks = '';
  for (let i = 0; i < messages.length; i += 3) {
    const role = messages[i];
    if ((role !== PlainRole.System && role !== PlainRole.Developer) || isEmptyString(messages[i + 1], messages[i + 2])) continue;
    blocks += (blocks === '' ? '' : ',') + textBlock(bytes, messages[i + 1], messages[i + 2]);
  }
  return blocks === '' ? '' : `,"system":[${blocks}]`;
}

/** The user and assistant turns, consecutive messages of one role in one turn. */
function turns(bytes: string, messages: readonly number[]): string {
  let out = '[';
  let turnRole = -1;
  let turnBlocks = 0;
  for (let i = 0; i < messages.length; i += 3) {
    const role = messages[i];
    if (role === PlainRole.System || role === PlainRole.Developer) continue;
    if (role !== turnRole) {
      if (turnRole !== -1) out += ']},';
      out += role === PlainRole.User ? '{"role":"user","content":[' : '{"role":"assistant","content":[';
      turnRole = role;
      turnBlocks = 0;
    }
    // Anthropic refuses empty assistant text; an empty user message stays (as request.ts keeps it).
    if (role === PlainRole.Assistant && isEmptyString(messages[i + 1], messages[i + 2])) continue;
    out += (turnBlocks === 0 ? '' : ',') + textBlock(bytes, messages[i + 1], messages[i + 2]);
    turnBlocks++;
  }
  return turnRole === -1 ? '[]' : out + ']}]';
}

function textBlock(bytes: string, start: number, end: number): string {
  return `{"type":"text","text":${bytes.slice(start, end)}}`;
}

function stringList(bytes: string, spans: readonly number[]): string {
  let out = '[';
  for (let i = 0; i < spans.length; i += 2) out += (i === 0 ? '' : ',') + bytes.slice(spans[i], spans[i + 1]);
  return out + ']';
}

/** A span of just its two quotes. */
function isEmptyString(start: number, end: number): boolean {
  return end - start === 2;
}

function hasBlankStop(body: Buffer, spans: readonly number[]): boolean {
  for (let i = 0; i < spans.length; i += 2) {
    if (stringValue(body, spans[i], spans[i + 1]).trim() === '') return true;
  }
  return false;
}

/** The model modelJson wrote last: a deployment's calls name the same one. */
let lastModel = '';
let lastModelJson = '""';

function modelJson(model: string): string {
  if (model !== lastModel) {
    lastModelJson = jsonBytes(model);
    lastModel = model;
  }
  return lastModelJson;
}

/** `value` as a JSON string, its UTF-8 bytes as latin1 characters (the form the body is built in). */
function jsonBytes(value: string): string {
  const json = JSON.stringify(value);
  return /^[\x20-\x7e]*$/.test(json) ? json : Buffer.from(json, 'utf8').toString('latin1');
}
