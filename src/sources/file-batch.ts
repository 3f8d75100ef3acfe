import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { createGunzip } from "node:zlib";
import { Readable } from "node:stream";
import type { Diagnostics } from "../diagnostics.js";
import { LineSplitter } from "./line-splitter.js";
import type { RawLine } from "./line.js";

export interface BatchFile {
  /** The path as given ("-" for stdin). */
  path: string;
  /** Modification time, epoch ms (now for stdin): the reference for year-less stamps. */
  mtimeMs: number;
  size: number;
}

/** Checks each path up front so a missing or unreadable file is a clear error before any work. */
export async function openBatchFiles(paths: string[]): Promise<BatchFile[]> {
  const out: BatchFile[] = [];
  for (const p of paths) {
    if (p === "-") {
      out.push({ path: p, mtimeMs: Date.now(), size: 0 });
      continue;
    }
    let st;
    try {
      st = await stat(p);
    } catch (e) {
      throw new SourceError(
        `cannot read ${p}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message}`,
      );
    }
    if (!st.isFile()) throw new SourceError(`cannot read ${p}: not a regular file`);
    out.push({ path: p, mtimeMs: st.mtimeMs, size: st.size });
  }
  return out;
}

export class SourceError extends Error {
  readonly code = "SOURCE_UNREADABLE";
}

/** Part of a plain file: bytes [start, end), whose first line is line `firstLine` of the file. */
export interface ByteRange {
  start: number;
  /** Exclusive; Infinity reads to the end. */
  end: number;
  firstLine: number;
}

export interface ReadOptions {
  /** Bytes read so far (compressed ones for gzip), for progress. */
  onBytes?: (n: number) => void;
  range?: ByteRange;
  /** At the end: the number of the last line read, overlong ones (never yielded) included. */
  onEnd?: (lastLine: number) => void;
}

/**
 * Bytes per read: a chunk's lines become one batch of events downstream, alive until detected,
 * so a smaller chunk keeps fewer of them alive at a young-generation collection (see BATCH_EVENTS
 * in pipeline.ts). 64 KiB reads as fast as 256 KiB did.
 */
const READ_CHUNK_BYTES = 64 * 1024;

/**
 * Reads one file (plain or gzip, told apart by the magic bytes 1f 8b, not by the name) or stdin,
 * as batches of lines. Pull-driven: the next chunk is read only when the consumer asks, so
 * memory stays bounded whatever the file size. With `range`, only those bytes are read, as
 * plain text (a parse worker's chunk of a file known not to be gzip: a line in the middle may
 * well start with the bytes 1f 8b).
 */
export async function* readLines(
  file: BatchFile,
  diagnostics: Diagnostics,
  opts: ReadOptions = {},
): AsyncGenerator<RawLine[]> {
  const { onBytes, range } = opts;
  const raw: Readable =
    file.path === "-"
      ? process.stdin
      : createReadStream(file.path, {
          highWaterMark: READ_CHUNK_BYTES,
          ...(range && { start: range.start, end: range.end === Infinity ? undefined : range.end - 1 }),
        });
  const splitter = new LineSplitter();
  let lineNo = range ? range.firstLine - 1 : 0;
  const toBatch = (texts: (string | null)[]): RawLine[] => {
    const out: RawLine[] = [];
    for (const text of texts) {
      lineNo++;
      if (text !== null) out.push({ text, file: file.path, line: lineNo });
    }
    return out;
  };
  try {
    for await (const chunk of decompressed(raw, onBytes, range === undefined)) {
      const lines = splitter.push(chunk);
      if (lines.length) yield toBatch(lines);
    }
    const last = splitter.end();
    if (last.length) yield toBatch(last);
  } catch (e) {
    diagnostics.report(
      "error",
      "read_error",
      // A parse worker's chunk numbers its lines from its own start: say where that is.
      range && range.start > 0
        ? `error reading ${file.path} after line ${lineNo - range.firstLine + 1} of the part from byte ${range.start}: ${(e as Error).message}`
        : `error reading ${file.path} after line ${lineNo}: ${(e as Error).message}`,
    );
    diagnostics.count("scanwatch_read_errors_total");
  } finally {
    if (splitter.tooLong)
      diagnostics.count("scanwatch_lines_rejected_total", { reason: "too-long" }, splitter.tooLong);
    if (raw !== process.stdin) raw.destroy();
    opts.onEnd?.(lineNo);
  }
}

async function* decompressed(
  raw: Readable,
  onBytes: ((n: number) => void) | undefined,
  sniff: boolean,
): AsyncGenerator<Buffer> {
  const it = raw[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const first = await it.next();
  if (first.done) return;
  const head = first.value;
  const counted = async function* (): AsyncGenerator<Buffer> {
    onBytes?.(head.length);
    yield head;
    for (;;) {
      const n = await it.next();
      if (n.done) return;
      onBytes?.(n.value.length);
      yield n.value;
    }
  };
  if (sniff && isGzipHead(head)) {
    const gunzip = createGunzip();
    const src = Readable.from(counted());
    src.on("error", (e) => gunzip.destroy(e));
    src.pipe(gunzip);
    yield* gunzip as AsyncIterable<Buffer>;
  } else {
    yield* counted();
  }
}

/** gzip's magic bytes. */
export function isGzipHead(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}
