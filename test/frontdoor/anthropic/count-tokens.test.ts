/**
 * The text of a /v1/messages/count_tokens body (the docs' examples) that the gateway counts:
 * system, messages (text, tool_use, tool_result, thinking, text documents) and tool definitions.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GatewayError } from '../../../src/errors.js';
import { textForTokenCount } from '../../../src/frontdoor/anthropic/index.js';
import { countTokens } from '../../../src/native/index.js';

function text(body: unknown): string {
  return textForTokenCount(Buffer.from(JSON.stringify(body)));
}

describe('count_tokens text', () => {
  test('system and a user message (the docs example)', () => {
    const counted = text({ model: 'claude-opus-4-1-20250805', system: 'You are a scientist', messages: [{ role: 'user', content: 'Hello, Claude' }] });
    assert.equal(counted, 'You are a scientist\nHello, Claude');
    assert.equal(countTokens('o200k_base', counted), countTokens('o200k_base', 'You are a scientist\nHello, Claude'));
  });

  test('tools, tool_use, tool_result, thinking, text blocks and documents count; images do not', () => {
    const schema = { type: 'object', properties: { location: { type: 'string', description: 'The city and state, e.g. San Francisco, CA' } }, required: ['location'] };
    const counted = text({
      model: 'claude-opus-4-1-20250805',
      system: [{ type: 'text', text: 'Be brief.' }],
      tools: [{ name: 'get_weather', description: 'Get the current weather in a given location', input_schema: schema }],
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: "What's the weather like in San Francisco?" },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
            { type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'A note.' } },
          ],
        },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'Use the tool.', signature: 'sig' },
            { type: 'tool_use', id: 'toolu_01', name: 'get_weather', input: { location: 'San Francisco, CA' } },
          ],
        },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_01', content: [{ type: 'text', text: '15 degrees' }] }] },
      ],
    });
    assert.equal(
      counted,
      [
        'Be brief.',
        "What's the weather like in San Francisco?",
        'A note.',
        'Use the tool.',
        'get_weather',
        '{"location":"San Francisco, CA"}',
        '15 degrees',
        'get_weather',
        'Get the current weather in a given location',
        JSON.stringify(schema),
      ].join('\n'),
    );
  });

  test('messages is required', () => {
    assert.throws(
      () => text({ model: 'm' }),
      (error: unknown) => error instanceof GatewayError && error.code === 'invalid_body' && error.param === 'messages',
    );
    assert.throws(
      () => text({ model: 'm', messages: ['hi'] }),
      (error: unknown) => error instanceof GatewayError && error.param === 'messages[0]',
    );
  });
});
