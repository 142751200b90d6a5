/**
 * The model list used when there is no config file: one group per well-known model of every
 * provider whose API key is set (OpenAI-compatible ones and those with an adapter), plus a `<provider>/*` wildcard for the rest of its models.
 */

import { firstEnv, OPENAI_COMPATIBLE_PROVIDERS } from '../providers/openai-compatible/table.js';
import { PROVIDER_ADAPTERS } from '../providers/registry.js';
import type { ProviderEndpoint } from '../providers/types.js';
import { DEFAULT_PROVIDER } from './providers.js';

/** A model_list entry as a config file would write it. */
export interface WrittenModelEntry {
  readonly model_name: string;
  readonly litellm_params: { readonly model: string };
}

/**
 * The default provider's models are public under their bare names (`gpt-4o`), as LiteLLM clients
 * expect; other providers keep their prefix (`groq/llama-3.3-70b-versatile`), so names from
 * different providers never collide.
 */
function publicName(provider: ProviderEndpoint, model: string): string {
  return provider.prefix === DEFAULT_PROVIDER ? model : `${provider.prefix}/${model}`;
}

/**
 * Entries for each provider that needs a key and has one in `env`. Providers that need no key
 * (local servers) are left out: an unset variable cannot tell that one is running. Keys are not
 * written into the entries; the deployment parser reads them from `env` as for any deployment.
 */
export function environmentModelList(env: NodeJS.ProcessEnv): WrittenModelEntry[] {
  const entries: WrittenModelEntry[] = [];
  const providers: readonly ProviderEndpoint[] = [...OPENAI_COMPATIBLE_PROVIDERS, ...PROVIDER_ADAPTERS];
  for (const provider of providers) {
    if (!provider.keyRequired || firstEnv(env, provider.apiKeyEnv) === null) continue;
    for (const model of provider.wellKnownModels) {
      entries.push({ model_name: publicName(provider, model), litellm_params: { model: `${provider.prefix}/${model}` } });
    }
    const wildcard = `${provider.prefix}/*`;
    entries.push({ model_name: wildcard, litellm_params: { model: wildcard } });
  }
  return entries;
}
