import { open } from "node:fs/promises";
import type { RawLine } from "./line.js";
import { LineSplitter } from "./line-splitter.js";
import type { TailEntry } from "./tail-state.js";

/**
 * The whole lines of `path` that end at a saved position, the last `maxBytes` of them at most:
 * what a restarted `tail` had read just before it stopped (to remember which lines it had seen,
 * never to detect them again). Empty when the file at `path` is no longer the one the position
 * was saved in (rotated, replaced, truncated) or cannot be read; `file` of each line is `path`
 * as given, as the tail source names its lines.
 */
export async function linesBefore(path: string, at: TailEntry, maxBytes = 4 << 20): Promise<RawLine[]> {
  let fh;
  try {
    fh = await open(path, "r");
  } catch {
    return [];
  }
  try {
    const st = await fh.stat({ bigint: true });
    if (String(st.dev) !== at.dev || String(st.ino) !== at.ino || st.size < BigInt(at.offset)) return [];
    const from = Math.max(0, at.offset - maxBytes);
    const buf = Buffer.alloc(at.offset - from);
    let got = 0;
    while (got < buf.length) {
      const { bytesRead } = await fh.read(buf, got, buf.length - got, from + got);
      if (bytesRead === 0) return [];
      got += bytesRead;
    }
    // From the middle of the file: the first bytes are the end of a line cut short.
    const start = from === 0 ? 0 : buf.indexOf(10) + 1;
    if (start === 0 && from > 0) return [];
    const texts = new LineSplitter().push(buf.subarray(start));
    const out: RawLine[] = [];
    let line = at.line - texts.length;
    for (const text of texts) {
      line++;
      if (text !== null) out.push({ text, file: path, line });
    }
    return out;
  } catch {
    return [];
  } finally {
    await fh.close();
  }
}
