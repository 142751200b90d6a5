/**
 * Request parameters Ollama cannot take, and the Ollama-native ones a client may send as-is.
 *
 * An OpenAI parameter set to something other than its neutral value that Ollama has no
 * equivalent for is refused with GatewayError('unsupported_param') naming it, or left out under
 * drop_params. Ollama's own sampling and runtime options (`num_ctx`, `top_k`, `repeat_penalty`…)
 * sent in the body go into `options`, and `keep_alive` and `think` to the top level, as LiteLLM
 * passes provider-specific parameters. Anything else (user, metadata, store…) does not reach Ollama.
 */
import { GatewayError } from '../../errors.js';
import type { OpenAIChatRequest, UpstreamTarget } from '../types.js';

/** OpenAI parameters with no Ollama equivalent, with the test for "set to something that matters". */
const UNSUPPORTED: readonly [string, (value: unknown) => boolean][] = [
  ['n', (v) => v !== 1],
  ['logprobs', (v) => v === true],
  ['top_logprobs', () => true],
  ['logit_bias', (v) => typeof v !== 'object' || Object.keys(v as object).length > 0],
  ['parallel_tool_calls', (v) => v === false],
  ['functions', () => true],
  ['function_call', () => true],
  ['audio', () => true],
  ['modalities', (v) => !(Array.isArray(v) && v.length === 1 && v[0] === 'text')],
  ['prediction', () => true],
  ['web_search_options', () => true],
];

/** Ollama model options (the Modelfile parameters) without an OpenAI name, passed into `options`. */
export const NATIVE_OPTIONS: readonly string[] = [
  'num_ctx', 'num_keep', 'num_batch', 'num_gpu', 'main_gpu', 'num_thread', 'top_k', 'min_p', 'typical_p',
  'repeat_last_n', 'repeat_penalty', 'mirostat', 'mirostat_tau', 'mirostat_eta', 'penalize_newline', 'tfs_z',
  'use_mmap', 'use_mlock', 'numa', 'low_vram',
];

/** Refuses (or, under drop_params, ignores) every OpenAI parameter of `req` that Ollama cannot take. */
export function checkUnsupported(req: OpenAIChatRequest, target: UpstreamTarget): void {
  for (const [name, matters] of UNSUPPORTED) {
    const value = req[name];
    if (value === undefined || value === null || !matters(value)) continue;
    refuse(name, `Ollama does not support '${name}'`, target);
  }
}

/** Throws unsupported_param for `param` unless the deployment drops parameters. */
export function refuse(param: string, message: string, target: UpstreamTarget): void {
  if (target.dropParams) return;
  throw new GatewayError('unsupported_param', `${message}; set drop_params: true to leave it out.`, { param });
}

/** A content the request carries that Ollama cannot take: refused whatever drop_params says (dropping it would change the prompt). */
export function unsupportedContent(param: string, message: string): GatewayError {
  return new GatewayError('unsupported_param', message, { param });
}
