/**
 * Reads Ollama error answers: `{"error": "..."}` (e.g. 404 `model "x" not found, try pulling it
 * first`). Ollama sends no error type or code; the router classifies by status and message.
 */
import type { UpstreamErrorInfo } from '../types.js';
import { parseObject } from './response.js';

export function ollamaErrorInfo(status: number, body: Buffer): UpstreamErrorInfo {
  const text = body.toString('utf8');
  const parsed = parseObject(text);
  const message = parsed !== null && typeof parsed.error === 'string' && parsed.error !== '' ? parsed.error : text.trim().slice(0, 1000);
  return { message: message || `HTTP ${status}`, type: '', code: '', param: null };
}
