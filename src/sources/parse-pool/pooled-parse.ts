import { open } from "node:fs/promises";
import type { Diagnostics } from "../../diagnostics.js";
import type { Event } from "../../events/event.js";
import type { ActionMapEntry } from "../../parsers/action-map.js";
import type { ParseStats } from "../../parsers/parse-stats.js";
import { isGzipHead, type BatchFile } from "../file-batch.js";
import { mergeByTime } from "../merge.js";
import { planChunks } from "./chunk-plan.js";
import { decodeBatch } from "./event-codec.js";
import { addCounts, tallyOf, type LineCounts } from "./line-counts.js";
import type { FromWorker } from "./messages.js";
import { WorkerPool, type JobHandle, type JobSpec } from "./worker-pool.js";

export interface PooledParseOptions {
  zone: string;
  year?: number;
  actionMap?: readonly ActionMapEntry[];
  onBytes?: (n: number) => void;
  /** Per file, what its lines looked like (the summary's "nothing looked like a log" warning). */
  onTally?: (file: string, t: { lines: number; headers: number; binary: number }) => void;
  /** Most events per batch handed on (pipeline.ts BATCH_EVENTS). */
  batchEvents: number;
  /** Parse workers at once (≥ 1; a job whose output is awaited may get one more, see WorkerPool). */
  workers: number;
  /** A single plain file larger than two chunks is cut into chunks of about this many bytes. */
  chunkBytes?: number;
  /** Batches a worker may post ahead of the main thread (per job). */
  window?: number;
  /** The worker script (tests give one that fails). */
  workerScript?: URL;
  /** How a file no worker can read (stdin) is parsed in this thread. */
  inThread: (file: BatchFile) => AsyncIterator<Event[]>;
}

export const DEFAULT_CHUNK_BYTES = 8 * 1024 * 1024;
const DEFAULT_WINDOW = 16;

/**
 * parseFiles (pipeline.ts) with the parsing in worker threads: the same events, in the same
 * order, with the same counts. Each file is one job, merged by time as in the thread; a single
 * big plain file is cut into chunks (chunk-plan.ts), parsed at once, and handed on in file
 * order. A chunk's parser starts fresh, which is exact only when the parser before it holds no
 * sshd connection at the cut (netfilter lines carry no context across lines; the cut is never
 * before a `last message repeated` line). The worker of the first chunk that opens an sshd
 * connection goes on to the end of the file itself, and the chunks after it are dropped: an
 * auth.log is parsed by one worker, off the main thread.
 */
export async function* parseFilesPooled(
  files: BatchFile[],
  opts: PooledParseOptions,
  stats: ParseStats,
  diagnostics: Diagnostics,
): AsyncGenerator<Event[]> {
  const pool = new WorkerPool(opts.workers, opts.workerScript);
  try {
    const inputs: AsyncIterator<Event[]>[] = [];
    for (const f of files) {
      if (f.path === "-") inputs.push(opts.inThread(f));
      else inputs.push(fileEvents(f, await jobsFor(f, files.length, pool, opts), opts, stats, diagnostics));
    }
    yield* mergeByTime(inputs, opts.batchEvents);
  } finally {
    await pool.close();
  }
}

/** The jobs of one file, in file order: one, or one per chunk. */
async function jobsFor(
  f: BatchFile,
  fileCount: number,
  pool: WorkerPool,
  opts: PooledParseOptions,
): Promise<JobHandle[]> {
  const spec: JobSpec = {
    path: f.path,
    mtimeMs: f.mtimeMs,
    zone: opts.zone,
    year: opts.year,
    actionMap: opts.actionMap,
    window: opts.window ?? DEFAULT_WINDOW,
  };
  const chunkBytes = opts.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  if (fileCount > 1 || opts.workers < 2 || f.size < 2 * chunkBytes || (await isGzip(f.path))) {
    return [pool.submit(spec)];
  }
  const chunks = await planChunks(f.path, f.size, chunkBytes);
  return chunks.map((c) => pool.submit({ ...spec, range: { start: c.start, end: c.end, firstLine: 1 } }));
}

async function isGzip(path: string): Promise<boolean> {
  const fh = await open(path, "r");
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await fh.read(head, 0, 2, 0);
    return isGzipHead(head.subarray(0, bytesRead));
  } finally {
    await fh.close();
  }
}

/**
 * The events of one file's jobs, in file order; every side effect (counts, progress,
 * diagnostics) is applied as its batch is handed on, so a dropped chunk leaves none.
 */
async function* fileEvents(
  file: BatchFile,
  jobs: JobHandle[],
  opts: PooledParseOptions,
  stats: ParseStats,
  diagnostics: Diagnostics,
): AsyncGenerator<Event[]> {
  // Chunks after one whose parser holds sshd context are dropped (its worker reads on past them).
  jobs.forEach((h, k) => (h.onDirty = () => jobs.slice(k + 1).forEach((later) => later.cancel())));
  let last = -Infinity;
  /** Lines in the chunks before the current one: a chunk's worker numbers its lines from 1. */
  let lineBase = 0;
  try {
    for (const h of jobs) {
      let end: Extract<FromWorker, { type: "end" }> | undefined;
      while (!end) {
        const m = await h.next();
        if (m.type === "batch") {
          const events = decodeBatch(m.batch);
          h.ack();
          for (const e of events) {
            if (lineBase > 0) e.source.line += lineBase;
            // As parseFile counts them: a line earlier than the latest one kept so far.
            if (e.ms < last) stats.backwards++;
            else last = e.ms;
          }
          count(file, m.counts, opts, stats);
          if (m.bytes) opts.onBytes?.(m.bytes);
          yield events;
        } else if (m.type === "diagnostic") {
          if (m.count) diagnostics.count(m.count.name, m.count.labels, m.count.by);
          if (m.report) diagnostics.report(m.report.level, m.report.code, m.report.message);
        } else if (m.type === "end") end = m;
      }
      if (end.bytes) opts.onBytes?.(end.bytes);
      lineBase += end.lastLine;
      if (end.toEnd) break;
    }
  } finally {
    for (const h of jobs) h.cancel();
  }
}

function count(file: BatchFile, c: LineCounts, opts: PooledParseOptions, stats: ParseStats): void {
  addCounts(stats, c);
  opts.onTally?.(file.path, tallyOf(c));
}
