/** One raw line as read from a source. `line` is 1-based within `file`. */
export interface RawLine {
  text: string;
  file: string;
  line: number;
}

/** Lines longer than this are counted and skipped, never buffered whole. */
export const MAX_LINE_BYTES = 64 * 1024;
