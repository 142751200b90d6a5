// Wrapper of the native request scanner (native/json_scan.h): validates a body as strict JSON and
// reports the spans of the top-level fields the gateway acts on.

import { nativeBinding } from './binding.js';

/** Kind of a scanned JSON value. Mirrors ailb::JsonKind in native/json_scan.h. */
export const enum JsonKind {
  Absent = 0,
  String = 1,
  /** A string holding at least one backslash escape. */
  StringEscaped = 2,
  Number = 3,
  True = 4,
  False = 5,
  Null = 6,
  Object = 7,
  Array = 8,
}

/** Top-level request keys the scanner reports. Mirrors ailb::ScanField. */
export const enum ScanField {
  Model = 0,
  Stream = 1,
  StreamOptions = 2,
  MaxTokens = 3,
  MaxCompletionTokens = 4,
  User = 5,
  Messages = 6,
}

/** Codes returned by RequestScan.scan. Mirrors ailb::ScanError. */
export const enum ScanError {
  Ok = 0,
  Empty = 1,
  NotObject = 2,
  UnexpectedByte = 3,
  UnexpectedEnd = 4,
  BadString = 5,
  BadEscape = 6,
  BadUtf8 = 7,
  BadNumber = 8,
  TooDeep = 9,
  TrailingData = 10,
  TooLarge = 11,
}

interface ScanBinding {
  scanRequest(body: Uint8Array, out: Int32Array): number;
  scanErrorMessage(code: number): string;
  readonly scanOutLength: number;
}

const FIELD_COUNT = 7;
// Layout of the scan output: [kind, start, end] per ScanField, then the error offset.
const ERROR_OFFSET_SLOT = FIELD_COUNT * 3;
const OUT_LENGTH = ERROR_OFFSET_SLOT + 1;
const binding = nativeBinding as unknown as ScanBinding;
if (binding.scanOutLength !== OUT_LENGTH) {
  throw new Error(`ailb native addon writes ${binding.scanOutLength} scan slots, expected ${OUT_LENGTH}: rebuild it`);
}

// Keeps a U+FEFF at the start of a value; the default decoder would drop it.
const utf8Decoder = new TextDecoder('utf-8', { ignoreBOM: true });

function utf8Slice(body: Uint8Array, start: number, end: number): string {
  return Buffer.isBuffer(body)
    ? body.toString('utf8', start, end)
    : utf8Decoder.decode(body.subarray(start, end));
}

/**
 * Validates a request body as strict JSON and locates its top-level fields (see
 * native/json_scan.h for the full contract). Make one per thread and reuse it: scan() writes
 * into a preallocated Int32Array and creates no JS objects. Spans are byte offsets into the
 * body passed to the last scan(); the accessors describe that scan until the next one.
 */
export class RequestScan {
  private readonly out = new Int32Array(OUT_LENGTH);
  private code: number = ScanError.Ok;

  /** Scans body; returns a ScanError code, 0 when the body is valid. */
  scan(body: Uint8Array): number {
    this.code = binding.scanRequest(body, this.out);
    return this.code;
  }

  kind(field: ScanField): JsonKind {
    return this.out[field * 3] as JsonKind;
  }

  /** Byte offset where the value starts; for strings, just inside the opening quote. */
  start(field: ScanField): number {
    return this.out[field * 3 + 1];
  }

  /** Byte offset just past the value; for strings, the closing quote. */
  end(field: ScanField): number {
    return this.out[field * 3 + 2];
  }

  /** Byte offset of the problem found by the last scan (0 when it succeeded). */
  errorOffset(): number {
    return this.out[ERROR_OFFSET_SLOT];
  }

  /** The last scan's problem and where, e.g. "invalid JSON number at byte 10"; "ok" if none. */
  errorMessage(): string {
    const message = binding.scanErrorMessage(this.code);
    return this.code === ScanError.Ok ? message : `${message} at byte ${this.errorOffset()}`;
  }

  /** The decoded string value of field, or null when it is absent or not a string. */
  stringValue(body: Uint8Array, field: ScanField): string | null {
    const kind = this.kind(field);
    if (kind === JsonKind.String) return utf8Slice(body, this.start(field), this.end(field));
    if (kind === JsonKind.StringEscaped) {
      // Escapes are rare in the fields read this way; JSON.parse decodes them exactly.
      return JSON.parse(utf8Slice(body, this.start(field) - 1, this.end(field) + 1)) as string;
    }
    return null;
  }

  /** The numeric value of field (as JSON.parse reads it), or null when it is not a number. */
  numberValue(body: Uint8Array, field: ScanField): number | null {
    if (this.kind(field) !== JsonKind.Number) return null;
    return Number(utf8Slice(body, this.start(field), this.end(field)));
  }

  /** The value of field when it is true or false, otherwise null. */
  booleanValue(_body: Uint8Array, field: ScanField): boolean | null {
    const kind = this.kind(field);
    return kind === JsonKind.True ? true : kind === JsonKind.False ? false : null;
  }
}
