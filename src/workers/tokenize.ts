// piscina worker of src/native/tokenizer-pool.ts: counts the tokens of one big input. The
// encodings are the addon's process-wide tables, so a worker reads no encoder file when another
// thread has loaded the encoding already.

import type { TokenizeTask } from '../native/tokenizer-pool.js';
import { countChatTokens, countTokens } from '../native/tokenizer.js';

export default function tokenize(task: TokenizeTask): number {
  if (task.kind === 'chat') {
    if (typeof task.data === 'string') throw new TypeError('a chat body must be bytes');
    return countChatTokens(task.encoding, task.data);
  }
  return countTokens(task.encoding, task.data);
}
