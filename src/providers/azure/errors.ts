/**
 * Reads Azure OpenAI error answers. Azure uses OpenAI's envelope
 * (`{"error":{"code","message","param","type","innererror"}}`); API Management in front of a
 * resource answers some failures (a wrong key, a wrong path) as `{"statusCode","message"}`.
 *
 * Content filtering comes as code `content_filter` (prompt refused) or with an innererror whose
 * code is `ResponsibleAIPolicyViolation`; both are reported as code `content_filter`, which the
 * router classifies as a content policy violation (src/router/classify.ts), so
 * content_policy_fallbacks apply.
 */
import type { UpstreamErrorInfo } from '../types.js';

const CONTENT_FILTER_CODES: ReadonlySet<string> = new Set(['content_filter', 'contentFilter', 'ResponsibleAIPolicyViolation']);

export function azureErrorInfo(status: number, body: Buffer): UpstreamErrorInfo {
  const parsed = parseObject(body);
  const envelope = parsed !== null && isObject(parsed.error) ? parsed.error : null;
  if (envelope !== null) {
    const code = isContentFilter(envelope) ? 'content_filter' : textOf(envelope.code);
    return { message: textOf(envelope.message) || `HTTP ${status}`, type: textOf(envelope.type), code, param: textOf(envelope.param) || null };
  }
  if (parsed !== null && typeof parsed.message === 'string') {
    return { message: parsed.message, type: '', code: textOf(parsed.statusCode), param: null };
  }
  const raw = body.toString('utf8').trim().slice(0, 1000);
  return { message: raw || `HTTP ${status}`, type: '', code: '', param: null };
}

function isContentFilter(envelope: Record<string, unknown>): boolean {
  if (CONTENT_FILTER_CODES.has(textOf(envelope.code))) return true;
  const inner = envelope.innererror ?? envelope.inner_error;
  return isObject(inner) && CONTENT_FILTER_CODES.has(textOf(inner.code));
}

function parseObject(body: Buffer): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(body.toString('utf8'));
    return isObject(value) ? value : null;
  } catch {
    return null;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Codes come as strings or numbers (`"429"`, `429`). */
function textOf(value: unknown): string {
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : '';
}
