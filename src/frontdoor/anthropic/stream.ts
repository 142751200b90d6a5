/**
 * Canonical chat chunks as Anthropic's stream of server-sent events
 * (https://docs.anthropic.com/en/api/messages-streaming), each `event: <type>\ndata: <json>\n\n`:
 *
 *   message_start        the message with empty content; usage.input_tokens 0, because the
 *                        canonical usage only comes in the last chunk (LiteLLM does the same)
 *   content_block_start  one per block, indexes 0, 1, 2… in order: a block of text, of thinking
 *                        (from reasoning_content) or one tool_use per tool call
 *   content_block_delta  text_delta, thinking_delta, input_json_delta (the arguments as they come)
 *   content_block_stop   when another kind of block starts, at finish_reason, or at the end
 *   message_delta        stop_reason (mapped as in response.ts) and the whole usage, read from
 *                        the final usage-only chunk ({output_tokens: 0} when none came)
 *   message_stop
 *
 * Chunks may carry only a role, empty content, several kinds of delta at once (sent thinking,
 * text, tool calls: Anthropic's order), or tool-call arguments before the call's name: those are
 * held until the name comes, since content_block_start names the tool. A fragment for a tool call
 * whose block was already closed (an upstream interleaving parallel calls, which OpenAI does not
 * do) goes out on that block's index, which the SDKs accumulate by. `error` sends Anthropic's
 * error event, and nothing follows it.
 */
import type { GatewayError } from '../../errors.js';
import type { FinishReason, OpenAIChatChunk, OpenAIUsage } from '../../providers/types.js';
import { ToolCallStreams, type OpeningToolCall } from '../tools.js';
import type { ChunkEncoder } from '../types.js';
import { anthropicErrorBody } from './errors.js';
import { anthropicMessageId, anthropicStopReason, anthropicToolUseId, anthropicUsage, type AnthropicContentBlock } from './response.js';

type BlockKind = AnthropicContentBlock['type'];

export function sseEvent(type: string, data: Record<string, unknown>): string {
  return `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
}

export class AnthropicChunkEncoder implements ChunkEncoder {
  private started = false;
  private finished = false;
  private nextBlockIndex = 0;
  private openBlock: { kind: BlockKind; index: number } | null = null;
  /** Tool calls, each opened as a tool_use block (its handle: the block's index). */
  private readonly toolCalls = new ToolCallStreams<number>({ open: (call) => this.startToolCall(call), append: inputDelta });
  private finishReason: FinishReason | null = null;
  private usage: OpenAIUsage | null = null;

  chunk(chunk: OpenAIChatChunk): string {
    if (this.finished) return '';
    let out = this.messageStart(chunk.id, chunk.model);
    if (chunk.usage) this.usage = chunk.usage;
    const choice = chunk.choices.find((candidate) => candidate.index === 0);
    if (choice === undefined) return out;
    const { delta } = choice;
    if (delta.reasoning_content) out += this.appendText('thinking', delta.reasoning_content);
    if (delta.content) out += this.appendText('text', delta.content);
    for (const call of delta.tool_calls ?? []) out += this.toolCalls.add(call);
    if (choice.finish_reason) {
      this.finishReason = choice.finish_reason;
      out += this.toolCalls.openHeld() + this.closeBlock();
    }
    return out;
  }

  end(): string {
    if (this.finished) return '';
    this.finished = true;
    const usage = this.usage === null ? { output_tokens: 0 } : anthropicUsage(this.usage);
    return (
      this.messageStart('', '') +
      this.toolCalls.openHeld() +
      this.closeBlock() +
      sseEvent('message_delta', { delta: { stop_reason: anthropicStopReason(this.finishReason), stop_sequence: null }, usage }) +
      sseEvent('message_stop', {})
    );
  }

  error(error: GatewayError): string {
    if (this.finished) return '';
    this.finished = true;
    return `event: error\ndata: ${anthropicErrorBody(error)}\n\n`;
  }

  private messageStart(upstreamId: string, model: string): string {
    if (this.started) return '';
    this.started = true;
    const message = {
      id: anthropicMessageId(upstreamId),
      type: 'message',
      role: 'assistant',
      content: [],
      model,
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: 0, output_tokens: 0 },
    };
    return sseEvent('message_start', { message });
  }

  private appendText(kind: 'text' | 'thinking', text: string): string {
    let out = '';
    if (this.openBlock?.kind !== kind) {
      out += this.startBlock(kind === 'text' ? { type: 'text', text: '' } : { type: 'thinking', thinking: '', signature: '' });
    }
    const delta = kind === 'text' ? { type: 'text_delta', text } : { type: 'thinking_delta', thinking: text };
    return out + sseEvent('content_block_delta', { index: this.openBlock!.index, delta });
  }

  private startToolCall(call: OpeningToolCall): { opened: number; out: string } {
    const out = this.startBlock({ type: 'tool_use', id: call.id || anthropicToolUseId(), name: call.name, input: {} });
    return { opened: this.openBlock!.index, out };
  }

  private startBlock(contentBlock: AnthropicContentBlock): string {
    const out = this.closeBlock();
    const index = this.nextBlockIndex++;
    this.openBlock = { kind: contentBlock.type, index };
    return out + sseEvent('content_block_start', { index, content_block: contentBlock });
  }

  private closeBlock(): string {
    if (this.openBlock === null) return '';
    const { index } = this.openBlock;
    this.openBlock = null;
    return sseEvent('content_block_stop', { index });
  }
}

function inputDelta(index: number, partialJson: string): string {
  if (partialJson === '') return '';
  return sseEvent('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: partialJson } });
}
