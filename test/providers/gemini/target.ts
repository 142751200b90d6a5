/** UpstreamTargets for gemini and vertex_ai deployments, for the adapters' unit tests. */
import type { UpstreamTarget } from '../../../src/providers/types.js';
import { targetOf, testDeployment, type TargetOptions as DeploymentOptions } from '../deployment.js';

export interface TargetOptions extends DeploymentOptions {
  readonly provider?: 'gemini' | 'vertex_ai';
  readonly id?: string;
  readonly litellmParams?: Record<string, unknown>;
}

export function googleTarget(options: TargetOptions = {}): UpstreamTarget {
  const provider = options.provider ?? 'gemini';
  const upstreamModel = options.upstreamModel ?? 'gemini-2.5-flash';
  const deployment = testDeployment({
    modelName: 'gemini',
    id: options.id ?? `${provider}-deployment`,
    provider,
    upstreamModel,
    apiBase: options.apiBase ?? (provider === 'gemini' ? 'https://generativelanguage.googleapis.com' : 'https://us-central1-aiplatform.googleapis.com'),
    apiKey: options.apiKey === undefined ? (provider === 'gemini' ? 'AIza-test-key' : null) : options.apiKey,
    authHeader: provider === 'gemini' ? 'x-goog-api-key' : 'authorization',
    authScheme: provider === 'gemini' ? '' : 'Bearer ',
    extraHeaders: options.extraHeaders ?? {},
    litellmParams: { model: `${provider}/${upstreamModel}`, ...options.litellmParams },
  });
  return targetOf(deployment, options);
}
