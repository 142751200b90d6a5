/**
 * Request parameters Cohere cannot take, and the Cohere-native ones a client may send as-is.
 *
 * An OpenAI parameter set to something other than its neutral value (n: 1, logprobs: false,
 * parallel_tool_calls: true…) that Cohere has no equivalent for is refused with
 * GatewayError('unsupported_param') naming it, or left out under drop_params. Cohere's own
 * parameters (`k`, `safety_mode`, `documents`…) sent in the body pass through, as LiteLLM passes
 * provider-specific parameters. Anything else (user, metadata, store…) does not reach Cohere.
 */
import { GatewayError } from '../../errors.js';
import type { OpenAIChatRequest, UpstreamTarget } from '../types.js';

/** OpenAI parameters with no Cohere equivalent, with the test for "set to something that matters". */
const UNSUPPORTED: readonly [string, (value: unknown) => boolean][] = [
  ['n', (v) => v !== 1],
  ['logprobs', (v) => v === true],
  ['top_logprobs', () => true],
  ['logit_bias', (v) => typeof v !== 'object' || Object.keys(v as object).length > 0],
  ['parallel_tool_calls', (v) => v === false],
  ['reasoning_effort', () => true],
  ['functions', () => true],
  ['function_call', () => true],
  ['audio', () => true],
  ['modalities', (v) => !(Array.isArray(v) && v.length === 1 && v[0] === 'text')],
  ['prediction', () => true],
  ['web_search_options', () => true],
];

/** Cohere v2 chat parameters without an OpenAI name, passed through when a client sends them. */
export const NATIVE_CHAT_PARAMS: readonly string[] = ['k', 'safety_mode', 'documents', 'citation_options', 'strict_tools', 'thinking', 'priority'];

/** Refuses (or, under drop_params, ignores) every OpenAI parameter of `req` that Cohere cannot take. */
export function checkUnsupported(req: OpenAIChatRequest, target: UpstreamTarget): void {
  for (const [name, matters] of UNSUPPORTED) {
    const value = req[name];
    if (value === undefined || value === null || !matters(value)) continue;
    refuse(name, `Cohere does not support '${name}'`, target);
  }
}

/** Throws unsupported_param for `param` unless the deployment drops parameters. */
function refuse(param: string, message: string, target: UpstreamTarget): void {
  if (target.dropParams) return;
  throw new GatewayError('unsupported_param', `${message}; set drop_params: true to leave it out.`, { param });
}

/** A content the request carries that Cohere cannot take: refused whatever drop_params says (dropping it would change the prompt). */
export function unsupportedContent(param: string, message: string): GatewayError {
  return new GatewayError('unsupported_param', message, { param });
}
