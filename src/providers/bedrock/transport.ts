/**
 * One Bedrock runtime request: path, header block and body, authenticated with the deployment's
 * credential (SigV4, or a Bedrock API key as a bearer token).
 *
 * The header block holds exactly the headers that were signed, less `host` (the upstream pool
 * writes that line itself, with the same value): content-type, accept, the deployment's
 * extra_headers, x-amz-date, x-amz-content-sha256, x-amz-security-token (temporary credentials)
 * and authorization.
 */
import type { ModelDeployment } from '../../config/types.js';
import { GatewayError } from '../../errors.js';
import { basePathOf, headerBlock, perDeployment } from '../http.js';
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
  const path = modelPath(basePathOf(deployment), modelId, operation);
  const headers: Record<string, string> = {
    ...extraHeaders(deployment),
    'content-type': JSON_TYPE,
    accept: operation === 'converse-stream' ? EVENT_STREAM_TYPE : JSON_TYPE,
  };
  const auth = authFor(deployment, process.env);
  if (auth.kind === 'bearer') {
    if (/[\r\n]/.test(auth.token)) throw new GatewayError('upstream_auth_failed', 'The Bedrock API key contains a line break.');
    return { path, headerBlock: headerBlockOf({ ...headers, authorization: `Bearer ${auth.token}` }, deployment), body };
  }
  const signed = await signedHeaders({ apiBase: deployment.apiBase, path, headers, body, region: auth.region, credentials: auth.credentials });
  return { path, headerBlock: headerBlockOf(signed, deployment), body };
}

/** The deployment's extra_headers that this module does not set itself (lower-case names), once per deployment. */
const extraHeaders = perDeployment((deployment: ModelDeployment): Readonly<Record<string, string>> => {
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(deployment.extraHeaders)) {
    const lower = name.toLowerCase();
    if (!OWN_HEADERS.has(lower)) kept[lower] = value;
  }
  return kept;
});

/** The header lines, without `host` (the pool writes it). */
function headerBlockOf(headers: Readonly<Record<string, string>>, deployment: ModelDeployment): string {
  return headerBlock(Object.entries(headers).filter(([name]) => name !== 'host'), `bedrock deployment ${deployment.id}`);
}
