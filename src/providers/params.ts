/**
 * OpenAI request parameters a translated provider cannot take, refused the same way by every
 * adapter: GatewayError('unsupported_param') naming the parameter (400), unless the deployment
 * (or litellm_settings) sets drop_params, then the parameter is left out. A value that changes
 * nothing (n 1, logprobs false…) is accepted whatever drop_params says.
 *
 * Content the provider cannot take (an image it cannot read, a message role it does not know) is
 * refused whatever drop_params says: leaving it out would change the prompt.
 */
import { GatewayError } from '../errors.js';
import type { UpstreamTarget } from './types.js';

/** Each parameter a provider cannot take, with the test for a value that changes nothing (accepted, not sent). */
export type UnsupportedParams = ReadonlyMap<string, (value: unknown) => boolean>;

/**
 * OpenAI chat parameters that no provider but OpenAI serves (several choices, logprobs, logit
 * bias, audio, predicted outputs, web search, the legacy function calling), with OpenAI's neutral
 * values; an adapter's table starts from these.
 */
export const OPENAI_ONLY_CHAT_PARAMS: readonly (readonly [string, (value: unknown) => boolean])[] = [
  ['n', (v) => v === 1],
  ['logprobs', (v) => v !== true],
  ['top_logprobs', () => false],
  ['logit_bias', (v) => typeof v === 'object' && Object.keys(v as object).length === 0],
  ['parallel_tool_calls', (v) => v !== false],
  ['functions', () => false],
  ['function_call', () => false],
  ['audio', () => false],
  ['modalities', (v) => Array.isArray(v) && v.length === 1 && v[0] === 'text'],
  ['prediction', () => false],
  ['web_search_options', () => false],
];

/** Throws for a parameter the provider cannot take, unless the deployment drops such parameters. */
export function refuse(param: string, target: UpstreamTarget, providerName: string, why = ''): void {
  if (target.dropParams) return;
  const reason = why === '' ? '' : ` (${why})`;
  throw new GatewayError('unsupported_param', `${providerName} does not support the parameter '${param}'${reason}; set drop_params: true to leave it out`, { param });
}

/**
 * Refuses (unless drop_params) the first parameter of `unsupported`, in its order, that `req`
 * sets to a value that changes something. By the table's names, not the request's keys: nothing
 * is allocated per request.
 */
export function refuseUnsupported(req: Readonly<Record<string, unknown>>, unsupported: UnsupportedParams, target: UpstreamTarget, providerName: string): void {
  if (target.dropParams) return;
  for (const [name, harmless] of unsupported) {
    const value = req[name];
    if (value === null || value === undefined || harmless(value)) continue;
    refuse(name, target, providerName);
  }
}

/** Content the provider cannot take: refused whatever drop_params says. */
export function unsupportedContent(param: string, message: string): GatewayError {
  return new GatewayError('unsupported_param', message, { param });
}
