/** Bedrock error answers (`{"message"}`, the exception named by status or `__type`) read for the client's envelope. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bedrockErrorInfo } from '../../../src/providers/bedrock/error-info.js';

test('the message, and the exception the status stands for', () => {
  assert.deepEqual(bedrockErrorInfo(429, Buffer.from('{"message":"Too many requests, please wait before trying again."}')), {
    message: 'Too many requests, please wait before trying again.',
    type: 'ThrottlingException',
    code: '',
    param: null,
  });
  assert.equal(bedrockErrorInfo(400, Buffer.from('{"message":"Input is too long for requested model."}')).type, 'ValidationException');
  assert.equal(bedrockErrorInfo(403, Buffer.from('{"Message":"User is not authorized"}')).message, 'User is not authorized');
  assert.equal(bedrockErrorInfo(403, Buffer.from('{}')).type, 'AccessDeniedException');
  assert.equal(bedrockErrorInfo(503, Buffer.from('{"message":"x"}')).type, 'ServiceUnavailableException');
  assert.equal(bedrockErrorInfo(418, Buffer.from('{"message":"x"}')).type, '');
});

test('a __type in the body names the exception; a body that is not JSON is the message', () => {
  assert.equal(bedrockErrorInfo(429, Buffer.from('{"__type":"com.amazon.bedrock#ModelNotReadyException:http://x","message":"not ready"}')).type, 'ModelNotReadyException');
  assert.deepEqual(bedrockErrorInfo(502, Buffer.from('<html>Bad Gateway</html>')), { message: '<html>Bad Gateway</html>', type: '', code: '', param: null });
  assert.equal(bedrockErrorInfo(500, Buffer.alloc(0)).message, 'Bedrock answered with status 500');
});
