// Token counting off the event loop for big inputs: inputs above INLINE_TOKENIZE_LIMIT bytes go
// to a piscina pool of worker threads (src/workers/tokenize.ts), smaller ones are counted inline
// (a 256 KiB body takes about a millisecond). The pool is created on the first big input and
// closed by closeTokenizerPool(); the encodings it uses are the same process-wide native tables.
// The pool belongs to the thread that created it: each event-loop thread that sees a big input
// starts its own (up to half the cores each; idle workers exit after 30 s).

import { availableParallelism } from 'node:os';

import { Piscina } from 'piscina';

import { countChatTokens, countTokens, type EncodingName } from './tokenizer.js';

/** Inputs up to this many bytes are counted on the calling thread. */
export const INLINE_TOKENIZE_LIMIT = 256 * 1024;

/** A task of the tokenize worker. */
export interface TokenizeTask {
  kind: 'chat' | 'text';
  encoding: EncodingName;
  data: Uint8Array | string;
}

let pool: Piscina<TokenizeTask, number> | null = null;

function workerPool(): Piscina<TokenizeTask, number> {
  pool ??= new Piscina<TokenizeTask, number>({
    filename: new URL('../workers/tokenize.js', import.meta.url).href,
    minThreads: 0,
    maxThreads: Math.max(1, Math.floor(availableParallelism() / 2)),
    idleTimeout: 30_000,
  });
  return pool;
}

function byteLength(data: Uint8Array | string): number {
  // A string's UTF-8 length is at most 3 bytes per UTF-16 unit; the exact length is not needed.
  return typeof data === 'string' ? data.length * 3 : data.byteLength;
}

/**
 * countChatTokens (see tokenizer.ts), in a worker thread when the body is bigger than
 * INLINE_TOKENIZE_LIMIT. The body is copied to the worker, never transferred, so the caller
 * keeps it intact. Rejects with the same errors.
 */
export async function countChatTokensAsync(encoding: EncodingName, body: Uint8Array): Promise<number> {
  if (body.byteLength <= INLINE_TOKENIZE_LIMIT) return countChatTokens(encoding, body);
  return workerPool().run({ kind: 'chat', encoding, data: body });
}

/** countTokens (see tokenizer.ts), in a worker thread for text over INLINE_TOKENIZE_LIMIT bytes. */
export async function countTokensAsync(encoding: EncodingName, text: Uint8Array | string): Promise<number> {
  if (byteLength(text) <= INLINE_TOKENIZE_LIMIT) return countTokens(encoding, text);
  return workerPool().run({ kind: 'text', encoding, data: text });
}

/** Stops the worker threads, if any; a later big input starts a new pool. */
export async function closeTokenizerPool(): Promise<void> {
  const current = pool;
  pool = null;
  if (current !== null) await current.destroy();
}
