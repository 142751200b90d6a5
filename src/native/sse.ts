// Wrapper of the native streaming usage scanner (native/sse_usage.h): reads the usage, model,
// finish reason and output text of a provider's Server-Sent Events stream as the gateway relays
// it, one native call per chunk, and can drop the usage-only event of an OpenAI stream.

import { nativeBinding } from './binding.js';

/** The provider wire format of a stream. */
export type StreamFormat = 'openai' | 'anthropic';

export interface StreamScannerOptions {
  /**
   * OpenAI only: remove usage-only events (a `usage` object and no `choices` element) from the
   * bytes feed() returns, for a client that did not ask for usage. feed() then returns only
   * complete events and holds an unfinished one until its end (see feed()).
   */
  stripUsageEvent: boolean;
  /** Keep the decoded delta text in outputText(), to count tokens when no usage arrives. */
  collectText: boolean;
  /** Events longer than this are not interpreted and never stripped. Default 8 MiB. */
  maxEventBytes?: number;
  /** outputText() stops growing rather than pass this size. Default 16 MiB. */
  maxTextBytes?: number;
}

/**
 * Token counts as the provider reported them; null where it did not. OpenAI: inputTokens is
 * prompt_tokens (cached tokens included), cacheReadTokens prompt_tokens_details.cached_tokens.
 * Anthropic: inputTokens is input_tokens (cache reads and writes excluded), outputTokens the
 * last (cumulative) output_tokens.
 */
export interface StreamUsage {
  inputTokens: number | null;
  outputTokens: number | null;
  /** OpenAI total_tokens; Anthropic has none. */
  totalTokens: number | null;
  cacheReadTokens: number | null;
  /** Anthropic cache_creation_input_tokens; OpenAI has none. */
  cacheCreationTokens: number | null;
  /** OpenAI completion_tokens_details.reasoning_tokens; Anthropic has none. */
  reasoningTokens: number | null;
}

export interface StreamStats {
  /** Bytes fed so far. */
  bytesIn: number;
  /** Dispatched events that had data ([DONE] and malformed ones included). */
  events: number;
  /** Events whose data was neither [DONE] nor a JSON object; skipped. */
  malformedEvents: number;
  /** Events longer than maxEventBytes; skipped. */
  oversizedEvents: number;
  /** Provider error events (Anthropic `error`, or an `error` member in the data). */
  errorEvents: number;
  /** Events that carried a usage object. */
  usageEvents: number;
  strippedEvents: number;
  strippedBytes: number;
  /** Stream byte offsets [start, end) of the last event that carried usage; -1 when none. */
  usageEventStart: number;
  usageEventEnd: number;
  /** `data: [DONE]` or Anthropic message_stop was seen. */
  done: boolean;
  /** end() found an unfinished event (and interpreted it). */
  endedMidEvent: boolean;
  /** Bytes in outputText() now. */
  textBytes: number;
  /** outputText() reached maxTextBytes. */
  textTruncated: boolean;
}

interface SseBinding {
  sseCreate(format: number, flags: number, maxEventBytes: number, maxTextBytes: number): object;
  sseFeed(handle: object, chunk: Uint8Array, out: Uint8Array | undefined): number | Buffer;
  sseEnd(handle: object, out: Uint8Array | undefined): number | Buffer;
  sseRead(handle: object, out: Float64Array): void;
  sseString(handle: object, which: number): string | null;
  sseText(handle: object, take: boolean): Buffer;
  sseClose(handle: object): void;
  readonly sseOutLength: number;
}

// Layout of sseRead's output. Mirrors ReadSlot in native/glue/sse.cc.
const enum Slot {
  BytesIn = 0,
  Events,
  MalformedEvents,
  OversizedEvents,
  ErrorEvents,
  UsageEvents,
  StrippedEvents,
  StrippedBytes,
  UsageEventStart,
  UsageEventEnd,
  Done,
  EndedMidEvent,
  TextTruncated,
  TextBytes,
  HasUsage,
  Usage,
}
const USAGE_FIELDS = 6;
const OUT_LENGTH = Slot.Usage + USAGE_FIELDS;
const FLAG_STRIP = 1;
const FLAG_COLLECT_TEXT = 2;
const MODEL = 0;
const FINISH_REASON = 1;
const ERROR_TYPE = 2;

const DEFAULT_MAX_EVENT_BYTES = 8 * 1024 * 1024;
const DEFAULT_MAX_TEXT_BYTES = 16 * 1024 * 1024;
const OPTION_NAMES: ReadonlySet<string> = new Set([
  'stripUsageEvent',
  'collectText',
  'maxEventBytes',
  'maxTextBytes',
]);

const binding = nativeBinding as unknown as SseBinding;
if (binding.sseOutLength !== OUT_LENGTH) {
  throw new Error(`ailb native addon writes ${binding.sseOutLength} stream slots, expected ${OUT_LENGTH}: rebuild it`);
}

// One per thread (module instances are per isolate); every read copies out of it at once.
const readOut = new Float64Array(OUT_LENGTH);
const EMPTY = new Uint8Array(0);

function invalidOption(message: string): TypeError {
  return Object.assign(new TypeError(`StreamUsageScanner: ${message}`), { code: 'ERR_INVALID_ARG_VALUE' });
}

function byteLimit(value: unknown, name: string, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw invalidOption(`${name} must be an integer >= ${min}, got ${String(value)}`);
  }
  return value;
}

function orNull(value: number): number | null {
  return value < 0 ? null : value;
}

/**
 * Scans one upstream SSE stream as it is relayed. Make one per stream; call feed() with every
 * chunk in order, end() when the upstream finishes or aborts, read the results, then close()
 * (the native state is also freed when the object is garbage collected, later).
 * Chunk boundaries may fall anywhere: the results do not depend on them.
 */
export class StreamUsageScanner {
  private handle: object | null;
  private ended = false;
  private readonly strip: boolean;
  // Stripping: at least as many bytes as the native side holds (input not yet forwarded).
  private pending = 0;
  readonly format: StreamFormat;

  constructor(format: StreamFormat, options: StreamScannerOptions) {
    if (format !== 'openai' && format !== 'anthropic') {
      throw invalidOption(`format must be 'openai' or 'anthropic', got ${String(format)}`);
    }
    if (typeof options !== 'object' || options === null) throw invalidOption('options must be an object');
    for (const name of Object.keys(options)) {
      if (!OPTION_NAMES.has(name)) throw invalidOption(`unknown option '${name}'`);
    }
    if (typeof options.stripUsageEvent !== 'boolean') throw invalidOption('stripUsageEvent must be a boolean');
    if (typeof options.collectText !== 'boolean') throw invalidOption('collectText must be a boolean');
    if (options.stripUsageEvent && format !== 'openai') {
      throw invalidOption('stripUsageEvent applies to OpenAI streams only');
    }
    const maxEventBytes = byteLimit(options.maxEventBytes, 'maxEventBytes', DEFAULT_MAX_EVENT_BYTES, 1);
    const maxTextBytes = byteLimit(options.maxTextBytes, 'maxTextBytes', DEFAULT_MAX_TEXT_BYTES, 0);
    const flags = (options.stripUsageEvent ? FLAG_STRIP : 0) | (options.collectText ? FLAG_COLLECT_TEXT : 0);
    this.format = format;
    this.strip = options.stripUsageEvent;
    this.handle = binding.sseCreate(format === 'openai' ? 0 : 1, flags, maxEventBytes, maxTextBytes);
  }

  /**
   * Scans chunk and returns the bytes to forward to the client. Without stripUsageEvent that is
   * chunk itself. With it: the complete events that are not usage-only, as chunk itself or a
   * subarray of it when possible (no copy), else a new Buffer; an unfinished event is held
   * until the chunk that completes it (or end()), so the result may be empty. The chunk is not
   * retained: it may be reused or detached once feed() returns.
   */
  feed(chunk: Uint8Array): Uint8Array {
    const handle = this.open();
    if (!this.strip) {
      binding.sseFeed(handle, chunk, undefined);
      return chunk;
    }
    // Held bytes come first in the output, which then cannot be a view of chunk: offer a
    // buffer (from Node's pool when small) for the native side to write into.
    const out = this.pending > 0 ? Buffer.allocUnsafe(this.pending + chunk.length) : undefined;
    const forwarded = this.forwarded(binding.sseFeed(handle, chunk, out), chunk, out);
    // The whole chunk forwarded as is: nothing is held any more.
    this.pending = forwarded === chunk && chunk.length > 0 ? 0 : this.pending + chunk.length - forwarded.length;
    return forwarded;
  }

  /**
   * Ends the stream: an unfinished last event is interpreted as if it were complete (a
   * provider that closes without the final blank line still has its usage read). Returns the
   * bytes still to forward (held bytes, with stripUsageEvent; otherwise empty). feed() may not
   * be called afterwards; the results stay readable until close().
   */
  end(): Uint8Array {
    const handle = this.open();
    this.ended = true;
    const out = this.pending > 0 ? Buffer.allocUnsafe(this.pending) : undefined;
    this.pending = 0;
    return this.forwarded(binding.sseEnd(handle, out), EMPTY, out);
  }

  /** The usage the provider reported (see StreamUsage), or null when no usage object came. */
  usage(): StreamUsage | null {
    binding.sseRead(this.live(), readOut);
    if (readOut[Slot.HasUsage] === 0) return null;
    return {
      inputTokens: orNull(readOut[Slot.Usage]),
      outputTokens: orNull(readOut[Slot.Usage + 1]),
      totalTokens: orNull(readOut[Slot.Usage + 2]),
      cacheReadTokens: orNull(readOut[Slot.Usage + 3]),
      cacheCreationTokens: orNull(readOut[Slot.Usage + 4]),
      reasoningTokens: orNull(readOut[Slot.Usage + 5]),
    };
  }

  stats(): StreamStats {
    binding.sseRead(this.live(), readOut);
    return {
      bytesIn: readOut[Slot.BytesIn],
      events: readOut[Slot.Events],
      malformedEvents: readOut[Slot.MalformedEvents],
      oversizedEvents: readOut[Slot.OversizedEvents],
      errorEvents: readOut[Slot.ErrorEvents],
      usageEvents: readOut[Slot.UsageEvents],
      strippedEvents: readOut[Slot.StrippedEvents],
      strippedBytes: readOut[Slot.StrippedBytes],
      usageEventStart: readOut[Slot.UsageEventStart],
      usageEventEnd: readOut[Slot.UsageEventEnd],
      done: readOut[Slot.Done] !== 0,
      endedMidEvent: readOut[Slot.EndedMidEvent] !== 0,
      textBytes: readOut[Slot.TextBytes],
      textTruncated: readOut[Slot.TextTruncated] !== 0,
    };
  }

  /** The last model name seen (OpenAI `model`, Anthropic `message.model`), or null. */
  model(): string | null {
    return binding.sseString(this.live(), MODEL);
  }

  /** The last finish reason (OpenAI `finish_reason`, Anthropic `stop_reason`), or null. */
  finishReason(): string | null {
    return binding.sseString(this.live(), FINISH_REASON);
  }

  /** `error.type` of the last provider error event that had one, or null. */
  errorType(): string | null {
    return binding.sseString(this.live(), ERROR_TYPE);
  }

  /**
   * A copy of the output text collected so far (UTF-8; empty unless collectText), e.g. for
   * countTokens() when the stream brought no usage.
   */
  outputText(): Buffer {
    return binding.sseText(this.live(), false);
  }

  /**
   * Like outputText(), and empties the native buffer: maxTextBytes counts afresh and text is
   * collected again (stats().textTruncated stays set if text was ever dropped).
   */
  takeOutputText(): Buffer {
    return binding.sseText(this.live(), true);
  }

  /** Frees the native state now. Idempotent; any other call afterwards throws. */
  close(): void {
    if (this.handle === null) return;
    binding.sseClose(this.handle);
    this.handle = null;
  }

  get closed(): boolean {
    return this.handle === null;
  }

  // Decodes sseFeed's answer (see native/glue/sse.cc).
  private forwarded(result: number | Buffer, chunk: Uint8Array, out: Buffer | undefined): Uint8Array {
    if (typeof result !== 'number') return result;
    if (result < 0) return out!.subarray(0, -result - 1);
    return result === chunk.length ? chunk : chunk.subarray(0, result);
  }

  private live(): object {
    if (this.handle === null) {
      throw Object.assign(new Error('StreamUsageScanner is closed'), { code: 'ERR_SSE_CLOSED' });
    }
    return this.handle;
  }

  private open(): object {
    const handle = this.live();
    if (this.ended) throw Object.assign(new Error('StreamUsageScanner: the stream already ended'), { code: 'ERR_SSE_ENDED' });
    return handle;
  }
}
