/**
 * Request parameters Ollama cannot take, and the Ollama-native ones a client may send as-is.
 *
 * An OpenAI parameter set to something other than its neutral value that Ollama has no
 * equivalent for is refused naming it, or left out under drop_params (../params.ts). Ollama's own
 * sampling and runtime options (`num_ctx`, `top_k`, `repeat_penalty`…) sent in the body go into
 * `options`, and `keep_alive` and `think` to the top level, as LiteLLM passes provider-specific
 * parameters. Anything else (user, metadata, store…) does not reach Ollama.
 */
import { OPENAI_ONLY_CHAT_PARAMS, type UnsupportedParams } from '../params.js';

/** OpenAI parameters with no Ollama equivalent, with the test for a value that changes nothing. */
export const UNSUPPORTED_CHAT_PARAMS: UnsupportedParams = new Map(OPENAI_ONLY_CHAT_PARAMS);

/** Ollama model options (the Modelfile parameters) without an OpenAI name, passed into `options`. */
export const NATIVE_OPTIONS: readonly string[] = [
  'num_ctx', 'num_keep', 'num_batch', 'num_gpu', 'main_gpu', 'num_thread', 'top_k', 'min_p', 'typical_p',
  'repeat_last_n', 'repeat_penalty', 'mirostat', 'mirostat_tau', 'mirostat_eta', 'penalize_newline', 'tfs_z',
  'use_mmap', 'use_mlock', 'numa', 'low_vram',
];
