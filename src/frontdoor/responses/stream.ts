/**
 * Canonical chat chunks as the Responses API's stream of server-sent events
 * (https://platform.openai.com/docs/api-reference/responses-streaming), each
 * `event: <type>\ndata: {"type":…,"sequence_number":n,…}\n\n`, numbered from 0:
 *
 *   response.created, response.in_progress   the response, status in_progress, no output yet
 *   per output item, one at a time, in the order the answer makes them:
 *     response.output_item.added             the item, status in_progress, empty
 *     reasoning (from reasoning_content):    content_part.added (reasoning_text),
 *                                            reasoning_text.delta…, reasoning_text.done,
 *                                            content_part.done
 *     message (from content):                content_part.added (output_text),
 *                                            output_text.delta…, output_text.done,
 *                                            content_part.done
 *     function_call (one per tool call):     function_call_arguments.delta…,
 *                                            function_call_arguments.done
 *     response.output_item.done              the whole item
 *   response.completed                       the whole response with its usage (from the final
 *                                            usage-only chunk); response.incomplete instead when
 *                                            the answer was cut short (see response.ts)
 *
 * An item ends when another starts, at finish_reason, or at the end. Tool-call arguments that
 * come before the call's name are held until it comes, since output_item.added names the
 * function. A fragment for a call whose item already ended (an upstream interleaving parallel
 * calls, which OpenAI's chat API does not do) still goes out as a delta on that item's
 * output_index and into the final response. `error` sends the `error` event and, once the
 * response was announced, response.failed with what had been produced; nothing follows them.
 */
import type { GatewayError } from '../../errors.js';
import type { FinishReason, OpenAIChatChunk, OpenAIUsage } from '../../providers/types.js';
import { ToolCallStreams, type OpeningToolCall } from '../tools.js';
import type { ChunkEncoder } from '../types.js';
import {
  itemId,
  messageItem,
  outcomeOf,
  outputText,
  reasoningItem,
  responseEnvelope,
  responseId,
  responsesUsage,
  type FunctionCallItem,
  type ItemStatus,
  type MessageItem,
  type Outcome,
  type OutputItem,
  type ReasoningItem,
} from './response.js';

/** A function_call item being streamed, and where it stands in the output. */
interface OpenFunctionCall {
  readonly item: FunctionCallItem;
  readonly outputIndex: number;
}

interface Identity {
  id: string;
  createdAt: number;
  model: string;
}

export class ResponsesChunkEncoder implements ChunkEncoder {
  private sequenceNumber = 0;
  private identity: Identity | null = null;
  private finished = false;
  private readonly output: OutputItem[] = [];
  /** The item being streamed (always the last of `output`), null between items. */
  private openItem: OutputItem | null = null;
  private readonly toolCalls = new ToolCallStreams<OpenFunctionCall>({
    open: (call) => this.openFunctionCall(call),
    append: (call, fragment) => this.appendArguments(call, fragment),
  });
  private finishReason: FinishReason | null = null;
  private usage: OpenAIUsage | null = null;

  chunk(chunk: OpenAIChatChunk): string {
    if (this.finished) return '';
    let out = this.announce(chunk);
    if (chunk.usage) this.usage = chunk.usage;
    const choice = chunk.choices.find((candidate) => candidate.index === 0);
    if (choice === undefined) return out;
    const { delta } = choice;
    if (delta.reasoning_content) out += this.appendReasoning(delta.reasoning_content);
    if (delta.content) out += this.appendText(delta.content);
    for (const call of delta.tool_calls ?? []) out += this.toolCalls.add(call);
    if (choice.finish_reason) {
      this.finishReason = choice.finish_reason;
      out += this.toolCalls.openHeld() + this.closeItem(lastItemStatus(this.outcome()));
    }
    return out;
  }

  end(): string {
    if (this.finished) return '';
    let out = this.announce(null) + this.toolCalls.openHeld();
    // An answer with nothing in it still has its (empty) message, as OpenAI's do.
    if (this.output.length === 0) out += this.openMessage();
    out += this.closeItem(lastItemStatus(this.outcome()));
    this.finished = true;
    const outcome = this.outcome();
    const type = outcome.status === 'incomplete' ? 'response.incomplete' : 'response.completed';
    return out + this.event(type, { response: this.response(outcome) });
  }

  error(error: GatewayError): string {
    if (this.finished) return '';
    this.finished = true;
    let out = this.event('error', { code: String(error.status), message: error.message, param: error.param });
    if (this.identity !== null) {
      const failed = { status: 'failed' as const, incomplete_details: null };
      out += this.event('response.failed', { response: this.response(failed, { code: responseErrorCode(error), message: error.message }) });
    }
    return out;
  }

  // ---- the response ----

  /** response.created and response.in_progress, before anything else. */
  private announce(chunk: OpenAIChatChunk | null): string {
    if (this.identity !== null) return '';
    this.identity = {
      id: responseId(chunk?.id ?? ''),
      createdAt: chunk?.created || Math.floor(Date.now() / 1000),
      model: chunk?.model ?? '',
    };
    const inProgress = { status: 'in_progress' as const, incomplete_details: null };
    return this.event('response.created', { response: this.response(inProgress) }) + this.event('response.in_progress', { response: this.response(inProgress) });
  }

  private outcome(): Outcome {
    return outcomeOf(this.finishReason);
  }

  private response(outcome: Outcome, error: { code: string; message: string } | null = null): Record<string, unknown> {
    const identity = this.identity!;
    const done = outcome.status !== 'in_progress';
    return responseEnvelope({
      ...identity,
      outcome,
      output: this.output,
      usage: done ? responsesUsage(this.usage) : null,
      error,
    });
  }

  // ---- items ----

  private appendReasoning(text: string): string {
    let out = '';
    if (this.openItem?.type !== 'reasoning') out += this.openReasoning();
    const item = this.openItem as ReasoningItem;
    item.content[0].text += text;
    return out + this.event('response.reasoning_text.delta', { ...this.partAddress(item), delta: text });
  }

  private appendText(text: string): string {
    let out = '';
    if (this.openItem?.type !== 'message') out += this.openMessage();
    const item = this.openItem as MessageItem;
    item.content[0].text += text;
    return out + this.event('response.output_text.delta', { ...this.partAddress(item), delta: text, logprobs: [] });
  }

  private openReasoning(): string {
    const item = reasoningItem('', 'in_progress');
    const out = this.openItemEvents(item, { ...item, content: [] });
    return out + this.event('response.content_part.added', { ...this.partAddress(item), part: { type: 'reasoning_text', text: '' } });
  }

  private openMessage(): string {
    const item = messageItem('', 'in_progress');
    const out = this.openItemEvents(item, { ...item, content: [] });
    return out + this.event('response.content_part.added', { ...this.partAddress(item), part: outputText('') });
  }

  private openFunctionCall(call: OpeningToolCall): { opened: OpenFunctionCall; out: string } {
    const item: FunctionCallItem = {
      id: itemId('fc'),
      type: 'function_call',
      status: 'in_progress',
      arguments: '',
      call_id: call.id || itemId('call'),
      name: call.name,
    };
    const out = this.openItemEvents(item, { ...item });
    return { opened: { item, outputIndex: this.output.length - 1 }, out };
  }

  private appendArguments(call: OpenFunctionCall, fragment: string): string {
    if (fragment === '') return '';
    call.item.arguments += fragment;
    return this.event('response.function_call_arguments.delta', { item_id: call.item.id, output_index: call.outputIndex, delta: fragment });
  }

  /** Ends the open item, adds `item`, and announces it as `added` shows it (empty). */
  private openItemEvents(item: OutputItem, added: OutputItem): string {
    const out = this.closeItem('completed');
    this.output.push(item);
    this.openItem = item;
    return out + this.event('response.output_item.added', { output_index: this.output.length - 1, item: added });
  }

  private closeItem(status: ItemStatus): string {
    const item = this.openItem;
    if (item === null) return '';
    this.openItem = null;
    item.status = status;
    const outputIndex = this.output.length - 1;
    let out = '';
    if (item.type === 'message') {
      const part = item.content[0];
      out += this.event('response.output_text.done', { ...this.partAddress(item), text: part.text, logprobs: [] });
      out += this.event('response.content_part.done', { ...this.partAddress(item), part });
    } else if (item.type === 'reasoning') {
      const part = item.content[0];
      out += this.event('response.reasoning_text.done', { ...this.partAddress(item), text: part.text });
      out += this.event('response.content_part.done', { ...this.partAddress(item), part });
    } else {
      out += this.event('response.function_call_arguments.done', { item_id: item.id, output_index: outputIndex, name: item.name, arguments: item.arguments });
    }
    return out + this.event('response.output_item.done', { output_index: outputIndex, item });
  }

  /** Where the open item's only content part is. */
  private partAddress(item: OutputItem): { item_id: string; output_index: number; content_index: number } {
    return { item_id: item.id, output_index: this.output.indexOf(item), content_index: 0 };
  }

  private event(type: string, data: Record<string, unknown>): string {
    const sequenceNumber = this.sequenceNumber++;
    return `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: sequenceNumber, ...data })}\n\n`;
  }
}

/** The status of the item that ends the answer: cut short with it, or complete. */
function lastItemStatus(outcome: Outcome): ItemStatus {
  return outcome.status === 'incomplete' ? 'incomplete' : 'completed';
}

/** The Response's error code (an enum in OpenAI's API) for a gateway error. */
function responseErrorCode(error: GatewayError): string {
  return error.status === 429 ? 'rate_limit_exceeded' : 'server_error';
}
