/**
 * What every Google upstream request shares: the header block (JSON body, the credential header,
 * the deployment's extra headers) and paths placed under the deployment's api_base path (empty
 * for Google's own hosts, set when a proxy serves the API under a prefix).
 */
import type { UpstreamTarget } from '../types.js';

/** The Gemini API takes the deployment's api_key in this header. */
export const API_KEY_HEADER = 'x-goog-api-key';

/** The Gemini API credential header for the deployment's key; null when it has none. */
export function apiKeyCredential(target: UpstreamTarget): readonly [string, string] | null {
  const key = target.deployment.apiKey;
  return key === null || key === '' ? null : [API_KEY_HEADER, key];
}

/** Header lines for an upstream request; `credential` is [name, value] or null. */
export function headerBlock(target: UpstreamTarget, credential: readonly [string, string] | null): string {
  const headers: [string, string][] = [['content-type', 'application/json']];
  if (credential !== null) headers.push([credential[0], credential[1]]);
  for (const [name, value] of Object.entries(target.deployment.extraHeaders)) headers.push([name, value]);
  return headers.map(([name, value]) => `${name}: ${value}\r\n`).join('');
}

/** `path` under the deployment's api_base path (origin-relative, as UpstreamRequest.path is). */
export function underApiBase(target: UpstreamTarget, path: string): string {
  const prefix = new URL(target.deployment.apiBase).pathname.replace(/\/+$/, '');
  return prefix + path;
}

/** A model name as one path segment (`gemini-2.5-flash` stays as it is; `/` and such are escaped). */
export function modelSegment(model: string): string {
  return encodeURIComponent(model).replace(/%40/g, '@');
}

export function jsonBody(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}
