import { MAX_LINE_BYTES } from "./line.js";

export interface LineSplitterOptions {
  /**
   * The first bytes fed are the rest of a line already longer than MAX_LINE_BYTES (a tail that
   * joins a file in the middle of such a line): skip them up to the next newline, counted once.
   */
  inLongLine?: boolean;
}

/**
 * Splits a byte stream into lines without ever holding more than MAX_LINE_BYTES of one line.
 * A longer line is dropped whole and counted (`tooLong`); its bytes are never buffered, and it
 * appears in the output as `null` so line numbers after it stay true. A trailing CR (CRLF
 * files) is removed. Bytes are decoded as UTF-8 with replacement characters, so invalid
 * sequences reach the parsers as U+FFFD rather than throwing.
 *
 * Offsets count bytes fed since this splitter was made: `fed` is all of them, `lineEnd` the
 * bytes up to and including the last newline (where a reader that restarts must begin so as to
 * read whole lines). `push` and `end` can also report, for every line they return, the offset
 * just after it.
 */
export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private skipping: boolean;
  /** Lines dropped for being longer than MAX_LINE_BYTES. */
  tooLong: number;
  /** Bytes fed so far. */
  fed = 0;
  /** Bytes up to and including the last newline fed (or all of them after `end`). */
  lineEnd = 0;

  constructor(options: LineSplitterOptions = {}) {
    this.skipping = options.inLongLine === true;
    this.tooLong = this.skipping ? 1 : 0;
  }

  /**
   * Feeds a chunk; returns the complete lines it finished (`null` for a skipped overlong line).
   * When `ends` is given, the offset after each returned line is appended to it.
   */
  push(chunk: Buffer, ends?: number[]): (string | null)[] {
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
      this.lineEnd = this.fed + nl + 1;
      ends?.push(this.lineEnd);
      start = nl + 1;
    }
    if (start < chunk.length && !this.skipping) {
      const rest = chunk.length - start;
      if (this.pendingBytes + rest > MAX_LINE_BYTES) {
        this.tooLong++;
        this.skipping = true;
        this.pending = [];
        this.pendingBytes = 0;
      } else {
        // Copy: the caller may reuse its chunk buffer.
        this.pending.push(Buffer.from(chunk.subarray(start)));
        this.pendingBytes += rest;
      }
    }
    this.fed += chunk.length;
    return out;
  }

  /**
   * At the end of the input: the last line when it had no newline (`null` when it was too long).
   * The splitter is then empty and can go on with more input.
   */
  end(ends?: number[]): (string | null)[] {
    let out: (string | null)[] = [];
    if (this.skipping) out = [null];
    else if (this.pendingBytes > 0) out = [decode(Buffer.concat(this.pending))];
    this.pending = [];
    this.pendingBytes = 0;
    this.skipping = false;
    this.lineEnd = this.fed;
    if (out.length) ends?.push(this.fed);
    return out;
  }
}

function decode(buf: Buffer, start = 0, end = buf.length): string {
  if (end > start && buf[end - 1] === 13) end--;
  return buf.toString("utf8", start, end);
}
