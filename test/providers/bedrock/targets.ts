/** Deployments and call targets for the Bedrock adapter's unit tests. */
import type { ModelDeployment } from '../../../src/config/types.js';
import type { UpstreamTarget } from '../../../src/providers/types.js';

export const CLAUDE = 'anthropic.claude-3-5-sonnet-20240620-v1:0';

export function bedrockDeployment(litellmParams: Record<string, unknown> = {}, overrides: Partial<ModelDeployment> = {}): ModelDeployment {
  return {
    modelName: 'claude',
    id: 'bedrock-test',
    provider: 'bedrock',
    upstreamModel: CLAUDE,
    apiBase: 'https://bedrock-runtime.us-east-1.amazonaws.com',
    apiKey: null,
    authHeader: 'authorization',
    authScheme: 'Bearer ',
    apiVersion: null,
    organization: null,
    timeoutMs: 60_000,
    streamTimeoutMs: 60_000,
    rpm: null,
    tpm: null,
    weight: 1,
    order: null,
    maxRetries: null,
    extraHeaders: {},
    modelInfo: {},
    litellmParams: { aws_access_key_id: 'AKIDEXAMPLE', aws_secret_access_key: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', aws_region_name: 'us-east-1', ...litellmParams },
    ...overrides,
  };
}

export function bedrockTarget(options: { model?: string; stream?: boolean; dropParams?: boolean; deployment?: ModelDeployment } = {}): UpstreamTarget {
  return {
    deployment: options.deployment ?? bedrockDeployment(),
    upstreamModel: options.model ?? CLAUDE,
    stream: options.stream ?? false,
    dropParams: options.dropParams ?? false,
  };
}
