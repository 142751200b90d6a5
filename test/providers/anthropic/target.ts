/** An UpstreamTarget for an anthropic deployment, for the adapter's unit tests. */
import type { ModelDeployment } from '../../../src/config/types.js';
import type { UpstreamTarget } from '../../../src/providers/types.js';

export interface TargetOptions {
  readonly apiBase?: string;
  readonly apiKey?: string | null;
  readonly extraHeaders?: Record<string, string>;
  readonly stream?: boolean;
  readonly dropParams?: boolean;
  readonly upstreamModel?: string;
}

export function anthropicTarget(options: TargetOptions = {}): UpstreamTarget {
  const upstreamModel = options.upstreamModel ?? 'claude-sonnet-4-5';
  const deployment: ModelDeployment = {
    modelName: 'claude',
    id: 'claude-deployment',
    provider: 'anthropic',
    upstreamModel,
    apiBase: options.apiBase ?? 'https://api.anthropic.com',
    apiKey: options.apiKey === undefined ? 'sk-ant-test' : options.apiKey,
    authHeader: 'x-api-key',
    authScheme: '',
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
    litellmParams: { model: `anthropic/${upstreamModel}` },
  };
  return { deployment, upstreamModel, stream: options.stream ?? false, dropParams: options.dropParams ?? false };
}
