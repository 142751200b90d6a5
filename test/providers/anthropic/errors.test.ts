/** Anthropic error answers read for the client and the router (https://docs.anthropic.com/en/api/errors). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { anthropicErrorInfo, statusForErrorType } from '../../../src/providers/anthropic/errors.js';

test("Anthropic's error envelope: message and type", () => {
  const body = Buffer.from('{"type":"error","error":{"type":"not_found_error","message":"The requested resource could not be found."},"request_id":"req_011CSHoEeqs5C35K2UUqR7Fy"}');
  assert.deepEqual(anthropicErrorInfo(404, body), { message: 'The requested resource could not be found.', type: 'not_found_error', code: '', param: null });
  const overloaded = Buffer.from('{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}');
  assert.deepEqual(anthropicErrorInfo(529, overloaded), { message: 'Overloaded', type: 'overloaded_error', code: '', param: null });
});

test('a body that is not the envelope: its text, cut short; an empty body: the status', () => {
  assert.deepEqual(anthropicErrorInfo(502, Buffer.from('<html>Bad Gateway</html>\n')), { message: '<html>Bad Gateway</html>', type: '', code: '', param: null });
  assert.equal(anthropicErrorInfo(502, Buffer.from('x'.repeat(2000))).message.length, 500);
  assert.equal(anthropicErrorInfo(503, Buffer.alloc(0)).message, 'anthropic answered with status 503');
  assert.equal(anthropicErrorInfo(400, Buffer.from('{"error":"plain"}')).type, '');
});

test('the HTTP status of each error type', () => {
  const expected: Record<string, number> = {
    invalid_request_error: 400, authentication_error: 401, billing_error: 402, permission_error: 403, not_found_error: 404,
    request_too_large: 413, rate_limit_error: 429, api_error: 500, timeout_error: 504, overloaded_error: 529,
  };
  for (const [type, status] of Object.entries(expected)) assert.equal(statusForErrorType(type), status, type);
  assert.equal(statusForErrorType('something_new'), 500);
});
