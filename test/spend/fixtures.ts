/** Spend-log rows for the store and writer tests. */
import { randomUUID } from 'node:crypto';
import type { SpendLogRecord } from '../../src/store/types.js';

/** A complete row starting at `start` (default now), with every field set. */
export function spendLogRow(overrides: Partial<SpendLogRecord> = {}, start = new Date()): SpendLogRecord {
  const startTime = start.toISOString();
  return {
    request_id: `chatcmpl-${randomUUID()}`,
    call_type: 'acompletion',
    api_key: 'a'.repeat(64),
    spend: 0.00042,
    total_tokens: 150,
    prompt_tokens: 100,
    completion_tokens: 50,
    startTime,
    endTime: new Date(start.getTime() + 800).toISOString(),
    completionStartTime: new Date(start.getTime() + 200).toISOString(),
    model: 'gpt-4o-mini',
    model_id: 'deployment-1',
    model_group: 'gpt-4o-mini',
    api_base: 'https://api.openai.com/v1',
    user: 'user-1',
    metadata: { user_api_key_alias: 'alias', tags: ['x'], nested: { n: 1 } },
    cache_hit: 'False',
    request_tags: ['prod', 'chat'],
    team_id: 'team-1',
    end_user: 'customer-1',
    requester_ip_address: '10.0.0.1',
    custom_llm_provider: 'openai',
    request_duration_ms: 800,
    status: 'success',
    prompt_tokens_source: 'provider',
    ...overrides,
  };
}
