/**
 * Where Bedrock calls go and with which credential: the endpoint from the region or
 * aws_bedrock_runtime_endpoint, the signing region, the model id as one encoded path segment, and
 * the order in which credentials are looked for.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { apiBaseFor, authFor, modelIdOf, modelPath, signingRegion } from '../../../src/providers/bedrock/endpoint.js';
import { bedrockDeployment } from './targets.js';

describe('apiBaseFor', () => {
  test('the runtime endpoint of aws_region_name, else of the environment, else us-west-2', () => {
    assert.equal(apiBaseFor({ aws_region_name: 'eu-central-1' }, { AWS_REGION: 'us-east-1' }), 'https://bedrock-runtime.eu-central-1.amazonaws.com');
    assert.equal(apiBaseFor({}, { AWS_REGION: 'ap-northeast-1' }), 'https://bedrock-runtime.ap-northeast-1.amazonaws.com');
    assert.equal(apiBaseFor({}, { AWS_DEFAULT_REGION: 'ca-central-1' }), 'https://bedrock-runtime.ca-central-1.amazonaws.com');
    assert.equal(apiBaseFor({}, { AWS_REGION_NAME: 'us-east-2', AWS_REGION: 'us-east-1' }), 'https://bedrock-runtime.us-east-2.amazonaws.com');
    assert.equal(apiBaseFor({}, {}), 'https://bedrock-runtime.us-west-2.amazonaws.com');
  });

  test('aws_bedrock_runtime_endpoint (then AWS_BEDROCK_RUNTIME_ENDPOINT) replaces it', () => {
    assert.equal(apiBaseFor({ aws_bedrock_runtime_endpoint: 'https://vpce-1.bedrock-runtime.us-east-1.vpce.amazonaws.com/', aws_region_name: 'us-east-1' }, {}), 'https://vpce-1.bedrock-runtime.us-east-1.vpce.amazonaws.com');
    assert.equal(apiBaseFor({}, { AWS_BEDROCK_RUNTIME_ENDPOINT: 'http://127.0.0.1:9000' }), 'http://127.0.0.1:9000');
    assert.equal(apiBaseFor({ aws_bedrock_runtime_endpoint: 'not a url' }, {}), null);
  });
});

describe('signingRegion', () => {
  test('aws_region_name, else the region in the endpoint host, else the environment', () => {
    assert.equal(signingRegion(bedrockDeployment({ aws_region_name: 'eu-west-1' }), {}), 'eu-west-1');
    const vpce = bedrockDeployment({ aws_region_name: undefined }, { apiBase: 'https://vpce-0a.bedrock-runtime.ap-southeast-2.vpce.amazonaws.com' });
    assert.equal(signingRegion(vpce, { AWS_REGION: 'us-east-1' }), 'ap-southeast-2');
    const custom = bedrockDeployment({ aws_region_name: undefined }, { apiBase: 'http://127.0.0.1:9000' });
    assert.equal(signingRegion(custom, { AWS_REGION: 'us-gov-west-1' }), 'us-gov-west-1');
    assert.equal(signingRegion(custom, {}), 'us-west-2');
  });
});

describe('model ids', () => {
  test('the model id is one percent-encoded path segment under the api_base path', () => {
    assert.equal(modelPath('', 'anthropic.claude-3-5-sonnet-20240620-v1:0', 'converse'), '/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse');
    assert.equal(
      modelPath('/bedrock', 'arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.meta.llama3-2-1b-instruct-v1:0', 'converse-stream'),
      '/bedrock/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fus.meta.llama3-2-1b-instruct-v1%3A0/converse-stream',
    );
  });

  test("LiteLLM's converse/ route prefix is dropped; invoke/ is refused", () => {
    assert.equal(modelIdOf('converse/us.anthropic.claude-3-haiku-20240307-v1:0'), 'us.anthropic.claude-3-haiku-20240307-v1:0');
    assert.throws(() => modelIdOf('invoke/anthropic.claude-v2'), (error: any) => error.code === 'unsupported_param');
  });
});

describe('authFor', () => {
  const keys = { aws_access_key_id: 'AKIDPARAMS', aws_secret_access_key: 'secret-params' };
  const envKeys = { AWS_ACCESS_KEY_ID: 'AKIDENV', AWS_SECRET_ACCESS_KEY: 'secret-env', AWS_SESSION_TOKEN: 'token-env' };

  test('a written api_key is a Bedrock API key (bearer) and wins', () => {
    const auth = authFor(bedrockDeployment({ ...keys, api_key: 'bedrock-api-key' }, { apiKey: 'bedrock-api-key' }), envKeys);
    assert.deepEqual(auth, { kind: 'bearer', token: 'bedrock-api-key' });
  });

  test('keys in litellm_params come before the environment', () => {
    const auth = authFor(bedrockDeployment({ ...keys, aws_session_token: 'token-params' }, { apiKey: 'from-AWS_BEARER_TOKEN_BEDROCK' }), envKeys);
    assert.deepEqual(auth, { kind: 'sigv4', credentials: { accessKeyId: 'AKIDPARAMS', secretAccessKey: 'secret-params', sessionToken: 'token-params' }, region: 'us-east-1' });
  });

  test('then AWS_BEARER_TOKEN_BEDROCK (the api_key the loader read), then the AWS key variables', () => {
    const noKeys = { aws_access_key_id: undefined, aws_secret_access_key: undefined };
    assert.deepEqual(authFor(bedrockDeployment(noKeys, { apiKey: 'env-bearer' }), envKeys), { kind: 'bearer', token: 'env-bearer' });
    assert.deepEqual(authFor(bedrockDeployment(noKeys), envKeys), { kind: 'sigv4', credentials: { accessKeyId: 'AKIDENV', secretAccessKey: 'secret-env', sessionToken: 'token-env' }, region: 'us-east-1' });
  });

  test('no credential, half a key pair, or an STS role is upstream_auth_failed', () => {
    const refused = (error: any) => error.code === 'upstream_auth_failed';
    assert.throws(() => authFor(bedrockDeployment({ aws_access_key_id: undefined, aws_secret_access_key: undefined }), {}), refused);
    assert.throws(() => authFor(bedrockDeployment({ aws_secret_access_key: undefined }), {}), refused);
    assert.throws(() => authFor(bedrockDeployment({ aws_role_name: 'arn:aws:iam::123456789012:role/x' }), {}), refused);
  });
});
