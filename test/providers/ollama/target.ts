/** An Ollama call target built the way the gateway builds one: from a config deployment. */
import { parseConfigText } from '../../../src/config/load.js';
import type { UpstreamTarget } from '../../../src/providers/types.js';
import { targetOf } from '../deployment.js';

export function ollamaTarget(options: { params?: string; model?: string; stream?: boolean; dropParams?: boolean } = {}): UpstreamTarget {
  const params = options.params !== undefined ? `, ${options.params}` : '';
  const model = options.model ?? 'ollama_chat/llama3.2';
  const { config } = parseConfigText(`model_list:\n  - model_name: m\n    litellm_params: {model: ${model}${params}}\n`, '/x/c.yaml', {});
  return targetOf(config.modelList[0], options);
}
