/**
 * What every Google upstream request shares: paths placed under the deployment's api_base path
 * (empty for Google's own hosts, set when a proxy serves the API under a prefix), and the Gemini
 * API's header block (JSON body, the key in `x-goog-api-key`, the deployment's extra headers).
 * Both depend on the deployment alone and are made once per deployment (../http.ts).
 */
import type { ModelDeployment } from '../../config/types.js';
import { basePathOf, jsonHeaderBlock, keyHeader, perDeployment } from '../http.js';
import type { UpstreamTarget } from '../types.js';

/** The Gemini API takes the deployment's api_key in this header. */
export const API_KEY_HEADER = 'x-goog-api-key';

/** The Gemini API's header lines for the deployment (its key, when it has one). */
export const apiKeyHeaderBlock: (deployment: ModelDeployment) => string = perDeployment((deployment) => jsonHeaderBlock(deployment, keyHeader(deployment, API_KEY_HEADER)));

/** `path` under the deployment's api_base path (origin-relative, as UpstreamRequest.path is). */
export function underApiBase(target: UpstreamTarget, path: string): string {
  return basePathOf(target.deployment) + path;
}

/** A model name as one path segment (`gemini-2.5-flash` stays as it is; `/` and such are escaped). */
export function modelSegment(model: string): string {
  return encodeURIComponent(model).replace(/%40/g, '@');
}
