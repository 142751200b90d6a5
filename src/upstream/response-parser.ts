/**
 * Incremental HTTP/1.1 response parser for the upstream client: status line, headers, then the
 * body framed by Content-Length, chunked transfer coding, or the connection's end.
 *
 * Contract: `push(chunk)` may be called with any split of the bytes (a header or a chunk-size
 * line cut anywhere). Body bytes are handed out as views of the pushed chunks (no copies, chunked
 * framing removed), valid only while the sink's `onBody` runs. Interim 1xx responses are skipped. A malformed response is reported once
 * through `onError` and the parser then ignores further input. Header names are lower-cased.
 */

export interface ResponseSink {
  onHead(status: number, headers: Record<string, string>, keepAlive: boolean): void;
  /** A piece of the decoded body, valid only during the call. Return false to ask the caller to pause reading. */
  onBody(chunk: Buffer): boolean;
  onComplete(): void;
  onError(error: Error): void;
}

const enum State {
  Head,
  BodyLength,
  ChunkSize,
  ChunkData,
  ChunkDataEnd,
  Trailers,
  BodyUntilClose,
  Done,
  Failed,
}

/** Largest response head accepted; a provider's headers are a few KiB. */
const MAX_HEAD_BYTES = 64 * 1024;
const CRLF_CRLF = Buffer.from('\r\n\r\n');

export class ProtocolError extends Error {
  readonly code = 'AILB_UPSTREAM_PROTOCOL';
}

const BARE_CR_OR_LF = /\r(?!\n)|(?<!\r)\n/;

function isOptionalWhitespace(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

/**
 * Lower-cased header names by the name as it arrived. An upstream sends the same dozen names on
 * every response; looking them up here costs less than lower-casing (and trimming) a new string
 * for each, and hands out one string per name. Bounded: a server inventing names cannot grow it.
 */
const HEADER_NAMES = new Map<string, string>();
const HEADER_NAMES_LIMIT = 512;

function headerName(raw: string): string {
  const known = HEADER_NAMES.get(raw);
  if (known !== undefined) return known;
  const name = raw.trim().toLowerCase();
  if (HEADER_NAMES.size >= HEADER_NAMES_LIMIT) HEADER_NAMES.clear();
  HEADER_NAMES.set(raw, name);
  return name;
}

export class ResponseParser {
  private state = State.Head;
  private sink: ResponseSink;
  /** Bytes kept between pushes: an unfinished head, chunk-size line or trailer section. */
  private pending: Buffer | null = null;
  private remaining = 0;
  private noBody = false;
  /** Whether any byte of this response has arrived (a reused connection that fails before any is safe to retry). */
  sawBytes = false;

  constructor(sink: ResponseSink, options: { noBody?: boolean } = {}) {
    this.sink = sink;
    this.noBody = options.noBody ?? false;
  }

  get complete(): boolean {
    return this.state === State.Done;
  }

  /** True while the body runs until the connection closes (no length, not chunked). */
  get readsUntilClose(): boolean {
    return this.state === State.BodyUntilClose;
  }

  /**
   * Feeds bytes from the socket. Returns false when the sink asked to pause. `chunk` is only lent
   * for the call (the socket reads into one buffer shared by every connection of the thread): what
   * must outlive it is copied, and the body views given to `onBody` are valid only during that call.
   */
  push(chunk: Buffer): boolean {
    if (chunk.length > 0) this.sawBytes = true;
    let data = chunk;
    if (this.pending !== null) {
      data = Buffer.concat([this.pending, chunk]);
      this.pending = null;
    }
    let offset = 0;
    let keepReading = true;
    while (offset < data.length) {
      switch (this.state) {
        case State.Head: {
          const end = data.indexOf(CRLF_CRLF, offset);
          if (end < 0) {
            if (data.length - offset > MAX_HEAD_BYTES) return this.fail(`response head larger than ${MAX_HEAD_BYTES} bytes`);
            this.pending = Buffer.from(data.subarray(offset)); // a copy: `chunk` is only lent
            return keepReading;
          }
          const ok = this.parseHead(data.toString('latin1', offset, end));
          offset = end + 4;
          if (!ok) return false;
          break;
        }
        case State.BodyLength: {
          const take = Math.min(this.remaining, data.length - offset);
          this.remaining -= take;
          const piece = data.subarray(offset, offset + take);
          offset += take;
          if (!this.sink.onBody(piece)) keepReading = false;
          if (this.remaining === 0) this.finish();
          break;
        }
        case State.ChunkSize: {
          const lineEnd = data.indexOf(10, offset); // \n
          if (lineEnd < 0) {
            if (data.length - offset > 1024) return this.fail('chunk-size line too long');
            this.pending = Buffer.from(data.subarray(offset)); // a copy: `chunk` is only lent
            return keepReading;
          }
          const line = data.toString('latin1', offset, lineEnd).replace(/\r$/, '');
          offset = lineEnd + 1;
          const sizeText = line.split(';', 1)[0].trim();
          if (!/^[0-9a-fA-F]{1,12}$/.test(sizeText)) return this.fail(`invalid chunk size '${line.slice(0, 40)}'`);
          const size = Number.parseInt(sizeText, 16);
          if (size === 0) this.state = State.Trailers;
          else {
            this.remaining = size;
            this.state = State.ChunkData;
          }
          break;
        }
        case State.ChunkData: {
          const take = Math.min(this.remaining, data.length - offset);
          this.remaining -= take;
          const piece = data.subarray(offset, offset + take);
          offset += take;
          if (!this.sink.onBody(piece)) keepReading = false;
          if (this.remaining === 0) this.state = State.ChunkDataEnd;
          break;
        }
        case State.ChunkDataEnd: {
          // The CRLF after a chunk's data; tolerate a bare LF.
          const byte = data[offset];
          if (byte === 13) offset++;
          else if (byte === 10) {
            offset++;
            this.state = State.ChunkSize;
          } else return this.fail('missing CRLF after chunk data');
          break;
        }
        case State.Trailers: {
          // Trailer fields are ignored; the section ends at an empty line.
          const lineEnd = data.indexOf(10, offset);
          if (lineEnd < 0) {
            if (data.length - offset > MAX_HEAD_BYTES) return this.fail('trailer section too large');
            this.pending = Buffer.from(data.subarray(offset)); // a copy: `chunk` is only lent
            return keepReading;
          }
          const empty = lineEnd === offset || (lineEnd === offset + 1 && data[offset] === 13);
          offset = lineEnd + 1;
          if (empty) this.finish();
          break;
        }
        case State.BodyUntilClose: {
          if (!this.sink.onBody(data.subarray(offset))) keepReading = false;
          offset = data.length;
          break;
        }
        case State.Done:
          // Bytes after a complete response on a connection we did not pipeline: a broken server.
          return this.fail('unexpected bytes after the response');
        case State.Failed:
          return false;
      }
    }
    return keepReading;
  }

  /** The connection ended. Completes a close-delimited body; anything else unfinished is an error. */
  end(): void {
    if (this.state === State.BodyUntilClose) this.finish();
    else if (this.state !== State.Done && this.state !== State.Failed) {
      this.state = State.Failed;
      this.sink.onError(new ProtocolError('upstream closed the connection before the response was complete'));
    }
  }

  private parseHead(head: string): boolean {
    // Lines end in CRLF; a bare CR or LF would let a header value carry a line of its own
    // (headers are relayed as `llm_provider-*`): refuse the response instead.
    if (BARE_CR_OR_LF.test(head)) return this.fail('bare CR or LF in the response head');
    // Status line: "HTTP/1.x NNN[ reason]". Parsed by position: it is on every response.
    const firstEnd = head.indexOf('\r\n');
    const statusLine = firstEnd < 0 ? head : head.slice(0, firstEnd);
    const minor = statusLine.charCodeAt(7);
    const status = Number(statusLine.slice(9, 12));
    if (
      !statusLine.startsWith('HTTP/1.') ||
      (minor !== 48 && minor !== 49) ||
      statusLine.charCodeAt(8) !== 32 ||
      !(status >= 100 && status <= 999) ||
      (statusLine.length > 12 && statusLine.charCodeAt(12) !== 32)
    ) {
      return this.fail(`invalid status line '${statusLine.slice(0, 60)}'`);
    }
    const headers: Record<string, string> = {};
    let lineStart = firstEnd < 0 ? head.length : firstEnd + 2;
    while (lineStart < head.length) {
      let lineEnd = head.indexOf('\r\n', lineStart);
      if (lineEnd < 0) lineEnd = head.length;
      const colon = head.indexOf(':', lineStart);
      if (colon <= lineStart || colon > lineEnd) return this.fail(`invalid header line '${head.slice(lineStart, Math.min(lineEnd, lineStart + 60))}'`);
      const name = headerName(head.slice(lineStart, colon));
      // The value without the optional whitespace around it (RFC 9110 §5.5), sliced once.
      let valueStart = colon + 1;
      let valueEnd = lineEnd;
      while (valueStart < valueEnd && isOptionalWhitespace(head.charCodeAt(valueStart))) valueStart++;
      while (valueEnd > valueStart && isOptionalWhitespace(head.charCodeAt(valueEnd - 1))) valueEnd--;
      const value = head.slice(valueStart, valueEnd);
      const previous = headers[name];
      headers[name] = previous === undefined ? value : `${previous}, ${value}`;
      lineStart = lineEnd + 2;
    }
    if (status >= 100 && status < 200) return true; // interim response: the real head follows
    const connection = (headers['connection'] ?? '').toLowerCase();
    const keepAlive = minor === 49 ? !connection.includes('close') : connection.includes('keep-alive');
    const transferEncoding = (headers['transfer-encoding'] ?? '').toLowerCase();
    const contentLength = headers['content-length'];
    if (this.noBody || status === 204 || status === 304) {
      this.sink.onHead(status, headers, keepAlive);
      this.finish();
      return true;
    }
    if (transferEncoding !== '') {
      if (!transferEncoding.endsWith('chunked')) return this.fail(`unsupported transfer-encoding '${transferEncoding}'`);
      this.state = State.ChunkSize;
      this.sink.onHead(status, headers, keepAlive);
      return true;
    }
    if (contentLength !== undefined) {
      if (!/^\d{1,15}$/.test(contentLength)) return this.fail(`invalid content-length '${contentLength}'`);
      this.remaining = Number(contentLength);
      this.state = State.BodyLength;
      this.sink.onHead(status, headers, keepAlive);
      if (this.remaining === 0) this.finish();
      return true;
    }
    this.state = State.BodyUntilClose;
    this.sink.onHead(status, headers, false);
    return true;
  }

  private finish(): void {
    this.state = State.Done;
    this.sink.onComplete();
  }

  private fail(message: string): false {
    this.state = State.Failed;
    this.pending = null;
    this.sink.onError(new ProtocolError(`invalid upstream response: ${message}`));
    return false;
  }
}
