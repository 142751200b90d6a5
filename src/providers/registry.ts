/**
 * Every provider adapter (providers whose wire format needs translation, or whose path and auth
 * differ from OpenAI's), by prefix. The config loader and the pipeline find adapters only here.
 */
import { adapter as anthropic } from './anthropic/index.js';
import { adapter as azure } from './azure/index.js';
import { adapter as bedrock } from './bedrock/index.js';
import { adapter as cohere } from './cohere/index.js';
import { adapter as gemini } from './gemini/index.js';
import { adapter as ollama } from './ollama/index.js';
import { adapter as vertexAi } from './vertex_ai/index.js';
import type { ProviderAdapter } from './types.js';

export const PROVIDER_ADAPTERS: readonly ProviderAdapter[] = Object.freeze(
  [anthropic, azure, bedrock, cohere, gemini, ollama, vertexAi].filter((a): a is ProviderAdapter => a !== null),
);

const BY_PREFIX = new Map<string, ProviderAdapter>();
for (const adapter of PROVIDER_ADAPTERS) {
  for (const prefix of [adapter.prefix, ...adapter.aliases]) BY_PREFIX.set(prefix, adapter);
}

/** The adapter for a provider prefix (`anthropic`, `bedrock_converse`…), or undefined. */
export function lookupAdapter(prefix: string): ProviderAdapter | undefined {
  return BY_PREFIX.get(prefix);
}
