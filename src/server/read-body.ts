/**
 * Request body collection for uWS handlers.
 */
import type { HttpResponse } from 'uWebSockets.js';
import { GatewayError } from '../errors.js';

/**
 * Collects the body into one Buffer (sized from Content-Length when given), refusing it as soon
 * as it is known to exceed `maxBytes`. uWS hands out views of its own memory that are invalid
 * after each callback, so every chunk is copied. `state.aborted` is checked before each chunk.
 */
export function readBody(
  res: HttpResponse,
  state: { readonly aborted: boolean },
  contentLength: string,
  maxBytes: number,
  onComplete: (body: Buffer, length: number) => void,
  onTooLarge: (error: GatewayError) => void,
): void {
  const tooLarge = () =>
    new GatewayError('body_too_large', `Request body is larger than the ${maxBytes} bytes allowed (general_settings.max_request_size_mb).`);
  const declared = contentLength === '' ? -1 : Number(contentLength);
  if (declared > maxBytes) {
    onTooLarge(tooLarge());
    return;
  }
  let buffer = Buffer.allocUnsafe(declared >= 0 ? declared : 16 * 1024);
  let length = 0;
  let refused = false;
  res.onData((chunk, isLast) => {
    if (refused || state.aborted) return;
    const bytes = new Uint8Array(chunk);
    if (length + bytes.length > buffer.length) {
      if (length + bytes.length > maxBytes) {
        refused = true;
        onTooLarge(tooLarge());
        return;
      }
      const grown = Buffer.allocUnsafe(Math.min(maxBytes, Math.max(buffer.length * 2, length + bytes.length)));
      buffer.copy(grown, 0, 0, length);
      buffer = grown;
    }
    buffer.set(bytes, length);
    length += bytes.length;
    if (isLast) onComplete(buffer, length);
  });
}

