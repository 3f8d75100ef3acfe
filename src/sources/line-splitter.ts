import { MAX_LINE_BYTES } from "./line.js";

/**
 * Splits a byte stream into lines without ever holding more than MAX_LINE_BYTES of one line.
 * A longer line is dropped whole and counted (`tooLong`); its bytes are never buffered, and it
 * appears in the output as `null` so line numbers after it stay true. A
 * trailing CR (CRLF files) is removed. Bytes are decoded as UTF-8 with replacement characters,
 * so invalid sequences reach the parsers as U+FFFD rather than throwing.
 */
export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private skipping = false;
  tooLong = 0;
  /** Bytes consumed up to and including the last complete line returned (for offsets). */
  consumed = 0;

  /** Feeds a chunk; returns the complete lines it finished (`null` for a skipped overlong line). */
  push(chunk: Buffer): (string | null)[] {
    const out: (string | null)[] = [];
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      if (nl < 0) break;
      if (this.skipping) {
        this.skipping = false;
        out.push(null);
      } else if (this.pendingBytes > 0) {
        if (this.pendingBytes + (nl - start) > MAX_LINE_BYTES) {
          this.tooLong++;
          out.push(null);
        } else {
          this.pending.push(chunk.subarray(start, nl));
          out.push(decode(Buffer.concat(this.pending)));
        }
      } else if (nl - start > MAX_LINE_BYTES) {
        this.tooLong++;
        out.push(null);
      } else out.push(decode(chunk, start, nl));
      this.pending = [];
      this.pendingBytes = 0;
      this.consumed += nl + 1 - start;
      start = nl + 1;
    }
    if (start < chunk.length) {
      const rest = chunk.length - start;
      if (this.skipping) this.consumed += rest;
      else if (this.pendingBytes + rest > MAX_LINE_BYTES) {
        this.tooLong++;
        this.skipping = true;
        this.consumed += this.pendingBytes + rest;
        this.pending = [];
        this.pendingBytes = 0;
      } else {
        // Copy: the caller may reuse its chunk buffer.
        this.pending.push(Buffer.from(chunk.subarray(start)));
        this.pendingBytes += rest;
      }
    }
    return out;
  }

  /** At end of input: the last line when it had no newline. */
  end(): (string | null)[] {
    if (this.skipping || this.pendingBytes === 0) return [];
    const line = decode(Buffer.concat(this.pending));
    this.consumed += this.pendingBytes;
    this.pending = [];
    this.pendingBytes = 0;
    return [line];
  }
}

function decode(buf: Buffer, start = 0, end = buf.length): string {
  if (end > start && buf[end - 1] === 13) end--;
  return buf.toString("utf8", start, end);
}
