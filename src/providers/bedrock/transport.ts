/**
 * One Bedrock runtime request: path, header block and body, authenticated with the deployment's
 * credential (SigV4, or a Bedrock API key as a bearer token).
 *
 * The header block holds exactly the headers that were signed, less `host` (the upstream pool
 * writes that line itself, with the same value): content-type, accept, the deployment's
 * extra_headers, x-amz-date, x-amz-content-sha256, x-amz-security-token (temporary credentials)
 * and authorization.
 */
import { GatewayError } from '../../errors.js';
import type { UpstreamRequest, UpstreamTarget } from '../types.js';
import { authFor, modelPath } from './endpoint.js';
import { signedHeaders } from './sigv4.js';

export const JSON_TYPE = 'application/json';
export const EVENT_STREAM_TYPE = 'application/vnd.amazon.eventstream';

/** Headers this module sets; extra_headers cannot replace them. */
const OWN_HEADERS = new Set(['host', 'content-type', 'content-length', 'accept', 'authorization', 'x-amz-date', 'x-amz-content-sha256', 'x-amz-security-token']);

export async function bedrockRequest(
  target: UpstreamTarget,
  modelId: string,
  operation: 'converse' | 'converse-stream' | 'invoke',
  body: Buffer,
): Promise<UpstreamRequest> {
  const deployment = target.deployment;
  const path = modelPath(deployment.apiBase, modelId, operation);
  const headers: Record<string, string> = {
    ...extraHeaders(deployment.extraHeaders),
    'content-type': JSON_TYPE,
    accept: operation === 'converse-stream' ? EVENT_STREAM_TYPE : JSON_TYPE,
  };
  const auth = authFor(deployment, process.env);
  if (auth.kind === 'bearer') {
    if (/[\r\n]/.test(auth.token)) throw new GatewayError('upstream_auth_failed', 'The Bedrock API key contains a line break.');
    return { path, headerBlock: headerBlockOf({ ...headers, authorization: `Bearer ${auth.token}` }), body };
  }
  const signed = await signedHeaders({ apiBase: deployment.apiBase, path, headers, body, region: auth.region, credentials: auth.credentials });
  return { path, headerBlock: headerBlockOf(signed), body };
}

function extraHeaders(extra: Readonly<Record<string, string>>): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(extra)) {
    const lower = name.toLowerCase();
    if (!OWN_HEADERS.has(lower)) kept[lower] = value;
  }
  return kept;
}

/** `name: value` CRLF lines, without `host` (the pool writes it). */
function headerBlockOf(headers: Readonly<Record<string, string>>): string {
  let block = '';
  for (const [name, value] of Object.entries(headers)) {
    if (name !== 'host') block += `${name}: ${value}\r\n`;
  }
  return block;
}
