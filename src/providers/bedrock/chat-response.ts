/**
 * A whole Converse answer (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html,
 * Response Syntax) as a chat.completion:
 * `output.message.content` blocks → text content, `toolUse` → tool_calls (input serialised as the
 * arguments), `reasoningContent.reasoningText` → reasoning_content; `stopReason` → finish_reason;
 * `usage` → usage (converse.ts). The response_format tool's input is the content (converse.ts).
 */
import { GatewayError } from '../../errors.js';
import { answerObject } from '../answer.js';
import type { OpenAIChatCompletion, OpenAIToolCall, UpstreamTarget } from '../types.js';
import { completionId, finishReasonOf, JSON_TOOL_NAME, usageOf } from './converse.js';

interface ReadMessage {
  text: string;
  reasoning: string;
  toolCalls: OpenAIToolCall[];
  /** The response_format tool's input, serialised; null when that tool was not used. */
  json: string | null;
}

export function converseResponse(body: Buffer, target: UpstreamTarget): OpenAIChatCompletion {
  const answer = answerObject(body, 'The Bedrock answer is not JSON.', 'The Bedrock answer is not a JSON object.');
  const blocks = (answer.output as { message?: { content?: unknown } } | undefined)?.message?.content;
  if (!Array.isArray(blocks)) throw new GatewayError('upstream_bad_response', 'The Bedrock answer has no output.message.content array.');
  if (typeof answer.stopReason !== 'string') throw new GatewayError('upstream_bad_response', 'The Bedrock answer has no stopReason.');
  const read = readBlocks(blocks);
  const message: OpenAIChatCompletion['choices'][number]['message'] = { role: 'assistant', content: contentOf(read) };
  if (read.toolCalls.length > 0) message.tool_calls = read.toolCalls;
  if (read.reasoning !== '') message.reasoning_content = read.reasoning;
  const completion: OpenAIChatCompletion = {
    id: completionId(),
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: target.upstreamModel,
    choices: [{ index: 0, message, finish_reason: finishReasonOf(answer.stopReason, read.json !== null && read.toolCalls.length === 0), logprobs: null }],
  };
  const usage = usageOf(answer.usage);
  if (usage !== null) completion.usage = usage;
  return completion;
}

function readBlocks(blocks: unknown[]): ReadMessage {
  const read: ReadMessage = { text: '', reasoning: '', toolCalls: [], json: null };
  for (const block of blocks) {
    if (typeof block !== 'object' || block === null) continue;
    const { text, toolUse, reasoningContent } = block as { text?: unknown; toolUse?: unknown; reasoningContent?: unknown };
    if (typeof text === 'string') read.text += text;
    else if (typeof toolUse === 'object' && toolUse !== null) readToolUse(toolUse as Record<string, unknown>, read);
    else if (typeof reasoningContent === 'object' && reasoningContent !== null) read.reasoning += reasoningTextOf(reasoningContent);
  }
  return read;
}

function readToolUse(toolUse: Record<string, unknown>, read: ReadMessage): void {
  if (typeof toolUse.toolUseId !== 'string' || typeof toolUse.name !== 'string') {
    throw new GatewayError('upstream_bad_response', 'A Bedrock toolUse block has no toolUseId or name.');
  }
  const args = JSON.stringify(toolUse.input ?? {});
  if (toolUse.name === JSON_TOOL_NAME) read.json = args;
  else read.toolCalls.push({ id: toolUse.toolUseId, type: 'function', function: { name: toolUse.name, arguments: args } });
}

/** The text of a reasoningContent block ('' for redacted reasoning, which has none). */
function reasoningTextOf(reasoningContent: object): string {
  const text = (reasoningContent as { reasoningText?: { text?: unknown } }).reasoningText?.text;
  return typeof text === 'string' ? text : '';
}

/** The response_format answer wins over text; a message with only tool calls has null content, as OpenAI's. */
function contentOf(read: ReadMessage): string | null {
  if (read.json !== null) return read.json;
  if (read.text === '' && read.toolCalls.length > 0) return null;
  return read.text;
}
