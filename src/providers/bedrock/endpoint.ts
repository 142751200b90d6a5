/**
 * Where a Bedrock deployment's calls go and with which credential.
 *
 * - Endpoint: api_base as written (the config loader's), else `aws_bedrock_runtime_endpoint`, else
 *   AWS_BEDROCK_RUNTIME_ENDPOINT, else `https://bedrock-runtime.{region}.amazonaws.com`.
 * - Region (for the endpoint and the signature): `aws_region_name`, else the one in a
 *   `bedrock-runtime.{region}.…` host, else AWS_REGION_NAME / AWS_REGION / AWS_DEFAULT_REGION, else
 *   us-west-2 (LiteLLM's default).
 * - Credential, first found: `api_key` written in litellm_params (a Bedrock API key, sent as
 *   `Authorization: Bearer`), `aws_access_key_id` + `aws_secret_access_key` (+ `aws_session_token`)
 *   in litellm_params, AWS_BEARER_TOKEN_BEDROCK (the deployment's api_key from the environment),
 *   AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN).
 * - The model id is one path segment: percent-encoded, so `…-v1:0` and inference profile ARNs
 *   (which hold `/`) stay whole.
 */
import { GatewayError } from '../../errors.js';
import type { ModelDeployment } from '../../config/types.js';
import { perDeployment } from '../http.js';
import { firstEnv } from '../openai-compatible/table.js';
import type { AwsCredentials } from './sigv4.js';

type Params = Readonly<Record<string, unknown>>;

/** LiteLLM's region when none is configured. */
const DEFAULT_REGION = 'us-west-2';
/** LiteLLM reads AWS_REGION_NAME first; the AWS SDKs read AWS_REGION, then AWS_DEFAULT_REGION. */
const REGION_ENV = ['AWS_REGION_NAME', 'AWS_REGION', 'AWS_DEFAULT_REGION'];
const ENDPOINT_ENV = ['AWS_BEDROCK_RUNTIME_ENDPOINT'];
export const BEARER_TOKEN_ENV = 'AWS_BEARER_TOKEN_BEDROCK';
/** `bedrock-runtime.us-east-1.amazonaws.com`, `bedrock-runtime-fips.…`, `vpce-….bedrock-runtime.us-east-1.vpce.amazonaws.com`. */
const REGION_IN_HOST = /(?:^|\.)bedrock-runtime(?:-fips)?\.([a-z]{2}(?:-[a-z]+)+-\d+)\./;
/** LiteLLM settings that need an STS or profile lookup, which this adapter does not do. */
const UNSUPPORTED_CREDENTIAL_PARAMS = ['aws_role_name', 'aws_profile_name', 'aws_web_identity_token'];

export type BedrockAuth =
  | { readonly kind: 'sigv4'; readonly credentials: AwsCredentials; readonly region: string }
  | { readonly kind: 'bearer'; readonly token: string };

function stringParam(params: Params, key: string): string | null {
  const value = params[key];
  return typeof value === 'string' && value !== '' ? value : null;
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/** The api_base of a deployment that writes none; null when the endpoint written is not an http(s) URL. */
export function apiBaseFor(params: Params, env: NodeJS.ProcessEnv): string | null {
  const endpoint = stringParam(params, 'aws_bedrock_runtime_endpoint') ?? firstEnv(env, ENDPOINT_ENV);
  if (endpoint !== null) return isHttpUrl(endpoint) ? endpoint.replace(/\/+$/, '') : null;
  const region = stringParam(params, 'aws_region_name') ?? firstEnv(env, REGION_ENV) ?? DEFAULT_REGION;
  return `https://bedrock-runtime.${region}.amazonaws.com`;
}

/** The region named by the api_base's host; null when it names none. */
const regionInHost = perDeployment((deployment) => REGION_IN_HOST.exec(new URL(deployment.apiBase).hostname)?.[1] ?? null);

/** The region a deployment's requests are signed for. */
export function signingRegion(deployment: ModelDeployment, env: NodeJS.ProcessEnv): string {
  const written = stringParam(deployment.litellmParams, 'aws_region_name');
  if (written !== null) return written;
  return regionInHost(deployment) ?? firstEnv(env, REGION_ENV) ?? DEFAULT_REGION;
}

/**
 * The Bedrock model id of an upstream model name: LiteLLM's `converse/` route prefix is dropped;
 * its `invoke/` route (InvokeModel with each model's own body) is not served here.
 */
export function modelIdOf(upstreamModel: string): string {
  if (upstreamModel.startsWith('invoke/')) {
    throw new GatewayError('unsupported_param', `bedrock/invoke/… models are not supported: chat goes through the Converse API (write bedrock/${upstreamModel.slice('invoke/'.length)}).`, { param: 'model' });
  }
  return upstreamModel.startsWith('converse/') ? upstreamModel.slice('converse/'.length) : upstreamModel;
}

/**
 * A path segment percent-encoded as the AWS SDKs do (RFC 3986 unreserved characters kept, so `:`
 * and `/` become %3A and %2F).
 */
export function encodePathSegment(segment: string): string {
  return encodeURIComponent(segment).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** `{basePath}/model/{model id}/{operation}`; `basePath` is the api_base's path without trailing slashes. */
export function modelPath(basePath: string, modelId: string, operation: 'converse' | 'converse-stream' | 'invoke'): string {
  return `${basePath}/model/${encodePathSegment(modelId)}/${operation}`;
}

/** The credential a deployment's calls use (see the header for the order). */
export function authFor(deployment: ModelDeployment, env: NodeJS.ProcessEnv): BedrockAuth {
  const params = deployment.litellmParams;
  const writtenKey = stringParam(params, 'api_key');
  if (writtenKey !== null) return { kind: 'bearer', token: writtenKey };
  refuseUnsupportedCredentialParams(params);
  const written = keysFrom(
    stringParam(params, 'aws_access_key_id'),
    stringParam(params, 'aws_secret_access_key'),
    stringParam(params, 'aws_session_token'),
    'litellm_params aws_access_key_id and aws_secret_access_key',
  );
  if (written !== null) return { kind: 'sigv4', credentials: written, region: signingRegion(deployment, env) };
  if (deployment.apiKey !== null && deployment.apiKey !== '') return { kind: 'bearer', token: deployment.apiKey };
  const fromEnv = keysFrom(
    firstEnv(env, ['AWS_ACCESS_KEY_ID']),
    firstEnv(env, ['AWS_SECRET_ACCESS_KEY']),
    firstEnv(env, ['AWS_SESSION_TOKEN']),
    'AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY',
  );
  if (fromEnv !== null) return { kind: 'sigv4', credentials: fromEnv, region: signingRegion(deployment, env) };
  throw new GatewayError(
    'upstream_auth_failed',
    `No AWS credentials for Bedrock deployment ${deployment.id}: set aws_access_key_id and aws_secret_access_key (or api_key, a Bedrock API key) in litellm_params, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or ${BEARER_TOKEN_ENV}) in the environment.`,
  );
}

function refuseUnsupportedCredentialParams(params: Params): void {
  for (const key of UNSUPPORTED_CREDENTIAL_PARAMS) {
    if (stringParam(params, key) !== null) {
      throw new GatewayError('upstream_auth_failed', `litellm_params.${key} is not supported for Bedrock: give aws_access_key_id and aws_secret_access_key (and aws_session_token for temporary credentials).`);
    }
  }
}

/** Both keys, or neither (null); one without the other is a configuration fault. */
function keysFrom(accessKeyId: string | null, secretAccessKey: string | null, sessionToken: string | null, names: string): AwsCredentials | null {
  if (accessKeyId === null && secretAccessKey === null) return null;
  if (accessKeyId === null || secretAccessKey === null) {
    throw new GatewayError('upstream_auth_failed', `Bedrock needs both ${names}; only one is set.`);
  }
  return { accessKeyId, secretAccessKey, sessionToken };
}
