/** Deployments and call targets for the Bedrock adapter's unit tests. */
import type { ModelDeployment } from '../../../src/config/types.js';
import type { UpstreamTarget } from '../../../src/providers/types.js';
import { targetOf, testDeployment } from '../deployment.js';

export const CLAUDE = 'anthropic.claude-3-5-sonnet-20240620-v1:0';

export function bedrockDeployment(litellmParams: Record<string, unknown> = {}, overrides: Partial<ModelDeployment> = {}): ModelDeployment {
  return testDeployment({
    modelName: 'claude',
    id: 'bedrock-test',
    provider: 'bedrock',
    upstreamModel: CLAUDE,
    apiBase: 'https://bedrock-runtime.us-east-1.amazonaws.com',
    apiKey: null,
    authHeader: 'authorization',
    authScheme: 'Bearer ',
    timeoutMs: 60_000,
    streamTimeoutMs: 60_000,
    litellmParams: { aws_access_key_id: 'AKIDEXAMPLE', aws_secret_access_key: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', aws_region_name: 'us-east-1', ...litellmParams },
    ...overrides,
  });
}

export function bedrockTarget(options: { model?: string; stream?: boolean; dropParams?: boolean; deployment?: ModelDeployment } = {}): UpstreamTarget {
  return targetOf(options.deployment ?? bedrockDeployment(), { ...options, upstreamModel: options.model ?? CLAUDE });
}
