/**
 * The AWS event stream framing (`application/vnd.amazon.eventstream`) read incrementally: bytes
 * in, whatever their split, whole messages out.
 *
 * A message is: total length (uint32 BE), headers length (uint32 BE), prelude CRC32, headers,
 * payload, message CRC32. This reader only cuts frames by their declared length; checking the
 * CRCs and parsing the headers is @smithy/eventstream-codec's (the AWS SDK's own codec).
 */
import { EventStreamCodec, type Message } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import { GatewayError } from '../../errors.js';

export type { Message };

/** Prelude (12 bytes) and message CRC (4): the smallest message. */
const MIN_MESSAGE_BYTES = 16;
/** The event stream format caps a message at 16 MiB. */
const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

export const eventStreamCodec = new EventStreamCodec(toUtf8, fromUtf8);

export class EventStreamReader {
  /** Bytes of the message not yet complete (always a copy: fed bytes are lent). */
  private pending: Buffer = Buffer.alloc(0);

  /** The messages completed by `bytes`, in order. */
  feed(bytes: Buffer): Message[] {
    let data = this.pending.length === 0 ? bytes : Buffer.concat([this.pending, bytes]);
    const messages: Message[] = [];
    while (data.length >= 4) {
      const total = data.readUInt32BE(0);
      if (total < MIN_MESSAGE_BYTES || total > MAX_MESSAGE_BYTES) {
        throw new GatewayError('upstream_bad_response', `The Bedrock event stream declares a message of ${total} bytes.`);
      }
      if (data.length < total) break;
      messages.push(decode(data.subarray(0, total)));
      data = data.subarray(total);
    }
    this.pending = Buffer.from(data);
    return messages;
  }

  /** The stream ended: a message cut short is an error. */
  end(): void {
    if (this.pending.length > 0) {
      throw new GatewayError('upstream_bad_response', `The Bedrock event stream ended inside a message (${this.pending.length} bytes left).`);
    }
  }
}

function decode(frame: Buffer): Message {
  try {
    return eventStreamCodec.decode(frame);
  } catch (error) {
    throw new GatewayError('upstream_bad_response', `The Bedrock event stream has a malformed message: ${(error as Error).message}`, { cause: error });
  }
}

/** A string header's value; undefined when absent or of another type. */
export function stringHeader(message: Message, name: string): string | undefined {
  const header = message.headers[name];
  return header?.type === 'string' ? header.value : undefined;
}
