/**
 * Request parameters Cohere cannot take, and the Cohere-native ones a client may send as-is.
 *
 * An OpenAI parameter set to something other than its neutral value (n: 1, logprobs: false,
 * parallel_tool_calls: true…) that Cohere has no equivalent for is refused naming it, or left out
 * under drop_params (../params.ts). Cohere's own parameters (`k`, `safety_mode`, `documents`…)
 * sent in the body pass through, as LiteLLM passes provider-specific parameters. Anything else
 * (user, metadata, store…) does not reach Cohere.
 */
import { OPENAI_ONLY_CHAT_PARAMS, type UnsupportedParams } from '../params.js';

/** OpenAI parameters with no Cohere equivalent, with the test for a value that changes nothing. */
export const UNSUPPORTED_CHAT_PARAMS: UnsupportedParams = new Map([...OPENAI_ONLY_CHAT_PARAMS, ['reasoning_effort', () => false]]);

/** Cohere v2 chat parameters without an OpenAI name, passed through when a client sends them. */
export const NATIVE_CHAT_PARAMS: readonly string[] = ['k', 'safety_mode', 'documents', 'citation_options', 'strict_tools', 'thinking', 'priority'];
