// Wrapper of the native BPE tokenizer (native/tokenizer.h, native/chat_tokens.h): exact token
// counts for o200k_base and cl100k_base, equal to tiktoken's encode_ordinary, and the prompt
// token count of a chat/completions body read straight from its bytes.
//
// Encodings load lazily: the first use of one in the process reads the tiktoken package's
// encoder file (encoders/<name>.json, no network) and hands its bytes to the addon, which builds
// one table shared by every thread. Later uses, in any thread, find it built.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

import { nativeBinding } from './binding.js';

/** The encodings the native tokenizer implements. */
export type EncodingName = 'o200k_base' | 'cl100k_base';

export const ENCODINGS: readonly EncodingName[] = ['o200k_base', 'cl100k_base'];

interface TokenizerBinding {
  tokenizerLoaded(encoding: number): boolean;
  tokenizerLoad(encoding: number, encoderJson: Uint8Array): void;
  countTokens(encoding: number, text: Uint8Array | string): number;
  encodeTokens(encoding: number, text: Uint8Array | string): Uint32Array;
  countChatTokens(encoding: number, body: Uint8Array): number;
}

const binding = nativeBinding as unknown as TokenizerBinding;
const requireFromHere = createRequire(import.meta.url);
// Index in ENCODINGS = the addon's encoding number. True once this thread saw it loaded.
const loaded: boolean[] = ENCODINGS.map(() => false);

function encodingIndex(encoding: EncodingName): number {
  const index = ENCODINGS.indexOf(encoding);
  if (index < 0) {
    throw new TypeError(`unknown encoding ${JSON.stringify(encoding)}: expected one of ${ENCODINGS.join(', ')}`);
  }
  return index;
}

/**
 * Loads an encoding now instead of on first use (it takes tens of milliseconds once per
 * process); returns its addon number.
 */
export function loadEncoding(encoding: EncodingName): number {
  const index = encodingIndex(encoding);
  if (loaded[index]) return index;
  if (!binding.tokenizerLoaded(index)) {
    const file = requireFromHere.resolve(`tiktoken/encoders/${encoding}.json`);
    binding.tokenizerLoad(index, readFileSync(file));
  }
  loaded[index] = true;
  return index;
}

/**
 * Number of tokens of text (a string, or UTF-8 bytes), as tiktoken's
 * `get_encoding(encoding).encode_ordinary(text).length`: special-token text such as
 * "<|endoftext|>" counts as ordinary text. A string's lone surrogates count as U+FFFD; bytes that
 * are not well-formed UTF-8 are encoded as byte tokens, each one a character of its own.
 */
export function countTokens(encoding: EncodingName, text: Uint8Array | string): number {
  return binding.countTokens(loadEncoding(encoding), text);
}

/** The token ids of text, as tiktoken's encode_ordinary (see countTokens). */
export function encodeTokens(encoding: EncodingName, text: Uint8Array | string): Uint32Array {
  return binding.encodeTokens(loadEncoding(encoding), text);
}

/**
 * Prompt tokens of a chat/completions request body (valid JSON, e.g. one RequestScan
 * accepted), by LiteLLM's token_counter formula: 3 per message, + 1 per `name`, the tokens of
 * every string field of each message, content parts (text; images 85 at low/auto detail, tiles
 * at high), tool call arguments, the tool definitions and tool_choice, + 3 for the reply. The
 * exact formula and its deviations from LiteLLM are in native/chat_tokens.h. Runs on this
 * thread; see countChatTokensAsync for big bodies. Throws a TypeError when body is not a JSON
 * object.
 */
export function countChatTokens(encoding: EncodingName, body: Uint8Array): number {
  const tokens = binding.countChatTokens(loadEncoding(encoding), body);
  if (tokens < 0) throw new TypeError('countChatTokens: the body is not a JSON object');
  return tokens;
}

/** The encoding of a model, and whether it is only an estimate (a model of unknown tokenizer). */
export interface ModelEncoding {
  encoding: EncodingName;
  estimate: boolean;
}

const MODEL_TO_ENCODING = requireFromHere('tiktoken/model_to_encoding.json') as Record<string, string>;

function isEncodingName(name: string | undefined): name is EncodingName {
  return name === 'o200k_base' || name === 'cl100k_base';
}

/**
 * The tokenizer of an OpenAI model name: gpt-4o*, gpt-4.1*, gpt-4.5*, gpt-5*, o1*, o3*, o4*,
 * chatgpt-4o*, gpt-oss* → o200k_base; gpt-4 and gpt-4-* (not 4o/4.1), gpt-3.5*, gpt-35*,
 * text-embedding-3*, text-embedding-ada-002 → cl100k_base; names in tiktoken's
 * model_to_encoding.json → theirs. Provider prefixes (`openai/`, `azure/`…, everything up to the
 * last `/`) and a fine-tune's `ft:` wrapper are stripped first. Anything else is o200k_base with
 * `estimate: true` (its real tokenizer is not one of these).
 */
export function encodingForModel(model: string): ModelEncoding {
  let name = model.trim().toLowerCase();
  name = name.slice(name.lastIndexOf('/') + 1);
  if (name.startsWith('ft:')) name = name.slice(3).split(':', 1)[0];
  const known = MODEL_TO_ENCODING[name];
  if (isEncodingName(known)) return { encoding: known, estimate: false };
  if (/^(gpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|chatgpt-4o|gpt-oss|o[134](?:$|[-_.]))/.test(name)) {
    return { encoding: 'o200k_base', estimate: false };
  }
  if (/^(gpt-4$|gpt-4-|gpt-3\.5|gpt-35|text-embedding-3|text-embedding-ada-002)/.test(name)) {
    return { encoding: 'cl100k_base', estimate: false };
  }
  return { encoding: 'o200k_base', estimate: true };
}

export {
  closeTokenizerPool,
  countChatTokensAsync,
  countTokensAsync,
  INLINE_TOKENIZE_LIMIT,
} from './tokenizer-pool.js';
