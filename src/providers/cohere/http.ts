/**
 * Where Cohere calls go and with which headers: `POST {api_base}/v2/chat` and `/v2/embed`,
 * `Authorization: Bearer <key>`.
 *
 * LiteLLM configs sometimes write the endpoint itself as api_base (`https://api.cohere.com/v2/chat`)
 * or a versioned base (`…/v1`, `…/v2`); such a tail is removed so the v2 path is appended once.
 */
import type { ModelDeployment } from '../../config/types.js';

const VERSIONED_TAIL = /\/v[12](\/(chat|embed))?$/;

/** The path on the deployment's origin for a v2 endpoint (`chat`, `embed`). */
export function coherePath(apiBase: string, endpoint: 'chat' | 'embed'): string {
  const base = new URL(apiBase).pathname.replace(/\/+$/, '').replace(VERSIONED_TAIL, '');
  return `${base}/v2/${endpoint}`;
}

/**
 * Header lines after Host (each ending in CRLF): JSON content, the bearer key, the deployment's
 * extra headers. The key and extra headers were checked for CR/LF when the config was loaded
 * (src/pipeline/runtime.ts).
 */
export function cohereHeaders(deployment: ModelDeployment): string {
  let block = 'content-type: application/json\r\n';
  if (deployment.apiKey !== null && deployment.apiKey !== '') block += `authorization: Bearer ${deployment.apiKey}\r\n`;
  for (const [name, value] of Object.entries(deployment.extraHeaders)) block += `${name}: ${value}\r\n`;
  return block;
}
