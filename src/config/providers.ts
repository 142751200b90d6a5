/**
 * Which providers a deployment may name, and how `litellm_params.model` splits into provider and
 * upstream model. The one place that lists the providers AILB knows but cannot call yet.
 */

import {
  lookupOpenAICompatible,
  type OpenAICompatibleProvider,
} from '../providers/openai-compatible/table.js';
import { lookupAdapter } from '../providers/registry.js';
import type { ProviderAdapter } from '../providers/types.js';

/** A bare model name (no `provider/` prefix) belongs to this provider, as in LiteLLM. */
export const DEFAULT_PROVIDER = 'openai';

/**
 * LiteLLM providers whose wire format needs translation that AILB does not have yet. A deployment
 * naming one fails validation with a clear message instead of "unknown provider"; a provider
 * leaves this list in the change that adds its translation.
 */
export const PENDING_PROVIDERS: ReadonlySet<string> = new Set([
  'anthropic_text', 'azure_ai', 'azure_text', 'sagemaker', 'sagemaker_chat',
  'huggingface', 'replicate', 'watsonx', 'watsonx_text', 'databricks', 'cloudflare', 'ai21',
  'ai21_chat', 'voyage', 'jina_ai', 'triton', 'predibase', 'clarifai', 'text-completion-openai',
  'text-completion-codestral', 'codestral', 'sambanova', 'litellm_proxy', 'github', 'friendliai',
  'volcengine', 'nlp_cloud', 'petals', 'oobabooga', 'vllm', 'llamafile', 'snowflake', 'nscale',
  'meta_llama', 'openai_like', 'aiohttp_openai', 'custom', 'dashscope', 'moonshot', 'novita',
  'infinity', 'xinference', 'galadriel', 'empower', 'anyscale', 'palm',
]);

export type ProviderResolution =
  | { readonly kind: 'openai-compatible'; readonly provider: OpenAICompatibleProvider }
  | { readonly kind: 'adapter'; readonly provider: ProviderAdapter }
  | { readonly kind: 'pending' }
  | { readonly kind: 'unknown' };

/** An adapter (src/providers/registry.ts) wins over the OpenAI-compatible table for the same prefix. */
export function resolveProvider(prefix: string): ProviderResolution {
  const adapter = lookupAdapter(prefix);
  if (adapter !== undefined) return { kind: 'adapter', provider: adapter };
  const provider = lookupOpenAICompatible(prefix);
  if (provider !== undefined) return { kind: 'openai-compatible', provider };
  if (PENDING_PROVIDERS.has(prefix)) return { kind: 'pending' };
  return { kind: 'unknown' };
}

export interface SplitModel {
  readonly provider: string;
  readonly upstreamModel: string;
}

/**
 * Splits `litellm_params.model` the way LiteLLM does: an explicit `custom_llm_provider` wins (its
 * prefix is stripped from the model when present); otherwise the text before the first `/` is the
 * provider when it names one, and a name without a known prefix belongs to openai. A first segment
 * that names no provider (`meta-llama/Llama-3`) is returned as the provider, so the caller reports
 * it as unknown rather than silently sending it to openai.
 */
export function splitModel(model: string, customProvider: string | null): SplitModel {
  if (customProvider !== null) {
    const prefix = `${customProvider}/`;
    const upstreamModel = model.startsWith(prefix) ? model.slice(prefix.length) : model;
    return { provider: customProvider, upstreamModel };
  }
  const slash = model.indexOf('/');
  if (slash <= 0) return { provider: DEFAULT_PROVIDER, upstreamModel: model };
  return { provider: model.slice(0, slash), upstreamModel: model.slice(slash + 1) };
}
