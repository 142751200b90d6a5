/**
 * The Bedrock adapter as the config loader sees it: `bedrock/` and `bedrock_converse/` models load
 * without an api_key, the api_base comes from the region or aws_bedrock_runtime_endpoint, and the
 * AWS settings stay in litellm_params for the adapter.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfigText } from '../../../src/config/load.js';
import { lookupAdapter } from '../../../src/providers/registry.js';

const load = (litellmParams: string, env: NodeJS.ProcessEnv = {}) =>
  parseConfigText(`model_list:\n  - model_name: claude\n    litellm_params:\n${litellmParams}`, 'bedrock.yaml', env);

test('bedrock and bedrock_converse name the adapter', () => {
  assert.equal(lookupAdapter('bedrock')?.prefix, 'bedrock');
  assert.equal(lookupAdapter('bedrock_converse')?.prefix, 'bedrock');
});

test('a bedrock deployment loads with the api_base of its region and no api_key warning', () => {
  const { config, warnings } = load(
    '      model: bedrock/anthropic.claude-3-5-sonnet-20240620-v1:0\n      aws_access_key_id: AKIDEXAMPLE\n      aws_secret_access_key: secret\n      aws_region_name: eu-west-3\n',
  );
  const deployment = config.modelList[0];
  assert.equal(deployment.provider, 'bedrock');
  assert.equal(deployment.upstreamModel, 'anthropic.claude-3-5-sonnet-20240620-v1:0');
  assert.equal(deployment.apiBase, 'https://bedrock-runtime.eu-west-3.amazonaws.com');
  assert.equal(deployment.apiKey, null);
  assert.equal(deployment.litellmParams.aws_region_name, 'eu-west-3');
  assert.deepEqual(warnings, []);
});

test('aws_bedrock_runtime_endpoint is the api_base; AWS_BEARER_TOKEN_BEDROCK is the api_key', () => {
  const { config } = load('      model: bedrock_converse/us.amazon.nova-pro-v1:0\n      aws_bedrock_runtime_endpoint: http://127.0.0.1:9999/\n', { AWS_BEARER_TOKEN_BEDROCK: 'br-key' });
  assert.equal(config.modelList[0].apiBase, 'http://127.0.0.1:9999');
  assert.equal(config.modelList[0].apiKey, 'br-key');
});
