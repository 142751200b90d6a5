/**
 * Parse stage: validates the body with the native scanner and reads the few top-level fields the
 * gateway acts on (model, stream, and the types of messages, max_tokens, user…). The body is never
 * turned into a JS object: the scanner reports byte offsets, and only the model string is decoded.
 */
import { GatewayError } from '../../errors.js';
import { JsonKind, RequestScan, ScanField } from '../../native/index.js';
import { StageStatus, type RequestContext, type Stage } from '../context.js';

const KIND_NAMES = ['absent', 'string', 'string', 'number', 'boolean', 'boolean', 'null', 'object', 'array'];

export function createParseStage(): Stage {
  // One scanner per thread: it owns a preallocated output array and is reused for every request.
  const scan = new RequestScan();
  return function parse(ctx: RequestContext): StageStatus {
    const body = ctx.body.subarray(0, ctx.bodyLength);
    if (scan.scan(body) !== 0) {
      throw new GatewayError('invalid_json', `Invalid JSON in request body: ${scan.errorMessage()}.`);
    }
    const modelKind = scan.kind(ScanField.Model);
    if (modelKind === JsonKind.Absent) {
      throw new GatewayError('invalid_body', 'Missing required parameter: model.', { param: 'model' });
    }
    if (modelKind !== JsonKind.String && modelKind !== JsonKind.StringEscaped) {
      throw wrongType('model', 'a string', modelKind);
    }
    ctx.model = scan.stringValue(body, ScanField.Model)!;
    ctx.modelStart = scan.start(ScanField.Model);
    ctx.modelEnd = scan.end(ScanField.Model);

    const streamKind = scan.kind(ScanField.Stream);
    if (streamKind === JsonKind.True) ctx.stream = ctx.route.canStream;
    else if (streamKind !== JsonKind.Absent && streamKind !== JsonKind.False && streamKind !== JsonKind.Null) {
      throw wrongType('stream', 'a boolean', streamKind);
    }

    expectKind(scan, ScanField.StreamOptions, 'stream_options', 'an object', JsonKind.Object);
    const streamOptionsKind = scan.kind(ScanField.StreamOptions);
    if (streamOptionsKind !== JsonKind.Absent) {
      ctx.streamOptionsStart = scan.start(ScanField.StreamOptions);
      ctx.streamOptionsEnd = scan.end(ScanField.StreamOptions);
      if (streamOptionsKind === JsonKind.Object) ctx.clientWantsUsage = readIncludeUsage(body, ctx.streamOptionsStart, ctx.streamOptionsEnd);
    }
    expectKind(scan, ScanField.MaxTokens, 'max_tokens', 'an integer', JsonKind.Number);
    expectKind(scan, ScanField.MaxCompletionTokens, 'max_completion_tokens', 'an integer', JsonKind.Number);
    expectKind(scan, ScanField.User, 'user', 'a string', JsonKind.String, JsonKind.StringEscaped);
    if (scan.kind(ScanField.MaxTokens) === JsonKind.Number) ctx.maxTokens = scan.numberValue(body, ScanField.MaxTokens) ?? -1;
    else if (scan.kind(ScanField.MaxCompletionTokens) === JsonKind.Number) ctx.maxTokens = scan.numberValue(body, ScanField.MaxCompletionTokens) ?? -1;
    const userKind = scan.kind(ScanField.User);
    if (userKind === JsonKind.String || userKind === JsonKind.StringEscaped) ctx.endUser = scan.stringValue(body, ScanField.User)!;
    // A Responses API body has `input` instead (its client format reads and checks it).
    if (ctx.route.kind === 'chat' && ctx.route.client.wire !== 'openai-responses') {
      const messagesKind = scan.kind(ScanField.Messages);
      if (messagesKind === JsonKind.Absent) {
        throw new GatewayError('invalid_body', 'Missing required parameter: messages.', { param: 'messages' });
      }
      if (messagesKind !== JsonKind.Array) throw wrongType('messages', 'an array', messagesKind);
    }
    return StageStatus.Continue;
  };
}

/**
 * `stream_options.include_usage`. The object is small and rare, so it is parsed outright; it must
 * be a boolean when present (OpenAI refuses anything else).
 */
function readIncludeUsage(body: Buffer, start: number, end: number): boolean {
  const options = JSON.parse(body.toString('utf8', start, end)) as Record<string, unknown>;
  const value = options.include_usage;
  if (value === undefined || value === null) return false;
  if (typeof value !== 'boolean') {
    throw new GatewayError('invalid_body', `Invalid type for 'stream_options.include_usage': expected a boolean, but got ${Array.isArray(value) ? 'array' : typeof value}.`, {
      param: 'stream_options.include_usage',
    });
  }
  return value;
}

/** Accepts an absent or null field, or one of the given kinds. */
function expectKind(scan: RequestScan, field: ScanField, name: string, expected: string, ...kinds: JsonKind[]): void {
  const kind = scan.kind(field);
  if (kind === JsonKind.Absent || kind === JsonKind.Null || kinds.includes(kind)) return;
  throw wrongType(name, expected, kind);
}

function wrongType(name: string, expected: string, kind: JsonKind): GatewayError {
  return new GatewayError('invalid_body', `Invalid type for '${name}': expected ${expected}, but got ${KIND_NAMES[kind]}.`, {
    param: name,
  });
}
