/**
 * The `azure` adapter: Azure OpenAI speaks OpenAI's wire format, so the client's body passes
 * through untouched (model set to the deployment name); only the path (deployment and
 * api-version, path.ts) and the credential (API key or Entra ID token, auth.ts) differ.
 *
 * `model: azure/<deployment name>` names the Azure deployment. api_base (or AZURE_API_BASE) is
 * the resource endpoint, e.g. `https://myres.openai.azure.com`; it has no default.
 */
import { basePathOf } from '../http.js';
import type { ProviderAdapter, UpstreamTarget } from '../types.js';
import { authHeader, credentialFor, headerBlock } from './auth.js';
import { azureErrorInfo } from './errors.js';
import { apiVersionFor, azurePath } from './path.js';

type Destination = { path: string; headerBlock: string };

function passthrough(upstreamPath: string, target: UpstreamTarget): Destination | Promise<Destination> {
  const { deployment } = target;
  const env = process.env;
  const path = azurePath(basePathOf(deployment), target.upstreamModel, upstreamPath, apiVersionFor(deployment.apiVersion, env));
  const auth = authHeader(credentialFor(deployment, env), env);
  if (auth instanceof Promise) return auth.then((header) => ({ path, headerBlock: headerBlock(header, deployment) }));
  return { path, headerBlock: headerBlock(auth, deployment) };
}

export const adapter: ProviderAdapter = Object.freeze({
  prefix: 'azure',
  aliases: Object.freeze([]),
  wire: 'openai',
  defaultApiBase: null,
  apiBaseSuffix: '',
  apiBaseEnv: Object.freeze(['AZURE_API_BASE']),
  apiKeyEnv: Object.freeze(['AZURE_API_KEY', 'AZURE_OPENAI_API_KEY']),
  // Entra ID deployments have no key, so a missing one is not worth a config warning; a call
  // without any credential fails with upstream_auth_failed naming what to set.
  keyRequired: false,
  authHeader: 'api-key',
  authScheme: '',
  wellKnownModels: Object.freeze([]),
  passthrough,
  chat: null,
  embeddings: null,
  errorInfo: azureErrorInfo,
});
