import { open, type FileHandle } from "node:fs/promises";
import { MAX_LINE_BYTES } from "../line.js";

/** Bytes [start, end) of a file, both at line starts. */
export interface Chunk {
  start: number;
  end: number;
}

/**
 * Where a plain file may be cut so that its chunks parse alone: about every `chunkBytes`, at the
 * start of a line. A line that might be BSD syslogd's `last message repeated N times` (it
 * repeats the line before it, so it needs the previous chunk's parser) or a line longer than the
 * splitter keeps (skipped, so the line after it would be the chunk's first line read) is never
 * a chunk's first line: the cut moves on to the next line. Whether the sshd state at a cut is
 * empty is decided while parsing (see pooled-parse.ts); this only picks the places.
 */
export async function planChunks(path: string, size: number, chunkBytes: number): Promise<Chunk[]> {
  if (!(chunkBytes >= 1)) throw new RangeError(`chunkBytes must be ≥ 1, got ${chunkBytes}`);
  const cuts: number[] = [0];
  const fh = await open(path, "r");
  try {
    for (let at = chunkBytes; at < size; at += chunkBytes) {
      const from = Math.max(at, cuts[cuts.length - 1]! + 1);
      const cut = await cutAtOrAfter(fh, from, size);
      if (cut === undefined) break;
      cuts.push(cut);
    }
  } finally {
    await fh.close();
  }
  cuts.push(size);
  const out: Chunk[] = [];
  for (let i = 0; i + 1 < cuts.length; i++) {
    if (cuts[i + 1]! > cuts[i]!) out.push({ start: cuts[i]!, end: cuts[i + 1]! });
  }
  return out;
}

/** The first line start at or after `from` (past 0) that can begin a chunk; undefined: none before the end. */
async function cutAtOrAfter(fh: FileHandle, from: number, size: number): Promise<number | undefined> {
  let pos = await lineStartAtOrAfter(fh, from, size);
  while (pos !== undefined && pos < size) {
    const next = await lineStartAtOrAfter(fh, pos + 1, size);
    const end = next ?? size;
    if (end - pos <= MAX_LINE_BYTES) {
      const text = await readText(fh, pos, end - pos);
      if (!text.includes("message repeated")) return pos;
    }
    pos = next;
  }
  return undefined;
}

/** The first offset at or after `from` that follows a newline (a line start), or undefined. */
async function lineStartAtOrAfter(fh: FileHandle, from: number, size: number): Promise<number | undefined> {
  const buf = Buffer.allocUnsafe(64 * 1024);
  for (let at = from - 1; at < size; at += buf.length) {
    const { bytesRead } = await fh.read(buf, 0, buf.length, at);
    if (bytesRead === 0) return undefined;
    const nl = buf.subarray(0, bytesRead).indexOf(10);
    if (nl >= 0) return at + nl + 1 < size ? at + nl + 1 : undefined;
  }
  return undefined;
}

async function readText(fh: FileHandle, at: number, n: number): Promise<string> {
  const buf = Buffer.allocUnsafe(n);
  const { bytesRead } = await fh.read(buf, 0, n, at);
  return buf.toString("latin1", 0, bytesRead);
}
