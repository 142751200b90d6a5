/**
 * How an Azure OpenAI call authenticates, and the request headers that carry it.
 *
 * Azure takes an API key (`api-key: <key>`) or a Microsoft Entra ID token
 * (`Authorization: Bearer <token>`): one given as `azure_ad_token`, or one fetched with client
 * credentials (tenant_id, client_id, client_secret). What the deployment writes wins over the
 * environment; within each, an API key wins over a token, a token over client credentials:
 *
 *   1. litellm_params.api_key, 2. azure_ad_token, 3. tenant_id/client_id/client_secret (the
 *   missing ones from AZURE_TENANT_ID/AZURE_CLIENT_ID/AZURE_CLIENT_SECRET);
 *   4. AZURE_API_KEY (the deployment's key read from the environment), 5. AZURE_AD_TOKEN,
 *   6. AZURE_TENANT_ID + AZURE_CLIENT_ID + AZURE_CLIENT_SECRET.
 *
 * The token scope is litellm_params.azure_scope, else Cognitive Services' `.default` scope.
 */
import type { ModelDeployment } from '../../config/types.js';
import { GatewayError } from '../../errors.js';
import { jsonHeaderBlock, type HeaderLine } from '../http.js';
import { entraToken, type ClientCredentials } from './entra.js';

export const DEFAULT_SCOPE = 'https://cognitiveservices.azure.com/.default';

export type AzureCredential =
  | { readonly kind: 'api-key'; readonly key: string }
  | { readonly kind: 'token'; readonly token: string }
  | { readonly kind: 'client-credentials'; readonly credentials: ClientCredentials };

/** The credential a deployment uses, by the precedence above; throws upstream_auth_failed when it has none. */
export function credentialFor(deployment: ModelDeployment, env: NodeJS.ProcessEnv): AzureCredential {
  const params = deployment.litellmParams;
  const writtenKey = text(params.api_key);
  if (writtenKey !== null && deployment.apiKey !== null) return { kind: 'api-key', key: deployment.apiKey };
  const writtenToken = text(params.azure_ad_token);
  if (writtenToken !== null) return { kind: 'token', token: writtenToken };
  const writesClient = text(params.tenant_id) !== null || text(params.client_id) !== null || text(params.client_secret) !== null;
  const client = clientCredentials(params, env);
  if (writesClient && client !== null) return { kind: 'client-credentials', credentials: client };
  if (deployment.apiKey !== null && deployment.apiKey !== '') return { kind: 'api-key', key: deployment.apiKey };
  const envToken = text(env.AZURE_AD_TOKEN);
  if (envToken !== null) return { kind: 'token', token: envToken };
  if (client !== null) return { kind: 'client-credentials', credentials: client };
  throw new GatewayError(
    'upstream_auth_failed',
    `Azure deployment ${deployment.id} has no credential: set api_key (or AZURE_API_KEY), azure_ad_token (or AZURE_AD_TOKEN), or tenant_id, client_id and client_secret (or AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET)`,
  );
}

/** Client credentials when all three parts are known (each from litellm_params, else the environment). */
function clientCredentials(params: Readonly<Record<string, unknown>>, env: NodeJS.ProcessEnv): ClientCredentials | null {
  const tenantId = text(params.tenant_id) ?? text(env.AZURE_TENANT_ID);
  const clientId = text(params.client_id) ?? text(env.AZURE_CLIENT_ID);
  const clientSecret = text(params.client_secret) ?? text(env.AZURE_CLIENT_SECRET);
  if (tenantId === null || clientId === null || clientSecret === null) return null;
  return { tenantId, clientId, clientSecret, scope: text(params.azure_scope) ?? DEFAULT_SCOPE };
}

/** The header carrying a credential; a promise only when a token must be fetched (or the cached one read). */
export function authHeader(credential: AzureCredential, env: NodeJS.ProcessEnv): HeaderLine | Promise<HeaderLine> {
  switch (credential.kind) {
    case 'api-key':
      return ['api-key', credential.key];
    case 'token':
      return ['authorization', `Bearer ${credential.token}`];
    case 'client-credentials':
      return entraToken(credential.credentials, env).then((token) => ['authorization', `Bearer ${token}`]);
  }
}

/** Header lines after Host (each ending in CRLF): JSON content, the credential, the deployment's extra headers. */
export function headerBlock(auth: HeaderLine, deployment: ModelDeployment): string {
  return jsonHeaderBlock(deployment, auth);
}

/** A non-empty string, else null (litellm_params values may be numbers or null as written). */
function text(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}
