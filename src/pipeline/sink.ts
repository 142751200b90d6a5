/**
 * Where a response goes. The pipeline writes through this interface so the same stages serve the
 * HTTP front end (uWS) and, later, the NLB's gRPC traffic service.
 *
 * Contract: either `respond` once, or `startStream` once followed by any number of `write` and one
 * `end`. After the client aborts every method is a no-op. Header names are lower case.
 */
export interface ResponseSink {
  /** Sends a whole response: status, headers ([name, value, …]) and body. */
  respond(status: number, headers: readonly string[], body: Uint8Array | string): void;
  /** Sends status and headers; the body follows in `write` calls. */
  startStream(status: number, headers: readonly string[]): void;
  /** Writes a body chunk. Returns false when the client is slow: wait for `onWritable` then. */
  write(chunk: Uint8Array | string): boolean;
  /** Calls `callback` once when the client can take more after `write` returned false. */
  onWritable(callback: () => void): void;
  /** Ends a streamed response, optionally with a last chunk. */
  end(chunk?: Uint8Array | string): void;
}
