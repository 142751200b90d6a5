/**
 * Anthropic error answers (https://docs.anthropic.com/en/api/errors): the envelope
 * `{"type":"error","error":{"type":"rate_limit_error","message":"…"},"request_id":"req_…"}`, read
 * for the client's error and the router's classification. Shared with Anthropic on Vertex AI.
 *
 * Contract: pure, never throws; a body that is not the envelope (a proxy's HTML page) gives its
 * text, cut short, as the message and an empty type.
 */
import type { UpstreamErrorInfo } from '../types.js';
import { isRecord } from './values.js';

/** Longest message taken from a body that is not Anthropic's envelope. */
const MAX_RAW_MESSAGE = 500;

/** The HTTP status Anthropic answers each error type with (for errors that arrive inside a stream). */
const STATUS_BY_TYPE: Readonly<Record<string, number>> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
};

export function anthropicErrorInfo(status: number, body: Buffer): UpstreamErrorInfo {
  const text = body.toString('utf8');
  const error = envelopeError(text);
  if (error !== null) return { message: error.message, type: error.type, code: '', param: null };
  const raw = text.trim();
  const message = raw === '' ? `anthropic answered with status ${status}` : raw.slice(0, MAX_RAW_MESSAGE);
  return { message, type: '', code: '', param: null };
}

/** The status for an Anthropic error type; 500 for a type not known here. */
export function statusForErrorType(type: string): number {
  return STATUS_BY_TYPE[type] ?? 500;
}

function envelopeError(text: string): { type: string; message: string } | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isRecord(parsed) || !isRecord(parsed.error) || typeof parsed.error.message !== 'string') return null;
  const { type, message } = parsed.error;
  return { type: typeof type === 'string' ? type : '', message };
}
