/**
 * Google's error answers (`{"error":{"code":429,"message":"…","status":"RESOURCE_EXHAUSTED"}}`,
 * also as a one-element list from some Vertex methods) read for the client's error envelope and
 * the router: `type` is the status name. An input longer than the model's context, which Google
 * reports as INVALID_ARGUMENT "The input token count (…) exceeds the maximum number of tokens
 * allowed (…)", gets code `context_length_exceeded` so context-window fallbacks apply.
 * Anthropic's envelope (`{"type":"error","error":{"type","message"}}`, from Claude on Vertex)
 * reads the same way, its error type as `type`.
 */
import type { UpstreamErrorInfo } from '../types.js';
import type { GoogleErrorBody } from './wire.js';

const CONTEXT_EXCEEDED = /input token count.*exceeds the maximum/i;

/** Google's error envelope, or null when the body is not one. */
export function googleErrorInfo(body: Buffer): UpstreamErrorInfo | null {
  const error = googleError(body);
  if (error === null) return null;
  const message = typeof error.message === 'string' ? error.message : '';
  const status = typeof error.status === 'string' ? error.status : typeof error.type === 'string' ? error.type : '';
  const code = CONTEXT_EXCEEDED.test(message) ? 'context_length_exceeded' : status;
  return { message, type: status, code, param: null };
}

/** The body as it came, for an error that is not in Google's envelope. */
export function rawErrorInfo(status: number, body: Buffer, providerName: string): UpstreamErrorInfo {
  const text = body.toString('utf8').trim();
  return { message: text === '' ? `${providerName} answered with status ${status}` : text.slice(0, 2000), type: '', code: '', param: null };
}

type ErrorObject = NonNullable<GoogleErrorBody['error']> & { type?: unknown };

function googleError(body: Buffer): ErrorObject | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return null;
  }
  const envelope = (Array.isArray(parsed) ? parsed[0] : parsed) as GoogleErrorBody | null | undefined;
  const error = envelope?.error;
  return error !== null && typeof error === 'object' ? (error as ErrorObject) : null;
}
