/** An UpstreamTarget for an anthropic deployment, for the adapter's unit tests. */
import type { UpstreamTarget } from '../../../src/providers/types.js';
import { targetOf, testDeployment, type TargetOptions } from '../deployment.js';

export type { TargetOptions };

export function anthropicTarget(options: TargetOptions = {}): UpstreamTarget {
  const upstreamModel = options.upstreamModel ?? 'claude-sonnet-4-5';
  const deployment = testDeployment({
    modelName: 'claude',
    id: 'claude-deployment',
    provider: 'anthropic',
    upstreamModel,
    apiBase: options.apiBase ?? 'https://api.anthropic.com',
    apiKey: options.apiKey === undefined ? 'sk-ant-test' : options.apiKey,
    authHeader: 'x-api-key',
    authScheme: '',
    extraHeaders: options.extraHeaders ?? {},
    litellmParams: { model: `anthropic/${upstreamModel}` },
  });
  return targetOf(deployment, options);
}
