import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyStatus, ErrorClass } from '../../../src/router/classify.js';
import { azureErrorInfo } from '../../../src/providers/azure/errors.js';

const body = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));

/** Azure's answer when the content filter refuses a prompt (its documented shape). */
const CONTENT_FILTER = {
  error: {
    message: "The response was filtered due to the prompt triggering Azure OpenAI's content management policy.",
    type: null,
    param: 'prompt',
    code: 'content_filter',
    status: 400,
    innererror: { code: 'ResponsibleAIPolicyViolation', content_filter_result: { hate: { filtered: true, severity: 'high' } } },
  },
};

test('a content filter refusal reads as code content_filter, which the router classifies as content policy', () => {
  const info = azureErrorInfo(400, body(CONTENT_FILTER));
  assert.deepEqual(info, { message: CONTENT_FILTER.error.message, type: '', code: 'content_filter', param: 'prompt' });
  assert.equal(classifyStatus(400, info.code, info.type, info.message), ErrorClass.ContentPolicy);
});

test('an innererror ResponsibleAIPolicyViolation under another code is a content filter refusal too', () => {
  const info = azureErrorInfo(400, body({ error: { code: 'BadRequest', message: 'Refused.', innererror: { code: 'ResponsibleAIPolicyViolation' } } }));
  assert.equal(info.code, 'content_filter');
  assert.equal(classifyStatus(400, info.code, info.type, info.message), ErrorClass.ContentPolicy);
});

test('other OpenAI-envelope errors keep their code (numbers as text), type and param', () => {
  assert.deepEqual(azureErrorInfo(429, body({ error: { code: '429', message: 'Requests to the ChatCompletions_Create Operation have exceeded call rate limit.' } })), {
    message: 'Requests to the ChatCompletions_Create Operation have exceeded call rate limit.', type: '', code: '429', param: null,
  });
  assert.equal(azureErrorInfo(404, body({ error: { code: 'DeploymentNotFound', message: 'The API deployment for this resource does not exist.' } })).code, 'DeploymentNotFound');
  assert.deepEqual(azureErrorInfo(400, body({ error: { code: 'context_length_exceeded', type: 'invalid_request_error', param: 'messages', message: 'too long' } })), {
    message: 'too long', type: 'invalid_request_error', code: 'context_length_exceeded', param: 'messages',
  });
});

test('the API Management shape and non-JSON bodies', () => {
  assert.deepEqual(azureErrorInfo(401, body({ statusCode: 401, message: 'Access denied due to invalid subscription key or wrong API endpoint.' })), {
    message: 'Access denied due to invalid subscription key or wrong API endpoint.', type: '', code: '401', param: null,
  });
  assert.deepEqual(azureErrorInfo(502, body('<html>Bad Gateway</html>')), { message: '<html>Bad Gateway</html>', type: '', code: '', param: null });
  assert.equal(azureErrorInfo(500, Buffer.alloc(0)).message, 'HTTP 500');
});
