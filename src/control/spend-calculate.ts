/**
 * POST /spend/calculate's arithmetic: which prices a model name means, and what a call costs at
 * them. Pricing is src/spend/pricing.ts's (deploymentPricing → costOf), the same the data path
 * uses; this file only finds the deployment a name stands for and the token counts to price.
 *
 * A name is looked up, in order: a router_settings.model_group_alias; a model_list group of that
 * public name (its first deployment, whose model_info prices win over genai-prices); a wildcard
 * group (`openai/*`, longest pattern first), priced for the concrete model; a deployment whose
 * upstream model is that name (a completion response names the upstream model); and last a
 * `provider/model` name, priced from genai-prices as a deployment of that provider would be.
 */
import type { GatewayConfig, ModelDeployment } from '../config/types.js';
import { GatewayError } from '../errors.js';
import { countChatTokensAsync, encodingForModel } from '../native/index.js';
import { genaiProviderId } from '../spend/genai-prices.js';
import { concretePricing, costOf, deploymentPricing, type DeploymentPricing } from '../spend/pricing.js';
import type { TokenUsage } from '../spend/usage.js';

/** The prices a model name resolves to, and the upstream model they are for. */
export interface ResolvedPricing {
  readonly pricing: DeploymentPricing;
  /** The model a call would be made to (the concrete name for a wildcard deployment). */
  readonly upstreamModel: string;
}

/** The deployment `name` (a public name, alias or upstream model) is priced by; null when none. */
function deploymentFor(config: GatewayConfig, name: string): { deployment: ModelDeployment; upstream: string } | null {
  const group = config.routerSettings.modelGroupAlias[name] ?? name;
  const exact = config.modelList.find((d) => d.modelName === group);
  if (exact !== undefined) return { deployment: exact, upstream: exact.upstreamModel };
  const wildcards = config.modelList
    .filter((d) => d.modelName.includes('*'))
    .map((d) => {
      const star = d.modelName.indexOf('*');
      return { d, prefix: d.modelName.slice(0, star), suffix: d.modelName.slice(star + 1) };
    })
    .sort((a, b) => b.prefix.length + b.suffix.length - (a.prefix.length + a.suffix.length));
  for (const { d, prefix, suffix } of wildcards) {
    if (name.length >= prefix.length + suffix.length && name.startsWith(prefix) && name.endsWith(suffix)) {
      return { deployment: d, upstream: d.upstreamModel.replace('*', name.slice(prefix.length, name.length - suffix.length)) };
    }
  }
  const upstream = config.modelList.find((d) => !d.upstreamModel.includes('*') && (d.upstreamModel === name || `${d.provider}/${d.upstreamModel}` === name));
  return upstream === undefined ? null : { deployment: upstream, upstream: upstream.upstreamModel };
}

/**
 * The prices of `name`, or a 400 `unknown_model` naming `param` when no deployment serves it and
 * it is not a `provider/model` genai-prices knows, or when its deployment has no prices.
 */
export function resolvePricing(config: GatewayConfig, name: string, param: string): ResolvedPricing {
  const found = deploymentFor(config, name);
  let pricing: DeploymentPricing;
  let upstreamModel: string;
  if (found !== null) {
    pricing = concretePricing(deploymentPricing(found.deployment), found.upstream);
    upstreamModel = found.upstream;
  } else {
    const slash = name.indexOf('/');
    const provider = slash > 0 ? name.slice(0, slash) : '';
    if (slash <= 0 || genaiProviderId(provider) === null) {
      throw new GatewayError(
        'unknown_model',
        `"${param}": no deployment serves ${JSON.stringify(name)}; name a model_list model, or a provider/model that genai-prices prices (e.g. openai/gpt-4o).`,
        { param },
      );
    }
    upstreamModel = name.slice(slash + 1);
    pricing = deploymentPricing({ provider, upstreamModel, modelInfo: {} });
  }
  if (pricing.variants.length === 0) {
    throw new GatewayError('unknown_model', `"${param}": ${JSON.stringify(name)} has no prices (${pricing.label}); set model_info.input_cost_per_token and output_cost_per_token.`, { param });
  }
  return { pricing, upstreamModel };
}

/** Prompt tokens of chat `messages` for `upstreamModel`, by the same native count the data path uses. */
export async function promptTokensOf(upstreamModel: string, messages: readonly unknown[]): Promise<{ tokens: number; estimated: boolean }> {
  const { encoding, estimate } = encodingForModel(upstreamModel);
  const body = Buffer.from(JSON.stringify({ model: upstreamModel, messages }), 'utf8');
  return { tokens: await countChatTokensAsync(encoding, body), estimated: estimate };
}

/** The cost of `usage` at `resolved`'s prices in force at `nowMs` (USD, picodollar grid). */
export function costAt(resolved: ResolvedPricing, usage: TokenUsage, nowMs: number): number {
  // resolvePricing() refused pricings without variants, so costOf cannot be null here.
  return costOf(resolved.pricing, usage, nowMs) ?? 0;
}
