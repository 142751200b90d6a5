// The only module that loads the native addon (build/Release/ailb_native.node). Everything
// else reaches native code through the plain functions and classes exported here: bytes in,
// numbers and offsets out, one native call per body.

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

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

interface NativeBinding {
  scanRequest(body: Uint8Array, out: Int32Array): number;
  scanErrorMessage(code: number): string;
  readonly scanOutLength: number;
  readonly version: string;
}

const FIELD_COUNT = 7;
// Layout of the scan output: [kind, start, end] per ScanField, then the error offset.
const ERROR_OFFSET_SLOT = FIELD_COUNT * 3;
const OUT_LENGTH = ERROR_OFFSET_SLOT + 1;
const ADDON_PATH = join('build', 'Release', 'ailb_native.node');

/** Nearest directory at or above `from` that holds a package.json: the package root. */
function packageRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`ailb native: no package.json above ${from}`);
  }
}

// Resolved from the package root rather than from this file, so the same code works compiled
// (dist/src/native/) and from sources.
function loadBinding(): NativeBinding {
  const file = join(packageRoot(dirname(fileURLToPath(import.meta.url))), ADDON_PATH);
  if (!existsSync(file)) {
    throw new Error(`ailb native addon is not built: ${file} is missing (run "npm run build")`);
  }
  const binding = createRequire(import.meta.url)(file) as NativeBinding;
  if (binding.scanOutLength !== OUT_LENGTH) {
    throw new Error(
      `ailb native addon at ${file} writes ${binding.scanOutLength} scan slots, expected ` +
        `${OUT_LENGTH}: rebuild it`,
    );
  }
  return binding;
}

const binding = loadBinding();

/** Version of the loaded addon. */
export const nativeVersion: string = binding.version;

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
