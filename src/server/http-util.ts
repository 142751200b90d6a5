/**
 * Small helpers shared by the uWS route handlers.
 */
import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { bareKey } from '../pipeline/auth/stage.js';
import { statusLine } from './uws-sink.js';

/** The key a client presented: the first non-empty of `headers`, `Bearer ` stripped; '' if none. */
export function readPresentedKey(req: HttpRequest, headers: readonly string[]): string {
  for (const name of headers) {
    const value = req.getHeader(name);
    if (value !== '') return bareKey(value);
  }
  return '';
}

/** Answers with a whole JSON body; `close` ends the connection after it (while draining). */
export function sendJson(res: HttpResponse, status: number, body: string, close: boolean): void {
  res.cork(() => {
    res.writeStatus(statusLine(status));
    res.writeHeader('content-type', 'application/json');
    res.end(body, close);
  });
}
