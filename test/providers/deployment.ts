/** Deployments and call targets for the adapters' unit tests, with the fields no adapter reads filled in. */
import type { ModelDeployment } from '../../src/config/types.js';
import type { UpstreamTarget } from '../../src/providers/types.js';

type Identity = Pick<ModelDeployment, 'modelName' | 'id' | 'provider' | 'upstreamModel' | 'apiBase' | 'apiKey' | 'authHeader' | 'authScheme'>;

/** A deployment with these fields; timeouts, limits and routing at their defaults, no extra headers. */
export function testDeployment(fields: Identity & Partial<ModelDeployment>): ModelDeployment {
  return {
    apiVersion: null,
    organization: null,
    timeoutMs: 600_000,
    streamTimeoutMs: 600_000,
    rpm: null,
    tpm: null,
    weight: 1,
    order: null,
    maxRetries: null,
    extraHeaders: {},
    modelInfo: {},
    litellmParams: {},
    ...fields,
  };
}

export interface CallOptions {
  readonly upstreamModel?: string;
  readonly stream?: boolean;
  readonly dropParams?: boolean;
}

/** What a test sets of a deployment (its endpoint and key) and of a call to it. */
export interface TargetOptions extends CallOptions {
  readonly apiBase?: string;
  readonly apiKey?: string | null;
  readonly extraHeaders?: Record<string, string>;
}

/** A call to `deployment`: its upstream model unless another is given, not streamed, parameters not dropped. */
export function targetOf(deployment: ModelDeployment, options: CallOptions = {}): UpstreamTarget {
  return { deployment, upstreamModel: options.upstreamModel ?? deployment.upstreamModel, stream: options.stream ?? false, dropParams: options.dropParams ?? false };
}
