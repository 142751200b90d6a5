/**
 * Where an Azure OpenAI call goes: the deployment-scoped path with a dated `api-version`
 * (`/openai/deployments/{deployment}/chat/completions?api-version=2025-02-01-preview`), or the v1
 * API (`/openai/v1/chat/completions`, no dated version, the deployment named by the body's
 * `model`, which the gateway already sets to the upstream model).
 *
 * The api-version is litellm_params.api_version, else AZURE_API_VERSION, else LiteLLM's default.
 * `v1` and `latest` select the v1 API; `preview` selects the v1 API's preview
 * (`?api-version=preview`). An api_base that already ends in `/openai/v1` selects the v1 API too,
 * as the Azure documentation writes that base for OpenAI clients.
 *
 * LiteLLM's routing prefixes `o_series/` and `gpt5_series/` (`azure/o_series/my-o3`) are not part
 * of the deployment name and are left out of the path.
 */

/** LiteLLM's AZURE_DEFAULT_API_VERSION: the version sent when neither config nor environment names one. */
export const DEFAULT_API_VERSION = '2025-02-01-preview';

const V1_VERSIONS: ReadonlySet<string> = new Set(['v1', 'latest']);
const LITELLM_ROUTING_PREFIX = /^(o_series|gpt5_series)\//;

/** The api-version a deployment uses: its own, else the environment's, else the default. */
export function apiVersionFor(written: string | null, env: NodeJS.ProcessEnv): string {
  if (written !== null && written !== '') return written;
  const fromEnv = env.AZURE_API_VERSION;
  return fromEnv !== undefined && fromEnv !== '' ? fromEnv : DEFAULT_API_VERSION;
}

/**
 * The path and query on the resource's origin for one call. `basePath` is the path of the
 * resource endpoint (`https://myres.openai.azure.com`: empty; any path under it is kept as a
 * prefix) without trailing slashes; `upstreamPath` the OpenAI route path (`/chat/completions`,
 * `/embeddings`).
 */
export function azurePath(basePath: string, deployment: string, upstreamPath: string, apiVersion: string): string {
  if (basePath.endsWith('/openai/v1')) return basePath + upstreamPath + previewQuery(apiVersion);
  const root = basePath.replace(/\/openai$/, '');
  if (V1_VERSIONS.has(apiVersion)) return `${root}/openai/v1${upstreamPath}`;
  if (apiVersion === 'preview') return `${root}/openai/v1${upstreamPath}?api-version=preview`;
  const name = deployment.replace(LITELLM_ROUTING_PREFIX, '');
  return `${root}/openai/deployments/${encodeURIComponent(name)}${upstreamPath}?api-version=${encodeURIComponent(apiVersion)}`;
}

/** On a base that is already the v1 API, only `preview` adds a query; dated versions do not apply there. */
function previewQuery(apiVersion: string): string {
  return apiVersion === 'preview' ? '?api-version=preview' : '';
}
