/** A Cohere call target built the way the gateway builds one: from a config deployment. */
import { parseConfigText } from '../../../src/config/load.js';
import type { UpstreamTarget } from '../../../src/providers/types.js';
import { targetOf } from '../deployment.js';

export function cohereTarget(options: { params?: string; stream?: boolean; dropParams?: boolean } = {}): UpstreamTarget {
  const params = options.params ?? 'api_key: co-key';
  const { config } = parseConfigText(`model_list:\n  - model_name: m\n    litellm_params: {model: cohere/command-a-03-2025, ${params}}\n`, '/x/c.yaml', {});
  return targetOf(config.modelList[0], options);
}
