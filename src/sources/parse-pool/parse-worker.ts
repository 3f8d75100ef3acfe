/**
 * A parse worker (worker_threads): reads one file or chunk, parses it with its own LineParser
 * exactly as the in-thread path does (parseFile in pipeline.ts), and posts the events in
 * encoded batches, in line order, with the counts of the lines behind them.
 */
import { parentPort } from "node:worker_threads";
import { Diagnostics, type DiagnosticMessage, type Labels } from "../../diagnostics.js";
import { LineParser, type ParseOutcome } from "../../parsers/line-parser.js";
import { ParseStats } from "../../parsers/parse-stats.js";
import { readLines, type BatchFile, type ByteRange } from "../file-batch.js";
import type { RawLine } from "../line.js";
import { BatchEncoder, transferList } from "./event-codec.js";
import { countsOf } from "./line-counts.js";
import type { FromWorker, JobMessage, ToWorker } from "./messages.js";

/** Events per posted batch: the size mergeByTime hands on, so one message is one engine batch. */
const BATCH_EVENTS = 4096;

const port = parentPort;
if (!port) throw new Error("parse-worker.js runs as a worker thread (see worker-pool.ts)");

/** Posted batches not yet acknowledged, by job; and who waits for an acknowledgement. */
const unacked = new Map<number, number>();
const wakers = new Map<number, () => void>();

const post = (m: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

port.on("message", (m: ToWorker) => {
  if (m.type === "ack") {
    const n = unacked.get(m.job);
    if (n === undefined) return; // the job has ended
    unacked.set(m.job, n - 1);
    wakers.get(m.job)?.();
    return;
  }
  // A job that throws is a bug: let it end the worker, whose `error` event fails the run.
  void run(m).catch((e: unknown) => {
    setImmediate(() => {
      throw e;
    });
  });
});

/** Forwards counters and reports to the main thread, in order with the job's batches. */
class ForwardingDiagnostics extends Diagnostics {
  constructor(private readonly job: number) {
    super();
  }
  override count(name: string, labels?: Labels, by = 1): void {
    post({ type: "diagnostic", job: this.job, count: { name, labels, by } });
  }
  override report(level: DiagnosticMessage["level"], code: string, message: string): void {
    post({ type: "diagnostic", job: this.job, report: { level, code, message } });
  }
}

async function run(job: JobMessage): Promise<void> {
  const file: BatchFile = { path: job.path, mtimeMs: job.mtimeMs, size: 0 };
  const diagnostics = new ForwardingDiagnostics(job.job);
  const parser = new LineParser({
    time: { zone: job.zone, year: job.year, referenceMs: job.mtimeMs },
    actionMap: job.actionMap,
  });
  const encoder = new BatchEncoder();
  unacked.set(job.job, 0);
  let stats = new ParseStats();
  let bytes = 0;
  const take = (_raw: RawLine, o: ParseOutcome) => {
    stats.record(o);
    if (o.ok) encoder.add(o.event);
  };
  const flushBatch = async () => {
    if (stats.lines === 0) return;
    const batch = encoder.take();
    post({ type: "batch", job: job.job, batch, counts: countsOf(stats), bytes }, transferList(batch));
    stats = new ParseStats();
    bytes = 0;
    unacked.set(job.job, unacked.get(job.job)! + 1);
    while (unacked.get(job.job)! >= job.window) {
      await new Promise<void>((resolve) => wakers.set(job.job, resolve));
    }
  };
  let lastLine = 0;
  let dirty = false;
  const read = async (range: ByteRange | undefined) => {
    const lines = readLines(file, diagnostics, {
      onBytes: (n) => (bytes += n),
      range,
      onEnd: (n) => (lastLine = n),
    });
    for await (const batch of lines) {
      for (const raw of batch) parser.feed(raw, take);
      if (!dirty && parser.connections > 0) {
        dirty = true;
        post({ type: "dirty", job: job.job });
      }
      if (encoder.count >= BATCH_EVENTS) await flushBatch();
    }
  };
  const range = job.range;
  await read(range);
  // sshd context at the chunk's end (an open connection, a held line): the next chunk needs it,
  // so this parser goes on to the end of the file and the main thread drops the later chunks.
  const toEnd = range !== undefined && range.end !== Infinity && dirty;
  if (toEnd) await read({ start: range.end, end: Infinity, firstLine: lastLine + 1 });
  parser.flush(take);
  await flushBatch();
  post({ type: "end", job: job.job, lastLine, toEnd, bytes });
  unacked.delete(job.job);
  wakers.delete(job.job);
}
