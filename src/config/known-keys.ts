/**
 * The keys LiteLLM documents for each config section. A key on these lists is accepted silently
 * (kept in the section's `raw` for the parts of AILB that use it); any other key is a warning
 * with its path and line, because it is most likely a typo. Keys AILB reads itself are on the
 * lists too.
 */

import { childPath, type IssueList } from './issues.js';
import type { PlainObject } from './fields.js';

/** Top-level sections AILB reads. */
export const TOP_LEVEL_KEYS: ReadonlySet<string> = new Set([
  'model_list', 'litellm_settings', 'general_settings', 'router_settings', 'environment_variables',
  'guardrails', 'credential_list', 'ailb_settings',
]);

/** Top-level LiteLLM sections AILB does not read yet: warned about as unsupported, not as typos. */
export const UNSUPPORTED_TOP_LEVEL_KEYS: ReadonlySet<string> = new Set([
  'include', 'mcp_servers', 'mcp_tools', 'search_tools', 'vector_store_registry', 'files_settings',
  'finetune_settings', 'assistant_settings', 'callback_settings', 'model_group_settings',
  'pass_through_endpoints', 'prompts', 'agent_list',
]);

/** Keys of one model_list entry. `rpm`/`tpm` here are LiteLLM's older spelling of the per-deployment limits. */
export const MODEL_ENTRY_KEYS: ReadonlySet<string> = new Set([
  'model_name', 'litellm_params', 'model_info', 'rpm', 'tpm',
]);

/**
 * litellm_params: AILB's own fields, provider credentials LiteLLM reads, and the call defaults
 * LiteLLM forwards with every request (kept so a later change can apply them).
 */
export const LITELLM_PARAMS_KEYS: ReadonlySet<string> = new Set([
  // read by AILB
  'model', 'api_base', 'api_key', 'api_version', 'organization', 'timeout', 'stream_timeout', 'rpm',
  'tpm', 'weight', 'order', 'max_retries', 'extra_headers', 'custom_llm_provider',
  'litellm_credential_name',
  // provider credentials and placement
  'aws_access_key_id', 'aws_secret_access_key', 'aws_session_token', 'aws_region_name',
  'aws_profile_name', 'aws_role_name', 'aws_session_name', 'aws_web_identity_token',
  'aws_sts_endpoint', 'aws_bedrock_runtime_endpoint', 'vertex_project', 'vertex_location',
  'vertex_credentials', 'region_name', 'azure_ad_token', 'azure_ad_token_provider', 'azure_username',
  'azure_password', 'azure_scope', 'tenant_id', 'client_id', 'client_secret', 'watsonx_region_name',
  'project_id', 'space_id', 'headers', 'use_in_pass_through', 'use_litellm_proxy',
  'configurable_clientside_auth_params', 'base_model', 'auto_router_config',
  // pricing, budgets, tags
  'input_cost_per_token', 'output_cost_per_token', 'input_cost_per_second', 'output_cost_per_second',
  'input_cost_per_pixel', 'output_cost_per_pixel', 'max_budget', 'budget_duration', 'tags',
  'tpm_limit', 'rpm_limit', 'max_parallel_requests',
  // call defaults and behaviour
  'drop_params', 'additional_drop_params', 'merge_reasoning_content_in_choices', 'mock_response',
  'temperature', 'top_p', 'top_k', 'max_tokens', 'max_completion_tokens', 'n', 'stop', 'seed',
  'presence_penalty', 'frequency_penalty', 'logit_bias', 'response_format', 'reasoning_effort',
  'thinking', 'tools', 'tool_choice', 'parallel_tool_calls', 'user', 'stream', 'stream_options',
  'extra_body', 'num_retries', 'cache_control_injection_points', 'guardrails', 'metadata',
]);

/** router_settings: the litellm.Router arguments the proxy passes through. */
export const ROUTER_SETTINGS_KEYS: ReadonlySet<string> = new Set([
  'routing_strategy', 'routing_strategy_args', 'num_retries', 'retry_after', 'timeout',
  'stream_timeout', 'allowed_fails', 'cooldown_time', 'disable_cooldowns', 'max_fallbacks',
  'enable_pre_call_checks', 'optional_pre_call_checks', 'model_group_alias', 'retry_policy',
  'model_group_retry_policy', 'allowed_fails_policy', 'redis_host', 'redis_port', 'redis_password',
  'redis_url', 'cache_responses', 'cache_kwargs', 'caching_groups', 'client_ttl', 'fallbacks',
  'context_window_fallbacks', 'content_policy_fallbacks', 'default_fallbacks',
  'default_litellm_params', 'default_max_parallel_requests', 'default_priority', 'polling_interval',
  'provider_budget_config', 'enable_tag_filtering', 'tag_filtering_match_any', 'set_verbose',
  'debug_level', 'alerting_config', 'router_general_settings', 'ignore_invalid_deployments',
  'routing_groups', 'assistants_config', 'search_tools', 'guardrail_list',
]);

/** litellm_settings: module-level LiteLLM settings. */
export const LITELLM_SETTINGS_KEYS: ReadonlySet<string> = new Set([
  'drop_params', 'modify_params', 'num_retries', 'request_timeout', 'callbacks', 'success_callback',
  'failure_callback', 'service_callback', 'callback_settings', 'turn_off_message_logging',
  'redact_messages_in_exceptions', 'redact_user_api_key_info', 'langfuse_default_tags', 'set_verbose',
  'json_logs', 'cache', 'cache_params', 'enable_caching_on_provider_specific_optional_params',
  'fallbacks', 'context_window_fallbacks', 'content_policy_fallbacks', 'default_fallbacks',
  'allowed_fails', 'max_fallbacks', 'cooldown_time', 'max_budget', 'budget_duration', 'timezone',
  'default_key_generate_params', 'upperbound_key_generate_params', 'default_internal_user_params',
  'default_team_settings', 'key_generation_settings', 'max_internal_user_budget',
  'internal_user_budget_duration', 'max_end_user_budget', 'disable_end_user_cost_tracking',
  'disable_end_user_cost_tracking_prometheus_only', 'enable_preview_features',
  'return_response_headers', 'force_ipv4', 'ssl_verify', 'ssl_certificate', 'public_model_groups',
  'public_model_groups_links', 'enable_json_schema_validation', 'guardrails', 'presidio_ad_hoc_recognizers',
  'default_redis_batch_cache_expiry', 'tag_budget_config', 'model_cost_map_url', 'mcp_aliases',
  'disable_add_transform_inline_image_block', 'extra_spend_tag_headers', 'logging', 'max_parallel_requests',
  'use_chat_completions_url_for_anthropic_messages', 'cost_discount_config', 'headers',
  'disable_token_counter', 'prometheus_initialize_budget_metrics', 'default_max_tokens',
]);

/** general_settings: proxy server settings. */
export const GENERAL_SETTINGS_KEYS: ReadonlySet<string> = new Set([
  'master_key', 'database_url', 'database_connection_pool_limit', 'database_connection_timeout',
  'store_model_in_db', 'store_prompts_in_spend_logs', 'alerting', 'alerting_threshold',
  'alerting_args', 'alert_types', 'alert_to_webhook_url', 'proxy_batch_write_at',
  'proxy_budget_rescheduler_min_time', 'proxy_budget_rescheduler_max_time', 'disable_spend_logs',
  'disable_master_key_return', 'disable_retry_on_max_parallel_request_limit_error',
  'disable_reset_budget', 'disable_adding_master_key_hash_to_db', 'disable_error_logs',
  'maximum_spend_logs_retention_period', 'maximum_spend_logs_retention_interval',
  'allow_requests_on_db_unavailable', 'max_parallel_requests', 'global_max_parallel_requests',
  'background_health_checks', 'health_check_interval', 'health_check_details',
  'litellm_key_header_name', 'max_request_size_mb', 'max_response_size_mb', 'custom_auth',
  'custom_auth_settings', 'custom_key_generate', 'custom_sso', 'allowed_routes',
  'admin_only_routes', 'public_routes', 'allowed_ips', 'enforce_user_param', 'enable_jwt_auth',
  'litellm_jwtauth', 'ui_access_mode', 'key_management_system', 'key_management_settings',
  'use_redis_transaction_buffer', 'use_shared_health_check', 'service_account_settings',
  'user_header_name', 'user_header_mappings', 'pass_through_endpoints', 'enable_oauth2_auth',
  'infer_model_from_keys', 'forward_openai_org_id', 'forward_client_headers_to_llm_api',
  'use_x_forwarded_for', 'reject_clientside_metadata_tags', 'proxy_batch_polling_interval',
  'spend_report_frequency', 'moderation_model', 'enforced_params', 'embedding_model',
  'disable_prisma_schema_update', 'supported_db_objects', 'otel', 'cors_allow_origins',
  'default_team_disabled', 'allow_user_auth', 'user_api_key_cache_ttl', 'enable_public_model_hub',
  'store_audit_logs', 'control_plane_url', 'mcp_client_side_auth_header_name',
]);

/** ailb_settings: AILB's own keys. */
export const AILB_SETTINGS_KEYS: ReadonlySet<string> = new Set(['drain_timeout_s', 'hot_reload', 'count_prompt_tokens', 'alerting', 'budget_reservation_max_tokens', 'when_all_cooling', 'redis_failure_mode', 'redis_key_prefix']);

/** ailb_settings.alerting: budget alert webhooks and their delivery. */
export const AILB_ALERTING_KEYS: ReadonlySet<string> = new Set(['webhooks', 'timeout_s', 'max_attempts', 'queue_size']);

/** ailb_settings.alerting.webhooks[] entries. */
export const ALERT_WEBHOOK_KEYS: ReadonlySet<string> = new Set(['url', 'format']);

/** guardrails[] entries and their litellm_params (provider-specific keys are free-form). */
export const GUARDRAIL_ENTRY_KEYS: ReadonlySet<string> = new Set([
  'guardrail_name', 'litellm_params', 'guardrail_info', 'guardrail_id',
]);

/** credential_list[] entries. */
export const CREDENTIAL_ENTRY_KEYS: ReadonlySet<string> = new Set([
  'credential_name', 'credential_values', 'credential_info',
]);

/** Warns about each key of `obj` (at `path`) that is not in `known`. */
export function warnUnknownKeys(
  obj: PlainObject,
  path: string,
  known: ReadonlySet<string>,
  issues: IssueList,
): void {
  for (const key of Object.keys(obj)) {
    if (!known.has(key)) issues.warn(childPath(path, key), 'unknown key; ignored');
  }
}
