/**
 * Call ids: random version-4 UUIDs, as LiteLLM's `x-litellm-call-id`.
 *
 * Why not crypto.randomUUID(): it builds each id by concatenating 20 short strings, which V8
 * later flattens again when the id is written into a header; on the request path that was one of
 * the largest sources of short-lived garbage. Here the id is formatted into a scratch buffer and
 * read back as one flat string. Randomness comes from crypto.randomFillSync in blocks of 256 ids.
 */
import { randomFillSync } from 'node:crypto';

const BLOCK_IDS = 256;
const random = Buffer.allocUnsafeSlow(16 * BLOCK_IDS);
let next = BLOCK_IDS;
const text = Buffer.allocUnsafeSlow(36);
const HEX = Buffer.from('0123456789abcdef', 'latin1');
/** Where each of the 16 bytes goes in `xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx`. */
const POSITIONS = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];
text[8] = text[13] = text[18] = text[23] = 0x2d; // '-'

type Latin1Slicing = Buffer & { latin1Slice(start: number, end: number): string };

export function newCallId(): string {
  if (next === BLOCK_IDS) {
    randomFillSync(random);
    next = 0;
  }
  const base = next++ * 16;
  for (let i = 0; i < 16; i++) {
    let byte = random[base + i];
    if (i === 6) byte = (byte & 0x0f) | 0x40; // version 4
    else if (i === 8) byte = (byte & 0x3f) | 0x80; // RFC 4122 variant
    const at = POSITIONS[i];
    text[at] = HEX[byte >> 4];
    text[at + 1] = HEX[byte & 15];
  }
  return (text as Latin1Slicing).latin1Slice(0, 36);
}
