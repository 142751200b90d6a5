import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ConfigError,
  discoverConfigPath,
  loadConfigFile,
  loadConfigFromEnvironment,
  parseConfigText,
  resolveConfig,
} from '../../src/config/load.js';
import type { ConfigIssue } from '../../src/config/types.js';

/** A fresh directory removed after the test. */
function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'ailb-config-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function writeConfig(dir: string, text: string, name = 'config.yaml'): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** Runs `fn`, which must throw a ConfigError, and returns it. */
function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a ConfigError');
}

function issueAt(issues: readonly ConfigIssue[], path: string): ConfigIssue {
  const found = issues.find((i) => i.path === path);
  assert.ok(found, `no issue at ${path}; got ${JSON.stringify(issues)}`);
  return found;
}

/** Config text as a file with the given lines; 1-based line numbers in tests match the array. */
const lines = (...ls: string[]): string => ls.join('\n') + '\n';

const FULL_EXAMPLE = lines(
  'model_list:',
  '  - model_name: gpt-4o',
  '    litellm_params:',
  '      model: openai/gpt-4o',
  '      api_key: os.environ/OPENAI_API_KEY',
  '      rpm: 600',
  '      tpm: 100000',
  '    model_info:',
  '      id: openai-gpt-4o',
  '      mode: chat',
  '      input_cost_per_token: 0.0000025',
  '      output_cost_per_token: 0.00001',
  '      max_input_tokens: 128000',
  '      access_groups: ["beta"]',
  '  - model_name: gpt-4o',
  '    litellm_params:',
  '      model: groq/llama-3.3-70b-versatile',
  '      api_key: os.environ/GROQ_API_KEY',
  '      weight: 2',
  '      timeout: 30',
  '      extra_headers:',
  '        X-Team: research',
  '  - model_name: local-llama',
  '    litellm_params:',
  '      model: hosted_vllm/meta-llama/Llama-3.1-8B-Instruct',
  '      api_base: http://vllm.internal:8000/v1/',
  '      stream_timeout: 5',
  '  - model_name: llama3',
  '    litellm_params:',
  '      model: ollama_chat/llama3',
  '      api_base: http://localhost:11434',
  '  - model_name: "*"',
  '    litellm_params:',
  '      model: "*"',
  '',
  'litellm_settings:',
  '  drop_params: true',
  '  request_timeout: 120',
  '  num_retries: 3',
  '  callbacks: ["prometheus"]',
  '  success_callback: ["langfuse"]',
  '  fallbacks: [{"gpt-4o": ["local-llama"]}]',
  '  timezone: Europe/Paris',
  '',
  'router_settings:',
  '  routing_strategy: least-busy',
  '  num_retries: 1',
  '  allowed_fails: 2',
  '  cooldown_time: 30',
  '  enable_pre_call_checks: true',
  '  model_group_alias: {"gpt4": "gpt-4o", "secret": {"model": "llama3", "hidden": true}}',
  '  context_window_fallbacks: [{"gpt-4o": ["llama3"]}]',
  '',
  'general_settings:',
  '  master_key: sk-1234',
  '  database_url: postgresql://localhost/ailb',
  '  alerting: ["slack"]',
  '  max_request_size_mb: 8',
  '  litellm_key_header_name: X-My-Key',
  '',
  'environment_variables:',
  '  GROQ_API_KEY: gsk-from-file',
  '',
  'guardrails:',
  '  - guardrail_name: pii',
  '    litellm_params:',
  '      guardrail: presidio',
  '      mode: [pre_call, post_call]',
  '      default_on: true',
  '',
  'ailb_settings:',
  '  drain_timeout_s: 10',
  '  hot_reload: false',
);

test('a full LiteLLM config parses into deployments and settings without warnings', (t) => {
  const dir = tempDir(t);
  const path = writeConfig(dir, FULL_EXAMPLE);
  const env: NodeJS.ProcessEnv = { OPENAI_API_KEY: 'sk-openai' };
  const { config, warnings } = loadConfigFile(path, env);

  assert.deepEqual(warnings, []);
  assert.equal(config.source, path);
  assert.equal(config.modelList.length, 5);

  const [openai, groq, vllm, ollama, wildcard] = config.modelList;
  assert.equal(openai.modelName, 'gpt-4o');
  assert.equal(openai.id, 'openai-gpt-4o');
  assert.equal(openai.provider, 'openai');
  assert.equal(openai.upstreamModel, 'gpt-4o');
  assert.equal(openai.apiBase, 'https://api.openai.com/v1');
  assert.equal(openai.apiKey, 'sk-openai');
  assert.equal(openai.authHeader, 'authorization');
  assert.equal(openai.authScheme, 'Bearer ');
  assert.equal(openai.rpm, 600);
  assert.equal(openai.tpm, 100000);
  assert.equal(openai.weight, 1);
  assert.equal(openai.timeoutMs, 120_000, 'litellm_settings.request_timeout is the default timeout');
  assert.equal(openai.streamTimeoutMs, 120_000);
  assert.equal(openai.modelInfo.input_cost_per_token, 0.0000025);
  assert.deepEqual(openai.modelInfo.access_groups, ['beta']);

  assert.equal(groq.provider, 'groq');
  assert.equal(groq.apiBase, 'https://api.groq.com/openai/v1');
  assert.equal(groq.apiKey, 'gsk-from-file', 'environment_variables feed os.environ/ references');
  assert.equal(groq.weight, 2);
  assert.equal(groq.timeoutMs, 30_000);
  assert.equal(groq.streamTimeoutMs, 30_000, 'stream timeout defaults to the deployment timeout');
  assert.deepEqual(groq.extraHeaders, { 'x-team': 'research' });
  assert.match(groq.id, /^[0-9a-f]{16}$/);

  assert.equal(vllm.upstreamModel, 'meta-llama/Llama-3.1-8B-Instruct');
  assert.equal(vllm.apiBase, 'http://vllm.internal:8000/v1', 'trailing slash stripped');
  assert.equal(vllm.apiKey, null);
  assert.equal(vllm.streamTimeoutMs, 5_000);

  assert.equal(ollama.provider, 'ollama_chat');
  assert.equal(ollama.apiBase, 'http://localhost:11434', "Ollama's native API lives at the server root");
  assert.equal(ollama.apiKey, null, 'Ollama needs no key');

  assert.equal(wildcard.modelName, '*');
  assert.equal(wildcard.provider, 'openai');
  assert.equal(wildcard.upstreamModel, '*');

  const router = config.routerSettings;
  assert.equal(router.routingStrategy, 'least-busy');
  assert.equal(router.numRetries, 1, 'router_settings wins over litellm_settings');
  assert.equal(router.allowedFails, 2);
  assert.equal(router.cooldownTimeS, 30);
  assert.equal(router.timeoutS, 120);
  assert.deepEqual(router.modelGroupAlias, { gpt4: 'gpt-4o', secret: 'llama3' });
  assert.deepEqual(router.fallbacks, { 'gpt-4o': ['local-llama'] });
  assert.deepEqual(router.contextWindowFallbacks, { 'gpt-4o': ['llama3'] });
  assert.equal(router.raw.enable_pre_call_checks, true);

  assert.equal(config.litellmSettings.dropParams, true);
  assert.equal(config.litellmSettings.timezone, 'Europe/Paris');
  assert.deepEqual(config.litellmSettings.raw.callbacks, ['prometheus']);

  assert.equal(config.generalSettings.masterKey, 'sk-1234');
  assert.equal(config.generalSettings.databaseUrl, 'postgresql://localhost/ailb');
  assert.equal(config.generalSettings.maxRequestSizeMb, 8);
  assert.equal(config.generalSettings.litellmKeyHeaderName, 'x-my-key');
  assert.deepEqual(config.generalSettings.raw.alerting, ['slack']);

  assert.deepEqual(config.guardrails.map((g) => [g.name, g.guardrail, g.modes, g.defaultOn]), [
    ['pii', 'presidio', ['pre_call', 'post_call'], true],
  ]);
  assert.deepEqual(config.ailbSettings, { drainTimeoutS: 10, hotReload: false, countPromptTokens: true });
  assert.deepEqual(config.environmentVariables, { GROQ_API_KEY: 'gsk-from-file' });
  assert.equal(env.GROQ_API_KEY, 'gsk-from-file', 'environment_variables are exported into env');
});

test('the config is deeply frozen plain data', (t) => {
  const path = writeConfig(tempDir(t), FULL_EXAMPLE);
  const { config } = loadConfigFile(path, { OPENAI_API_KEY: 'sk-openai' });
  assert.ok(Object.isFrozen(config));
  assert.ok(Object.isFrozen(config.modelList));
  assert.ok(Object.isFrozen(config.modelList[1].extraHeaders));
  assert.ok(Object.isFrozen(config.routerSettings.fallbacks['gpt-4o']));
  assert.ok(Object.isFrozen(config.litellmSettings.raw.callbacks));
  assert.deepEqual(structuredClone(config), config);
});

test('defaults apply to an empty file', (t) => {
  const path = writeConfig(tempDir(t), '');
  const { config, warnings } = loadConfigFile(path, {});
  assert.deepEqual(warnings, []);
  assert.deepEqual(config.modelList, []);
  const r = config.routerSettings;
  assert.deepEqual(
    [r.routingStrategy, r.numRetries, r.retryAfterS, r.timeoutS, r.streamTimeoutS, r.allowedFails, r.cooldownTimeS, r.maxFallbacks],
    ['simple-shuffle', 2, 0, 600, null, 3, 5, 5],
  );
  assert.deepEqual(r.modelGroupAlias, {});
  assert.deepEqual(r.defaultFallbacks, []);
  assert.deepEqual(config.generalSettings, {
    masterKey: null, maxRequestSizeMb: 32, databaseUrl: null, litellmKeyHeaderName: null, disableSpendLogs: false, raw: {},
  });
  assert.deepEqual(config.litellmSettings, { dropParams: false, requestTimeoutS: null, timezone: 'UTC', raw: {} });
  assert.deepEqual(config.ailbSettings, { drainTimeoutS: 30, hotReload: true, countPromptTokens: true });
});

test('deployment timeout falls back to router_settings.timeout, then request_timeout, then 600 s', () => {
  const text = lines(
    'model_list:',
    '  - model_name: a',
    '    litellm_params: {model: openai/a, api_key: k}',
    '  - model_name: b',
    '    litellm_params: {model: openai/b, api_key: k, timeout: 7}',
    'router_settings: {timeout: 45, stream_timeout: 9}',
    'litellm_settings: {request_timeout: 120}',
  );
  const { config } = parseConfigText(text, '/x/config.yaml', {});
  assert.equal(config.modelList[0].timeoutMs, 45_000);
  assert.equal(config.modelList[0].streamTimeoutMs, 9_000);
  assert.equal(config.modelList[1].timeoutMs, 7_000);
  assert.equal(config.modelList[1].streamTimeoutMs, 9_000);
  const noRouter = parseConfigText(lines(text.split('\n').slice(0, 5).join('\n'), 'litellm_settings: {request_timeout: 120}'), '/x/c.yaml', {});
  assert.equal(noRouter.config.modelList[0].timeoutMs, 120_000);
  const bare = parseConfigText(text.split('\n').slice(0, 3).join('\n'), '/x/c.yaml', {});
  assert.equal(bare.config.modelList[0].timeoutMs, 600_000);
  assert.equal(bare.config.modelList[0].streamTimeoutMs, 600_000);
});

test('router_settings wins over litellm_settings; litellm_settings fills what router_settings leaves out', () => {
  const text = lines(
    'litellm_settings:',
    '  num_retries: 4',
    '  allowed_fails: 7',
    '  fallbacks: [{"a": ["b"]}]',
    '  default_fallbacks: ["z"]',
    'router_settings:',
    '  num_retries: 1',
    '  fallbacks: [{"a": ["c"]}, {"d": "e"}]',
  );
  const { config } = parseConfigText(text, '/x/config.yaml', {});
  const r = config.routerSettings;
  assert.equal(r.numRetries, 1);
  assert.equal(r.allowedFails, 7);
  assert.deepEqual(r.fallbacks, { a: ['c'], d: ['e'] });
  assert.deepEqual(r.defaultFallbacks, ['z']);
  assert.equal(r.raw.num_retries, 1);
  assert.equal(r.raw.allowed_fails, 7);
});

test('os.environ/ references resolve anywhere, numbers included', () => {
  const text = lines(
    'model_list:',
    '  - model_name: m',
    '    litellm_params:',
    '      model: os.environ/MODEL',
    '      api_base: os.environ/BASE',
    '      rpm: os.environ/RPM',
    '      extra_headers: {x-tenant: os.environ/TENANT}',
    'general_settings:',
    '  master_key: os.environ/MASTER',
    'litellm_settings:',
    '  callbacks: [os.environ/CALLBACK]',
  );
  const env = { MODEL: 'hosted_vllm/qwen', BASE: 'http://gpu:8000/v1', RPM: '100', TENANT: 't1', MASTER: 'sk-m', CALLBACK: 'otel' };
  const { config } = parseConfigText(text, '/x/config.yaml', env);
  const d = config.modelList[0];
  assert.equal(d.upstreamModel, 'qwen');
  assert.equal(d.apiBase, 'http://gpu:8000/v1');
  assert.equal(d.rpm, 100);
  assert.deepEqual(d.extraHeaders, { 'x-tenant': 't1' });
  assert.equal(d.litellmParams.model, 'hosted_vllm/qwen');
  assert.equal(config.generalSettings.masterKey, 'sk-m');
  assert.deepEqual(config.litellmSettings.raw.callbacks, ['otel']);
});

test('a missing environment variable is an error naming it, with path and line', (t) => {
  const path = writeConfig(tempDir(t), lines(
    'model_list:',
    '  - model_name: gpt-4o',
    '    litellm_params:',
    '      model: openai/gpt-4o',
    '      api_key: os.environ/NOT_SET_ANYWHERE',
  ));
  const env: NodeJS.ProcessEnv = {};
  const err = configError(() => loadConfigFile(path, env));
  assert.equal(err.issues.length, 1, 'one mistake, one message');
  const issue = issueAt(err.issues, 'model_list[0].litellm_params.api_key');
  assert.equal(issue.line, 5);
  assert.equal(issue.column, 16);
  assert.match(issue.message, /NOT_SET_ANYWHERE/);
  assert.ok(err.message.includes(`${path}:5:16: model_list[0].litellm_params.api_key: environment variable NOT_SET_ANYWHERE is not set`));
});

test('an invalid value fails with file, line, column and path in the message', (t) => {
  const path = writeConfig(tempDir(t), lines(
    'model_list:',
    '  - model_name: a',
    '    litellm_params:',
    '      model: openai/a',
    '  - model_name: b',
    '    litellm_params:',
    '      model: openai/b',
    '      rpm: lots',
    '      weight: 0',
    'router_settings:',
    '  routing_strategy: fastest',
  ));
  const err = configError(() => loadConfigFile(path, {}));
  const rpm = issueAt(err.issues, 'model_list[1].litellm_params.rpm');
  assert.equal(rpm.line, 8);
  assert.ok(err.message.includes(`${path}:8:12: model_list[1].litellm_params.rpm: must be an integer ≥ 0, got "lots"`), err.message);
  assert.equal(issueAt(err.issues, 'model_list[1].litellm_params.weight').line, 9);
  assert.match(issueAt(err.issues, 'router_settings.routing_strategy').message, /simple-shuffle/);
  assert.equal(err.issues.length, 3, 'every error is reported, not just the first');
});

test('a failed load leaves env untouched', () => {
  const env: NodeJS.ProcessEnv = {};
  configError(() => parseConfigText(lines('environment_variables: {A: "1"}', 'router_settings: {num_retries: -1}'), '/x/c.yaml', env));
  assert.equal(env.A, undefined);
});

test('unknown keys are warnings with path and line; LiteLLM keys AILB does not read are kept silently', (t) => {
  const path = writeConfig(tempDir(t), lines(
    'model_list:',
    '  - model_name: a',
    '    litellm_params:',
    '      model: openai/a',
    '      api_key: k',
    '      api_bse: http://typo',
    'router_settings:',
    '  routing_stratgy: least-busy',
    'litellm_settings:',
    '  callbacks: ["prometheus"]',
    '  cache: true',
    'general_settings:',
    '  store_model_in_db: true',
    'mcp_servers: {}',
    'modle_list: []',
  ));
  const { config, warnings } = loadConfigFile(path, {});
  const byLine = [...warnings].sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  assert.deepEqual(byLine.map((w) => [w.path, w.line]), [
    ['model_list[0].litellm_params.api_bse', 6],
    ['router_settings.routing_stratgy', 8],
    ['mcp_servers', 14],
    ['modle_list', 15],
  ]);
  assert.match(issueAt(warnings, 'mcp_servers').message, /not support/);
  assert.match(issueAt(warnings, 'modle_list').message, /unknown key/);
  assert.equal(issueAt(warnings, 'router_settings.routing_stratgy').column, 3);
  assert.equal(config.litellmSettings.raw.cache, true);
  assert.equal(config.routerSettings.routingStrategy, 'simple-shuffle');
});

test('a YAML syntax error reports its line', (t) => {
  const path = writeConfig(tempDir(t), lines(
    'model_list:',
    '  - model_name: a',
    '    litellm_params: {model: openai/a',
    'router_settings:',
    '  num_retries: 1',
  ));
  const err = configError(() => loadConfigFile(path, {}));
  assert.ok(err.issues.length >= 1);
  assert.ok(err.issues[0].line !== null && err.issues[0].line >= 3, JSON.stringify(err.issues));
  assert.match(err.message, /YAML syntax error/);
  assert.ok(err.message.includes(`${path}:${err.issues[0].line}:`));
});

test('duplicate keys are a syntax error', () => {
  const err = configError(() => parseConfigText(lines('router_settings: {}', 'router_settings: {}'), '/x/c.yaml', {}));
  assert.equal(err.issues[0].line, 2);
});

test('an unreadable file is a ConfigError', (t) => {
  const missing = join(tempDir(t), 'nope.yaml');
  const err = configError(() => loadConfigFile(missing, {}));
  assert.match(err.message, /cannot read the config file \(ENOENT\)/);
});

test('providers that need a translation AILB does not have are rejected as not supported yet', () => {
  const text = lines(
    'model_list:',
    '  - model_name: granite',
    '    litellm_params:',
    '      model: watsonx/ibm/granite-3-8b-instruct',
  );
  const err = configError(() => parseConfigText(text, '/x/c.yaml', {}));
  const issue = issueAt(err.issues, 'model_list[0].litellm_params.model');
  assert.equal(issue.message, "provider 'watsonx' is not supported yet");
  assert.equal(issue.line, 4);
});

test('an unknown provider prefix is an error; custom_llm_provider names one explicitly', () => {
  const unknown = configError(() => parseConfigText(lines(
    'model_list:',
    '  - model_name: llama',
    '    litellm_params: {model: meta-llama/Llama-3}',
  ), '/x/c.yaml', {}));
  assert.match(issueAt(unknown.issues, 'model_list[0].litellm_params.model').message, /unknown provider 'meta-llama'/);

  const { config } = parseConfigText(lines(
    'model_list:',
    '  - model_name: llama',
    '    litellm_params: {model: meta-llama/Llama-3, custom_llm_provider: hosted_vllm, api_base: "http://h:1/v1"}',
  ), '/x/c.yaml', {});
  assert.equal(config.modelList[0].provider, 'hosted_vllm');
  assert.equal(config.modelList[0].upstreamModel, 'meta-llama/Llama-3');
});

test('a provider without a default endpoint requires api_base', () => {
  const err = configError(() => parseConfigText(lines(
    'model_list:',
    '  - model_name: q',
    '    litellm_params: {model: hosted_vllm/qwen}',
  ), '/x/c.yaml', {}));
  assert.match(issueAt(err.issues, 'model_list[0].litellm_params.api_base').message, /is required for provider 'hosted_vllm'/);
});

test('a missing API key for a provider that needs one is a warning, not an error', () => {
  const { config, warnings } = parseConfigText(lines(
    'model_list:',
    '  - model_name: g',
    '    litellm_params: {model: groq/llama-3.1-8b-instant}',
  ), '/x/c.yaml', {});
  assert.equal(config.modelList[0].apiKey, null);
  assert.match(issueAt(warnings, 'model_list[0].litellm_params.api_key').message, /GROQ_API_KEY/);
});

test('provider keys and bases come from their environment variables when the entry sets none', () => {
  const text = lines('model_list:', '  - model_name: g', '    litellm_params: {model: gpt-4o-mini}');
  const { config, warnings } = parseConfigText(text, '/x/c.yaml', { OPENAI_API_KEY: 'sk-env', OPENAI_API_BASE: 'https://proxy.example/v1/' });
  assert.deepEqual(warnings, []);
  assert.equal(config.modelList[0].provider, 'openai', 'a bare model name is an openai model');
  assert.equal(config.modelList[0].apiKey, 'sk-env');
  assert.equal(config.modelList[0].apiBase, 'https://proxy.example/v1');
});

test('deployment ids are model_info.id, else a stable hash that ignores key order and secret values', () => {
  const a = parseConfigText(lines(
    'model_list:',
    '  - model_name: m',
    '    litellm_params: {model: openai/m, api_key: os.environ/K, rpm: 5}',
    '  - model_name: m',
    '    litellm_params: {model: openai/m, api_key: k}',
    '    model_info: {id: 42}',
  ), '/x/c.yaml', { K: 'one' }).config;
  const b = parseConfigText(lines(
    'model_list:',
    '  - model_name: m',
    '    litellm_params: {rpm: 5, api_key: os.environ/K, model: openai/m}',
  ), '/x/c.yaml', { K: 'two' }).config;
  assert.match(a.modelList[0].id, /^[0-9a-f]{16}$/);
  assert.equal(a.modelList[0].id, b.modelList[0].id);
  assert.equal(a.modelList[1].id, '42');
});

test('duplicate deployment ids are an error', () => {
  const err = configError(() => parseConfigText(lines(
    'model_list:',
    '  - {model_name: a, litellm_params: {model: openai/a, api_key: k}, model_info: {id: x}}',
    '  - {model_name: b, litellm_params: {model: openai/b, api_key: k}, model_info: {id: x}}',
  ), '/x/c.yaml', {}));
  assert.match(issueAt(err.issues, 'model_list[1].model_info.id').message, /duplicate deployment id 'x'/);
});

test('credential_list entries fill litellm_params of deployments that name them', () => {
  const { config } = parseConfigText(lines(
    'credential_list:',
    '  - credential_name: vllm-cluster',
    '    credential_values: {api_base: "http://gpu:8000/v1", api_key: os.environ/VLLM_KEY}',
    'model_list:',
    '  - model_name: q',
    '    litellm_params: {model: hosted_vllm/qwen, litellm_credential_name: vllm-cluster}',
    '  - model_name: q',
    '    litellm_params: {model: hosted_vllm/qwen, litellm_credential_name: vllm-cluster, api_base: "http://other:8000/v1"}',
  ), '/x/c.yaml', { VLLM_KEY: 'vk' });
  assert.equal(config.modelList[0].apiBase, 'http://gpu:8000/v1');
  assert.equal(config.modelList[0].apiKey, 'vk');
  assert.equal(config.modelList[1].apiBase, 'http://other:8000/v1', "the deployment's own keys win");

  const err = configError(() => parseConfigText(lines(
    'model_list:',
    '  - model_name: q',
    '    litellm_params: {model: openai/q, litellm_credential_name: nope}',
  ), '/x/c.yaml', {}));
  assert.match(issueAt(err.issues, 'model_list[0].litellm_params.litellm_credential_name').message, /no credential named "nope"/);
});

test('YAML merge keys share litellm_params between deployments; x- keys hold anchors silently', () => {
  const { config, warnings } = parseConfigText(lines(
    'x-common: &common {api_base: "http://gpu:8000/v1", rpm: 10}',
    'model_list:',
    '  - model_name: q',
    '    litellm_params: {<<: *common, model: hosted_vllm/qwen}',
  ), '/x/c.yaml', {});
  assert.equal(config.modelList[0].apiBase, 'http://gpu:8000/v1');
  assert.equal(config.modelList[0].rpm, 10);
  assert.deepEqual(warnings, []);
});

test('master key and database URL fall back to the environment', () => {
  const both = parseConfigText('', '/x/c.yaml', { AILB_MASTER_KEY: 'sk-ailb', LITELLM_MASTER_KEY: 'sk-litellm', DATABASE_URL: 'postgres://db/x' });
  assert.equal(both.config.generalSettings.masterKey, 'sk-ailb');
  assert.equal(both.config.generalSettings.databaseUrl, 'postgres://db/x');
  const litellm = parseConfigText('', '/x/c.yaml', { LITELLM_MASTER_KEY: 'sk-litellm' });
  assert.equal(litellm.config.generalSettings.masterKey, 'sk-litellm');
  const file = parseConfigText('general_settings: {master_key: sk-file}\n', '/x/c.yaml', { AILB_MASTER_KEY: 'sk-ailb' });
  assert.equal(file.config.generalSettings.masterKey, 'sk-file');
});

test('guardrails are validated', () => {
  const err = configError(() => parseConfigText(lines(
    'guardrails:',
    '  - guardrail_name: g',
    '    litellm_params: {guardrail: presidio, mode: before_call}',
  ), '/x/c.yaml', {}));
  assert.match(issueAt(err.issues, 'guardrails[0].litellm_params.mode').message, /pre_call/);
});

test('the environment yields each keyed provider’s well-known models and a wildcard', () => {
  const env = { OPENAI_API_KEY: 'sk-o', GROQ_API_KEY: 'gsk', AILB_MASTER_KEY: 'sk-master', LM_STUDIO_API_BASE: 'http://x:1/v1' };
  const { config, warnings } = loadConfigFromEnvironment(env);
  assert.deepEqual(warnings, []);
  assert.equal(config.source, null);
  const names = config.modelList.map((d) => d.modelName);
  assert.ok(names.includes('gpt-4o'));
  assert.ok(names.includes('openai/*'));
  assert.ok(names.includes('groq/llama-3.3-70b-versatile'));
  assert.ok(names.includes('groq/*'));
  assert.ok(!config.modelList.some((d) => d.provider === 'lm_studio' || d.provider === 'ollama'), 'local providers are not added');
  assert.ok(!config.modelList.some((d) => d.provider === 'mistral'), 'providers without a key are not added');
  const gpt = config.modelList.find((d) => d.modelName === 'gpt-4o');
  assert.equal(gpt?.upstreamModel, 'gpt-4o');
  assert.equal(gpt?.apiKey, 'sk-o');
  const groqWildcard = config.modelList.find((d) => d.modelName === 'groq/*');
  assert.equal(groqWildcard?.upstreamModel, '*');
  assert.equal(groqWildcard?.apiKey, 'gsk');
  assert.equal(config.generalSettings.masterKey, 'sk-master');
  assert.ok(Object.isFrozen(config.modelList[0]));
});

test('an empty environment yields no models', () => {
  assert.deepEqual(loadConfigFromEnvironment({}).config.modelList, []);
});

test('discovery order: --config, then AILB_CONFIG, then ./ailb.yaml, then ./config.yaml, then the environment', (t) => {
  const dir = tempDir(t);
  const env: NodeJS.ProcessEnv = {};
  assert.equal(discoverConfigPath({ cwd: dir, env }), null);
  assert.equal(resolveConfig({ cwd: dir, env }).config.source, null);

  const configYaml = writeConfig(dir, 'ailb_settings: {drain_timeout_s: 2}\n', 'config.yaml');
  assert.equal(resolveConfig({ cwd: dir, env }).config.source, configYaml);

  const ailbYaml = writeConfig(dir, 'ailb_settings: {drain_timeout_s: 1}\n', 'ailb.yaml');
  assert.equal(resolveConfig({ cwd: dir, env }).config.source, ailbYaml);

  const fromEnv = writeConfig(dir, 'ailb_settings: {drain_timeout_s: 3}\n', 'env.yaml');
  assert.equal(resolveConfig({ cwd: dir, env: { AILB_CONFIG: 'env.yaml' } }).config.source, fromEnv);

  const fromFlag = writeConfig(dir, 'ailb_settings: {drain_timeout_s: 4}\n', 'flag.yaml');
  const chosen = resolveConfig({ configPath: 'flag.yaml', cwd: dir, env: { AILB_CONFIG: 'env.yaml' } });
  assert.equal(chosen.config.source, fromFlag);
  assert.equal(chosen.config.ailbSettings.drainTimeoutS, 4);

  configError(() => resolveConfig({ configPath: 'missing.yaml', cwd: dir, env: {} }));
});
