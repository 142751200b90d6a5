/**
 * ResponseSink over a uWS HttpResponse. Every write happens inside `cork` (uWS batches the
 * syscalls and requires it outside its own callbacks), and nothing touches the response after the
 * client aborted: uWS responses are invalid then.
 */
import { STATUS_CODES } from 'node:http';
import type { HttpResponse } from 'uWebSockets.js';
import type { ResponseSink } from '../pipeline/sink.js';

const statusLines = new Map<number, string>();

export function statusLine(status: number): string {
  let line = statusLines.get(status);
  if (line === undefined) {
    line = `${status} ${STATUS_CODES[status] ?? 'Unknown'}`;
    statusLines.set(status, line);
  }
  return line;
}

/**
 * Writes a response's headers with one call into uWS instead of one per header: each call crosses
 * into C++ and copies both strings, and a response carries ~20 headers. uWS writes
 * `name: value\r\n`, so the first header's value is extended with the others' lines.
 *
 * Contract: no name or value contains CR or LF. Ours never do; upstream values come from a
 * response head that the parser refuses when it holds a bare CR or LF (response-parser.ts).
 */
export function writeHeaders(res: HttpResponse, headers: readonly string[]): void {
  if (headers.length === 0) return;
  let rest = headers[1];
  for (let i = 2; i < headers.length; i += 2) rest += '\r\n' + headers[i] + ': ' + headers[i + 1];
  res.writeHeader(headers[0], rest);
}

export interface AbortState {
  aborted: boolean;
}

export class UwsSink implements ResponseSink {
  private readonly res: HttpResponse;
  private readonly state: AbortState;
  /** Asked at the end of each whole response: close the connection (true while draining). */
  private readonly closeAfter: () => boolean;

  constructor(res: HttpResponse, state: AbortState, closeAfter: () => boolean) {
    this.res = res;
    this.state = state;
    this.closeAfter = closeAfter;
  }

  respond(status: number, headers: readonly string[], body: Uint8Array | string): void {
    if (this.state.aborted) return;
    const res = this.res;
    res.cork(() => {
      res.writeStatus(statusLine(status));
      writeHeaders(res, headers);
      res.end(body, this.closeAfter());
    });
  }

  startStream(status: number, headers: readonly string[]): void {
    if (this.state.aborted) return;
    const res = this.res;
    res.cork(() => {
      res.writeStatus(statusLine(status));
      writeHeaders(res, headers);
    });
  }

  write(chunk: Uint8Array | string): boolean {
    if (this.state.aborted) return true;
    let ok = true;
    this.res.cork(() => {
      ok = this.res.write(chunk);
    });
    return ok;
  }

  onWritable(callback: () => void): void {
    if (this.state.aborted) return;
    this.res.onWritable(() => {
      callback();
      return true;
    });
  }

  end(chunk?: Uint8Array | string): void {
    if (this.state.aborted) return;
    // Never ask uWS to close here: on a chunked response (headers already sent) it writes a
    // `Connection: close` header block into the body instead of ending cleanly. While draining,
    // the connection is closed with the whole app once every thread's work is done.
    this.res.cork(() => {
      this.res.end(chunk, false);
    });
  }
}
