/**
 * Reads Cohere error answers: `{"message": "..."}`, sometimes with an `id`
 * (`{"id": "...", "message": "invalid api token"}`). Cohere sends no error type or code; the
 * router classifies by status and message (src/router/classify.ts).
 */
import type { UpstreamErrorInfo } from '../types.js';
import { isObject } from './response.js';

export function cohereErrorInfo(status: number, body: Buffer): UpstreamErrorInfo {
  const text = body.toString('utf8');
  let parsed: unknown = null;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON (a proxy's HTML page): the text is the message
  }
  const message = isObject(parsed) && typeof parsed.message === 'string' && parsed.message !== '' ? parsed.message : text.trim().slice(0, 1000);
  return { message: message || `HTTP ${status}`, type: '', code: '', param: null };
}
