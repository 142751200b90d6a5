/**
 * The bytes every contender sees: one realistic ~1 KB chat request and one ~600-byte
 * chat.completion answer with usage, both fixed so that every run sends and returns the same
 * thing.
 */

export const MODEL = 'bench-model';
export const MASTER_KEY = 'sk-bench-master';
export const UPSTREAM_KEY = 'sk-upstream';
export const CHAT_PATH = '/v1/chat/completions';
/** Where an Anthropic-format upstream answers (the translating contender's upstream). */
export const MESSAGES_PATH = '/v1/messages';

export const REQUEST_BODY = JSON.stringify({
  model: MODEL,
  messages: [
    {
      role: 'system',
      content:
        'You are a support assistant for an online bookshop. Answer in a friendly, concise tone. ' +
        'When a customer asks about an order, restate the order number, say what you can see and what ' +
        'you cannot, and suggest one next step. Never invent tracking numbers or delivery dates.',
    },
    { role: 'user', content: 'Hi, I ordered two books last Tuesday and the status still says "processing". Order 48213.' },
    {
      role: 'assistant',
      content:
        'Thanks for the order number. Order 48213 shows two paperbacks, paid on Tuesday, still waiting to be ' +
        'packed because one title is coming from our partner warehouse. Would you like me to split the order?',
    },
    {
      role: 'user',
      content:
        'Yes please, ship the one you have now and send the other one when it arrives. Also, can you tell me ' +
        'whether the second book is the hardcover edition? I think I picked the paperback by mistake and would ' +
        'prefer the hardcover if the price difference is small. Thanks a lot for your help!',
    },
  ],
});

export const RESPONSE_BODY = JSON.stringify({
  id: 'chatcmpl-bench0001',
  object: 'chat.completion',
  created: 1764115200,
  model: MODEL,
  system_fingerprint: 'fp_bench0001',
  choices: [
    {
      index: 0,
      message: {
        role: 'assistant',
        content:
          'Done: the first book ships today, the second when it arrives. It is the paperback; ' +
          'the hardcover costs 6.50 more.',
        refusal: null,
      },
      logprobs: null,
      finish_reason: 'stop',
    },
  ],
  usage: {
    prompt_tokens: 231,
    completion_tokens: 46,
    total_tokens: 277,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  },
});

/** The same answer as RESPONSE_BODY in Anthropic's Messages format, for the translating contender. */
export const ANTHROPIC_RESPONSE_BODY = JSON.stringify({
  id: 'msg_bench0001',
  type: 'message',
  role: 'assistant',
  model: MODEL,
  content: [
    {
      type: 'text',
      text:
        'Done: the first book ships today, the second when it arrives. It is the paperback; ' +
        'the hardcover costs 6.50 more.',
    },
  ],
  stop_reason: 'end_turn',
  stop_sequence: null,
  usage: { input_tokens: 231, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 46 },
});

/** True when `body` is a chat.completion answer (a proxy may rewrite fields, but not the shape). */
export function looksLikeCompletion(body: string): boolean {
  try {
    const parsed = JSON.parse(body) as { object?: unknown; choices?: unknown };
    return parsed.object === 'chat.completion' && Array.isArray(parsed.choices) && parsed.choices.length > 0;
  } catch {
    return false;
  }
}
