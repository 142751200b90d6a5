/**
 * Errors of the Anthropic front door: the error body in Anthropic's envelope
 * (`{"type":"error","error":{"type","message"}}`, https://docs.anthropic.com/en/api/errors), and
 * the `invalid_body` errors the request readers throw, worded like the parse stage's and naming
 * the field by its path in the body (e.g. `messages[2].content[0].source`).
 */
import { GatewayError } from '../../errors.js';

export function anthropicErrorBody(error: GatewayError): string {
  return error.toAnthropicBody();
}

export function missingField(path: string): GatewayError {
  return new GatewayError('invalid_body', `Missing required parameter: ${path}.`, { param: path });
}

export function wrongType(path: string, expected: string, value: unknown): GatewayError {
  return new GatewayError('invalid_body', `Invalid type for '${path}': expected ${expected}, but got ${jsonKind(value)}.`, { param: path });
}

export function invalidValue(path: string, message: string): GatewayError {
  return new GatewayError('invalid_body', `Invalid value for '${path}': ${message}`, { param: path });
}

function jsonKind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}
