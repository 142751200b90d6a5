/**
 * Where Ollama calls go and with which headers: the native API at the server root
 * (`POST {api_base}/api/chat`, `/api/embed`), `Authorization: Bearer <key>` only when a key is
 * configured (a local server takes anonymous calls; a hosted or proxied one may want a key).
 *
 * An api_base written for Ollama's OpenAI-compatible API (`http://host:11434/v1`), or as an
 * endpoint (`…/api`, `…/api/chat`, as LiteLLM accepts), names the same server: that tail is
 * removed so the native path is appended once.
 */
import type { ModelDeployment } from '../../config/types.js';

const ENDPOINT_TAIL = /\/(v1|api(\/(chat|embed))?)$/;

/** The path on the deployment's origin for a native endpoint (`chat`, `embed`). */
export function ollamaPath(apiBase: string, endpoint: 'chat' | 'embed'): string {
  const base = new URL(apiBase).pathname.replace(/\/+$/, '').replace(ENDPOINT_TAIL, '');
  return `${base}/api/${endpoint}`;
}

/**
 * Header lines after Host (each ending in CRLF): JSON content, the bearer key when there is one,
 * the deployment's extra headers (checked for CR/LF when the config was loaded, src/pipeline/runtime.ts).
 */
export function ollamaHeaders(deployment: ModelDeployment): string {
  let block = 'content-type: application/json\r\n';
  if (deployment.apiKey !== null && deployment.apiKey !== '') block += `authorization: Bearer ${deployment.apiKey}\r\n`;
  for (const [name, value] of Object.entries(deployment.extraHeaders)) block += `${name}: ${value}\r\n`;
  return block;
}
