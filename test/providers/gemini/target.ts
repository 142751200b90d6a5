/** UpstreamTargets for gemini and vertex_ai deployments, for the adapters' unit tests. */
import type { ModelDeployment } from '../../../src/config/types.js';
import type { UpstreamTarget } from '../../../src/providers/types.js';

export interface TargetOptions {
  readonly provider?: 'gemini' | 'vertex_ai';
  readonly id?: string;
  readonly apiBase?: string;
  readonly apiKey?: string | null;
  readonly extraHeaders?: Record<string, string>;
  readonly stream?: boolean;
  readonly dropParams?: boolean;
  readonly upstreamModel?: string;
  readonly litellmParams?: Record<string, unknown>;
}

export function googleTarget(options: TargetOptions = {}): UpstreamTarget {
  const provider = options.provider ?? 'gemini';
  const upstreamModel = options.upstreamModel ?? 'gemini-2.5-flash';
  const deployment: ModelDeployment = {
    modelName: 'gemini',
    id: options.id ?? `${provider}-deployment`,
    provider,
    upstreamModel,
    apiBase: options.apiBase ?? (provider === 'gemini' ? 'https://generativelanguage.googleapis.com' : 'https://us-central1-aiplatform.googleapis.com'),
    apiKey: options.apiKey === undefined ? (provider === 'gemini' ? 'AIza-test-key' : null) : options.apiKey,
    authHeader: provider === 'gemini' ? 'x-goog-api-key' : 'authorization',
    authScheme: provider === 'gemini' ? '' : 'Bearer ',
    apiVersion: null,
    organization: null,
    timeoutMs: 600_000,
    streamTimeoutMs: 600_000,
    rpm: null,
    tpm: null,
    weight: 1,
    order: null,
    maxRetries: null,
    extraHeaders: options.extraHeaders ?? {},
    modelInfo: {},
    litellmParams: { model: `${provider}/${upstreamModel}`, ...options.litellmParams },
  };
  return { deployment, upstreamModel, stream: options.stream ?? false, dropParams: options.dropParams ?? false };
}
