/**
 * Providers that speak the OpenAI HTTP API as-is, keyed by the prefix a LiteLLM config writes
 * before the model name (`groq/llama-3.3-70b-versatile`).
 *
 * For these the gateway forwards the request bytes unchanged (only `model` is rewritten), so all a
 * provider needs is where to send them and how to present the credential. The environment
 * variable names are LiteLLM's, so an existing LiteLLM deployment's environment works unchanged.
 *
 * Ollama is not here although it serves an OpenAI-compatible API: LiteLLM's `ollama` and
 * `ollama_chat` call its native API, which the ollama adapter speaks (src/providers/ollama/).
 */
import type { ProviderEndpoint } from '../types.js';

/** An OpenAI-compatible provider is only where it lives and how its key is sent. */
export type OpenAICompatibleProvider = ProviderEndpoint;

interface ProviderSpec {
  readonly defaultApiBase: string | null;
  readonly apiBaseEnv?: readonly string[];
  readonly apiKeyEnv?: readonly string[];
  readonly keyRequired?: boolean;
  readonly wellKnownModels?: readonly string[];
}

/** Fills the fields every OpenAI-compatible provider shares (bearer auth, key required). */
function provider(prefix: string, spec: ProviderSpec): OpenAICompatibleProvider {
  return Object.freeze({
    prefix,
    defaultApiBase: spec.defaultApiBase,
    apiBaseSuffix: '',
    apiBaseEnv: Object.freeze([...(spec.apiBaseEnv ?? [])]),
    apiKeyEnv: Object.freeze([...(spec.apiKeyEnv ?? [])]),
    keyRequired: spec.keyRequired ?? true,
    authHeader: 'authorization',
    authScheme: 'Bearer ',
    wellKnownModels: Object.freeze([...(spec.wellKnownModels ?? [])]),
  });
}

/** Providers that need a base URL from the config and nothing else. */
const CUSTOM_ENDPOINT: ProviderSpec = { defaultApiBase: null, keyRequired: false };

const PROVIDERS: readonly OpenAICompatibleProvider[] = [
  provider('openai', {
    defaultApiBase: 'https://api.openai.com/v1',
    apiBaseEnv: ['OPENAI_BASE_URL', 'OPENAI_API_BASE'],
    apiKeyEnv: ['OPENAI_API_KEY'],
    wellKnownModels: [
      'gpt-4o', 'gpt-4o-mini', 'gpt-4.1', 'gpt-4.1-mini', 'gpt-4.1-nano', 'o3', 'o4-mini',
      'text-embedding-3-small', 'text-embedding-3-large',
    ],
  }),
  provider('groq', {
    defaultApiBase: 'https://api.groq.com/openai/v1',
    apiBaseEnv: ['GROQ_API_BASE'],
    apiKeyEnv: ['GROQ_API_KEY'],
    wellKnownModels: ['llama-3.3-70b-versatile', 'llama-3.1-8b-instant'],
  }),
  provider('together_ai', {
    defaultApiBase: 'https://api.together.xyz/v1',
    apiBaseEnv: ['TOGETHER_AI_API_BASE'],
    apiKeyEnv: ['TOGETHER_API_KEY', 'TOGETHER_AI_API_KEY', 'TOGETHERAI_API_KEY', 'TOGETHER_AI_TOKEN'],
    wellKnownModels: ['meta-llama/Llama-3.3-70B-Instruct-Turbo', 'deepseek-ai/DeepSeek-V3'],
  }),
  provider('fireworks_ai', {
    defaultApiBase: 'https://api.fireworks.ai/inference/v1',
    apiBaseEnv: ['FIREWORKS_API_BASE', 'FIREWORKS_AI_API_BASE'],
    apiKeyEnv: ['FIREWORKS_API_KEY', 'FIREWORKS_AI_API_KEY', 'FIREWORKSAI_API_KEY', 'FIREWORKS_AI_TOKEN'],
    wellKnownModels: [
      'accounts/fireworks/models/llama-v3p3-70b-instruct',
      'accounts/fireworks/models/deepseek-v3',
    ],
  }),
  provider('deepseek', {
    defaultApiBase: 'https://api.deepseek.com/v1',
    apiBaseEnv: ['DEEPSEEK_API_BASE'],
    apiKeyEnv: ['DEEPSEEK_API_KEY'],
    wellKnownModels: ['deepseek-chat', 'deepseek-reasoner'],
  }),
  provider('mistral', {
    defaultApiBase: 'https://api.mistral.ai/v1',
    apiBaseEnv: ['MISTRAL_API_BASE'],
    apiKeyEnv: ['MISTRAL_API_KEY'],
    wellKnownModels: ['mistral-large-latest', 'mistral-small-latest', 'codestral-latest'],
  }),
  provider('openrouter', {
    defaultApiBase: 'https://openrouter.ai/api/v1',
    apiBaseEnv: ['OPENROUTER_API_BASE'],
    apiKeyEnv: ['OPENROUTER_API_KEY', 'OR_API_KEY'],
    wellKnownModels: ['openai/gpt-4o', 'anthropic/claude-3.5-sonnet'],
  }),
  provider('xai', {
    defaultApiBase: 'https://api.x.ai/v1',
    apiBaseEnv: ['XAI_API_BASE'],
    apiKeyEnv: ['XAI_API_KEY'],
    wellKnownModels: ['grok-3', 'grok-3-mini'],
  }),
  provider('perplexity', {
    defaultApiBase: 'https://api.perplexity.ai',
    apiBaseEnv: ['PERPLEXITY_API_BASE'],
    apiKeyEnv: ['PERPLEXITYAI_API_KEY', 'PERPLEXITY_API_KEY'],
    wellKnownModels: ['sonar', 'sonar-pro'],
  }),
  provider('cerebras', {
    defaultApiBase: 'https://api.cerebras.ai/v1',
    apiBaseEnv: ['CEREBRAS_API_BASE'],
    apiKeyEnv: ['CEREBRAS_API_KEY'],
    wellKnownModels: ['llama3.1-8b', 'llama-3.3-70b'],
  }),
  provider('deepinfra', {
    defaultApiBase: 'https://api.deepinfra.com/v1/openai',
    apiBaseEnv: ['DEEPINFRA_API_BASE'],
    apiKeyEnv: ['DEEPINFRA_API_KEY'],
    wellKnownModels: ['meta-llama/Meta-Llama-3.1-8B-Instruct', 'meta-llama/Llama-3.3-70B-Instruct'],
  }),
  provider('nvidia_nim', {
    defaultApiBase: 'https://integrate.api.nvidia.com/v1',
    apiBaseEnv: ['NVIDIA_NIM_API_BASE'],
    apiKeyEnv: ['NVIDIA_NIM_API_KEY'],
    wellKnownModels: ['meta/llama-3.1-8b-instruct', 'meta/llama-3.3-70b-instruct'],
  }),
  provider('hosted_vllm', {
    defaultApiBase: null,
    apiBaseEnv: ['HOSTED_VLLM_API_BASE'],
    apiKeyEnv: ['HOSTED_VLLM_API_KEY'],
    keyRequired: false,
  }),
  provider('lm_studio', {
    defaultApiBase: 'http://localhost:1234/v1',
    apiBaseEnv: ['LM_STUDIO_API_BASE'],
    apiKeyEnv: ['LM_STUDIO_API_KEY'],
    keyRequired: false,
  }),
  provider('openai_compatible', CUSTOM_ENDPOINT),
  provider('custom_openai', CUSTOM_ENDPOINT),
];

const BY_PREFIX: ReadonlyMap<string, OpenAICompatibleProvider> = new Map(
  PROVIDERS.map((p) => [p.prefix, p]),
);

/** Every OpenAI-compatible provider, in a stable order (the order of the env-derived model list). */
export const OPENAI_COMPATIBLE_PROVIDERS: readonly OpenAICompatibleProvider[] = Object.freeze(PROVIDERS);

/** The provider for a `litellm_params.model` prefix, or undefined when it is not OpenAI-compatible. */
export function lookupOpenAICompatible(prefix: string): OpenAICompatibleProvider | undefined {
  return BY_PREFIX.get(prefix);
}

/**
 * A base URL as requests use it: trailing slashes removed and the provider's required path suffix
 * appended when the written URL lacks it.
 */
export function normalizeApiBase(p: { readonly apiBaseSuffix: string }, apiBase: string): string {
  const trimmed = apiBase.replace(/\/+$/, '');
  if (p.apiBaseSuffix === '' || trimmed.endsWith(p.apiBaseSuffix)) return trimmed;
  return trimmed + p.apiBaseSuffix;
}

/** The first of `names` set (non-empty) in `env`, or null. */
export function firstEnv(env: NodeJS.ProcessEnv, names: readonly string[]): string | null {
  for (const name of names) {
    const value = env[name];
    if (value !== undefined && value !== '') return value;
  }
  return null;
}
