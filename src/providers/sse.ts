/**
 * Server-sent events (https://html.spec.whatwg.org/multipage/server-sent-events.html), read as
 * their bytes arrive: bytes in any split, out the data of each complete event, for every adapter
 * whose upstream streams SSE (Anthropic, Gemini, Cohere, OpenAI-format upstreams).
 *
 * - Lines end in LF, CRLF or a lone CR (a CRLF split across two reads is one line end); a blank
 *   line ends an event.
 * - An event's `data:` lines (one space after the colon dropped) are joined with LF. Comments
 *   (`:` lines) and other fields (`event:`, `id:`, `retry:`) are skipped: each upstream's data
 *   names its own event type. An event without data lines is no event.
 * - Lines are cut on bytes and decoded whole: CR and LF never occur inside a UTF-8 sequence, so a
 *   character split across reads comes out whole.
 * - `end()` gives the event the stream left unterminated, if it has data.
 */

const LF = 0x0a;
const CR = 0x0d;
const DATA_FIELD = Buffer.from('data:');
const SPACE = 0x20;
const EMPTY = Buffer.alloc(0);

export class SseReader {
  /** Bytes after the last line end (a copy: fed buffers are lent). */
  private partialLine: Buffer = EMPTY;
  /** The last read ended on a CR: an LF starting the next one belongs to it. */
  private afterCR = false;
  /** The data of the event being read; null before its first data line. */
  private data: string | null = null;

  /** The data of every event the bytes complete, in order. */
  feed(bytes: Buffer): string[] {
    const events: string[] = [];
    let start = 0;
    if (this.afterCR && bytes.length > 0) {
      // The CR ended a line, so nothing is held: the bytes start afresh.
      this.afterCR = false;
      if (bytes[0] === LF) start = 1;
    }
    const text = this.partialLine.length > 0 ? Buffer.concat([this.partialLine, bytes]) : bytes;
    let nextCR = text.indexOf(CR, start);
    for (;;) {
      let lineEnd = text.indexOf(LF, start);
      if (nextCR !== -1 && nextCR < start) nextCR = text.indexOf(CR, start);
      if (nextCR !== -1 && (lineEnd === -1 || nextCR < lineEnd)) lineEnd = nextCR;
      if (lineEnd === -1) break;
      this.line(text, start, lineEnd, events);
      start = lineEnd + 1;
      if (text[lineEnd] === CR) {
        if (start === text.length) this.afterCR = true;
        else if (text[start] === LF) start++;
      }
    }
    this.partialLine = start < text.length ? Buffer.from(text.subarray(start)) : EMPTY;
    return events;
  }

  /** The data of an event left unterminated at the end of the stream, if any. */
  end(): string[] {
    const events: string[] = [];
    if (this.partialLine.length > 0) this.line(this.partialLine, 0, this.partialLine.length, events);
    this.partialLine = EMPTY;
    this.afterCR = false;
    this.dispatch(events);
    return events;
  }

  /** One line, `bytes[start, end)` without its line end. */
  private line(bytes: Buffer, start: number, end: number, events: string[]): void {
    if (start === end) return this.dispatch(events);
    if (end - start < DATA_FIELD.length || DATA_FIELD.compare(bytes, start, start + DATA_FIELD.length) !== 0) return;
    const valueStart = start + DATA_FIELD.length + (bytes[start + DATA_FIELD.length] === SPACE ? 1 : 0);
    const value = bytes.toString('utf8', Math.min(valueStart, end), end);
    this.data = this.data === null ? value : `${this.data}\n${value}`;
  }

  private dispatch(events: string[]): void {
    if (this.data === null) return;
    events.push(this.data);
    this.data = null;
  }
}
