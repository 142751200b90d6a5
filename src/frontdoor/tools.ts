/**
 * Tools as the translating front doors (Anthropic Messages, OpenAI Responses) read and write them:
 *
 * - `chatFunctionTool`: a client's function tool (name, description, parameters, strict at the
 *   top level, as both formats write it) as a chat function tool; each format says where its
 *   parameters are (`input_schema`, `parameters`).
 * - `ToolCallStreams`: streamed tool-call deltas as a client stream that names a call when it
 *   opens (Anthropic's content_block_start, the Responses API's output_item.added). A call's id
 *   and name are kept from the first delta that has them; arguments that come before the name are
 *   held until it comes (or the answer ends, see `openHeld`), then sent; later fragments go to the
 *   call as they come, even once another call has opened.
 */
import type { OpenAITool, OpenAIToolCallDelta } from '../providers/types.js';
import { optionalBoolean, optionalString, requiredString, type JsonObject } from './read.js';

/** `tool` (read at `path`) as a chat function tool; `parametersOf` reads its parameters' schema. */
export function chatFunctionTool(tool: JsonObject, path: string, parametersOf: (tool: JsonObject, path: string) => JsonObject | undefined): OpenAITool {
  const definition: OpenAITool['function'] = { name: requiredString(tool, 'name', path) };
  const description = optionalString(tool, 'description', path);
  if (description !== undefined) definition.description = description;
  const parameters = parametersOf(tool, path);
  if (parameters !== undefined) definition.parameters = parameters;
  const strict = optionalBoolean(tool, 'strict', path);
  if (strict !== undefined) definition.strict = strict;
  return { type: 'function', function: definition };
}

/** What a call's deltas have told by the time it opens: its id ('' when none came) and name. */
export interface OpeningToolCall {
  readonly id: string;
  readonly name: string;
}

/** How an encoder writes a call: `open` starts it (returning its handle and the events), `append` adds an arguments fragment. */
export interface ToolCallWriter<Opened> {
  open(call: OpeningToolCall): { readonly opened: Opened; readonly out: string };
  /** The events for a fragment ('' for an empty one). */
  append(opened: Opened, fragment: string): string;
}

interface ToolCallState<Opened> {
  id: string;
  name: string;
  /** Arguments that came before the name. */
  heldArguments: string;
  opened: Opened | null;
}

export class ToolCallStreams<Opened> {
  /** By the canonical tool-call index. */
  private readonly calls = new Map<number, ToolCallState<Opened>>();

  constructor(private readonly writer: ToolCallWriter<Opened>) {}

  /** The events for one delta. */
  add(delta: OpenAIToolCallDelta): string {
    const state = this.stateOf(delta.index);
    if (delta.id && !state.id) state.id = delta.id;
    if (delta.function?.name && !state.name) state.name = delta.function.name;
    const fragment = delta.function?.arguments ?? '';
    if (state.opened !== null) return this.writer.append(state.opened, fragment);
    state.heldArguments += fragment;
    return state.name ? this.open(state) : '';
  }

  /** Calls still waiting for their name when the answer ends: opened with what they have. */
  openHeld(): string {
    let out = '';
    for (const state of this.calls.values()) {
      if (state.opened === null) out += this.open(state);
    }
    return out;
  }

  private stateOf(index: number): ToolCallState<Opened> {
    let state = this.calls.get(index);
    if (state === undefined) {
      state = { id: '', name: '', heldArguments: '', opened: null };
      this.calls.set(index, state);
    }
    return state;
  }

  private open(state: ToolCallState<Opened>): string {
    const { opened, out } = this.writer.open(state);
    state.opened = opened;
    const held = state.heldArguments;
    state.heldArguments = '';
    return out + this.writer.append(opened, held);
  }
}
