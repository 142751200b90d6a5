/**
 * Reads a streamed Ollama chat answer (NDJSON: one JSON object per line, the last with
 * `done: true` and the token counts) into canonical chunks: one chunk per line carrying its
 * content, thinking (as reasoning_content) and tool calls (each whole, with a made id), the first
 * also the assistant role; then, at `done`, the finish chunk and the usage chunk.
 *
 * A line `{"error": "..."}` (Ollama's way to fail a started stream), or a stream that ends
 * without a `done` line, throws GatewayError('upstream_stream_error').
 */
import { StringDecoder } from 'node:string_decoder';
import { GatewayError } from '../../errors.js';
import type { ChunkDecoder, OpenAIChatChunk, UpstreamTarget } from '../types.js';
import { createdOf, finishReasonOf, isObject, newCompletionId, parseObject, toolCallOf, usageOf, type OllamaObject } from './response.js';

type Delta = OpenAIChatChunk['choices'][number]['delta'];

export class OllamaChunkDecoder implements ChunkDecoder {
  private readonly text = new StringDecoder('utf8');
  private readonly id = newCompletionId();
  private readonly model: string;
  private created = 0;
  /** The unfinished last line. */
  private pending = '';
  private started = false;
  private toolCalls = 0;
  private done = false;

  constructor(target: UpstreamTarget) {
    this.model = target.upstreamModel;
  }

  feed(bytes: Buffer): OpenAIChatChunk[] {
    return this.readLines(this.text.write(bytes));
  }

  end(): OpenAIChatChunk[] {
    const chunks = this.readLines(this.text.end() + '\n');
    if (!this.done) throw new GatewayError('upstream_stream_error', 'The Ollama stream ended before its done line');
    return chunks;
  }

  private readLines(text: string): OpenAIChatChunk[] {
    const lines = (this.pending + text).split('\n');
    this.pending = lines.pop() ?? '';
    const chunks: OpenAIChatChunk[] = [];
    for (const line of lines) {
      if (line.trim() === '') continue;
      const object = parseObject(line);
      if (object === null) throw new GatewayError('upstream_bad_response', `Ollama sent a stream line that is not a JSON object: ${line.slice(0, 200)}`);
      chunks.push(...this.chunksOf(object));
    }
    return chunks;
  }

  private chunksOf(line: OllamaObject): OpenAIChatChunk[] {
    if (typeof line.error === 'string') throw new GatewayError('upstream_stream_error', `Ollama failed the stream: ${line.error}`);
    if (this.created === 0) this.created = createdOf(line.created_at);
    const chunks: OpenAIChatChunk[] = [];
    const delta = this.deltaOf(isObject(line.message) ? line.message : {});
    if (delta !== null) chunks.push(this.chunk(delta, null));
    if (line.done === true) {
      this.done = true;
      chunks.push(this.chunk({}, finishReasonOf(line.done_reason, this.toolCalls > 0)));
      const usage = usageOf(line);
      if (usage !== null) chunks.push({ id: this.id, object: 'chat.completion.chunk', created: this.created, model: this.model, choices: [], usage });
    }
    return chunks;
  }

  /** The delta of one line's message; null when it adds nothing (the role is sent once, with the first line). */
  private deltaOf(message: OllamaObject): Delta | null {
    const delta: Delta = {};
    if (!this.started) {
      this.started = true;
      delta.role = 'assistant';
      delta.content = '';
    }
    if (typeof message.thinking === 'string' && message.thinking !== '') delta.reasoning_content = message.thinking;
    if (typeof message.content === 'string' && message.content !== '') delta.content = message.content;
    if (Array.isArray(message.tool_calls) && message.tool_calls.length > 0) {
      delta.tool_calls = message.tool_calls.map((call) => ({ index: this.toolCalls++, ...toolCallOf(call) }));
    }
    return Object.keys(delta).length > 0 ? delta : null;
  }

  private chunk(delta: Delta, finishReason: OpenAIChatChunk['choices'][number]['finish_reason']): OpenAIChatChunk {
    return { id: this.id, object: 'chat.completion.chunk', created: this.created, model: this.model, choices: [{ index: 0, delta, finish_reason: finishReason }] };
  }
}
