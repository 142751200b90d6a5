/**
 * Server-sent events, read incrementally: bytes in any split, out the `data` of each complete
 * event (several `data:` lines of one event joined by a newline). Events end at a blank line (LF
 * or CRLF); comments and fields other than `data` are skipped. UTF-8 characters split across
 * reads are kept whole.
 */
import { StringDecoder } from 'node:string_decoder';

export class SseReader {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';

  /** The data of every event the bytes complete, in order. */
  feed(bytes: Buffer): string[] {
    this.pending += this.decoder.write(bytes);
    return this.takeEvents();
  }

  /** The data of an event left unterminated at the end of the stream, if any. */
  end(): string[] {
    this.pending += this.decoder.end();
    const rest = this.pending;
    this.pending = '';
    const data = eventData(rest);
    return data === null ? [] : [data];
  }

  private takeEvents(): string[] {
    const events: string[] = [];
    for (;;) {
      const boundary = /\r?\n\r?\n/.exec(this.pending);
      if (boundary === null) return events;
      const block = this.pending.slice(0, boundary.index);
      this.pending = this.pending.slice(boundary.index + boundary[0].length);
      const data = eventData(block);
      if (data !== null) events.push(data);
    }
  }
}

/** The joined `data` lines of one event block; null when it has none. */
function eventData(block: string): string | null {
  const lines: string[] = [];
  for (const line of block.split(/\r?\n/)) {
    if (!line.startsWith('data:')) continue;
    const value = line.slice(5);
    lines.push(value.startsWith(' ') ? value.slice(1) : value);
  }
  return lines.length === 0 ? null : lines.join('\n');
}
