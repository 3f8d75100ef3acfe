import type { Diagnostics } from "./diagnostics.js";
import type { Engine } from "./detect/engine.js";
import type { Commit } from "./detect/window-store.js";
import type { Alert } from "./events/alert.js";
import type { Event } from "./events/event.js";
import { LineParser, type ParseOutcome } from "./parsers/line-parser.js";
import type { ActionMapEntry } from "./parsers/action-map.js";
import type { ParseStats } from "./parsers/parse-stats.js";
import { readLines, type BatchFile } from "./sources/file-batch.js";
import type { RawLine } from "./sources/line.js";
import { mergeByTime } from "./sources/merge.js";
import type { TailEntry } from "./sources/tail-state.js";
import { parseFilesPooled } from "./sources/parse-pool/pooled-parse.js";
import type { Sink } from "./sinks/sink.js";

export interface ParseOptions {
  zone: string;
  year?: number;
  actionMap?: readonly ActionMapEntry[];
  /**
   * Called for every line with how it was parsed (used by `parse --explain`); with parse
   * workers, only for lines parsed in this thread (stdin).
   */
  onOutcome?: (raw: RawLine, outcome: ParseOutcome) => void;
  onBytes?: (n: number) => void;
  /** Most events per batch handed to detection (default BATCH_EVENTS). */
  batchEvents?: number;
  /**
   * Per file, how many lines it had, with a header, with NUL bytes, for lines parse workers
   * parsed (they keep the outcomes themselves, so `onOutcome` does not see those lines).
   */
  onTally?: (file: string, t: { lines: number; headers: number; binary: number }) => void;
}

/** Parsing in worker threads (`analyze --workers N`). */
export interface WorkerOptions {
  /** 1: parse in this thread (the default); more: in that many worker threads. */
  workers: number;
  /** A single big plain file is parsed in chunks of about this many bytes. */
  chunkBytes?: number;
  /** Batches a worker may post before the main thread took them (per file or chunk). */
  window?: number;
  /** The worker script, for tests. */
  workerScript?: URL;
}

/**
 * Events per batch for the embedded store. Each batch's events (and the lines their fields are
 * sliced from) stay alive until the batch is detected: at 4,096 events many of them outlived two
 * young-generation collections and were promoted, and the old generation then grew with that
 * garbage (peak RSS 332 MB against 247 MB at 1,024 on the bench's 1M-line kernel log; parse
 * alone 154 against 91 MB).
 */
export const BATCH_EVENTS = 1024;
/** Events per batch for a shared store: each batch costs it a round trip, so fewer and bigger. */
export const SHARED_BATCH_EVENTS = 4096;

/**
 * Where events come from: batches in the order detection must see them, plus the
 * acknowledgement a live source needs to save its positions.
 */
export interface EventSource {
  readonly batches: AsyncIterable<Event[]>;
  /** Everything handed out so far has been detected and written to the sinks. */
  commit?(): void;
  /** Where reading stands right after everything handed out so far (files' positions). */
  delivered?(): Record<string, TailEntry>;
  /** Stops reading; the iteration then ends. */
  stop?(): Promise<void> | void;
}

/** The line sources `tail` reads (files, the journal), before parsing. */
export interface LineSource extends AsyncIterable<RawLine[]> {
  commit?(): void;
  delivered?(): Record<string, TailEntry>;
  stop?(): Promise<void> | void;
}

/**
 * Parses one batch of lines as a live source hands them out: every line becomes an event or a
 * counted rejection (in `stats` and in the metrics); nothing is thrown. An sshd line that names
 * no address takes it from its connection's earlier lines or from later ones of the same batch:
 * what still waits at the end of the batch is settled then, so a live batch never holds a line
 * back (archives, read whole, let it wait for later batches too: parseFile).
 */
export function parseBatch(
  lines: readonly RawLine[],
  parserFor: (file: string) => LineParser,
  stats: ParseStats,
  onOutcome?: (raw: RawLine, o: ParseOutcome) => void,
): Event[] {
  const events: Event[] = [];
  const take = (raw: RawLine, o: ParseOutcome) => {
    stats.record(o);
    onOutcome?.(raw, o);
    if (o.ok) events.push(o.event);
  };
  const used = new Set<LineParser>();
  for (const raw of lines) {
    const p = parserFor(raw.file);
    used.add(p);
    p.feed(raw, take);
  }
  for (const p of used) p.flush(take);
  return events;
}

/**
 * One batch file parsed into event batches. Lines whose time goes backwards are kept and
 * counted. An sshd line may wait a few seconds (event time) for the address a later line of its
 * connection names; `flush` settles what still waits at the end of the file.
 */
async function* parseFile(
  file: BatchFile,
  opts: ParseOptions,
  stats: ParseStats,
  diagnostics: Diagnostics,
): AsyncGenerator<Event[]> {
  const parser = new LineParser({
    time: { zone: opts.zone, year: opts.year, referenceMs: file.mtimeMs },
    actionMap: opts.actionMap,
  });
  let last = -Infinity;
  let events: Event[] = [];
  const take = (raw: RawLine, o: ParseOutcome) => {
    stats.record(o);
    opts.onOutcome?.(raw, o);
    if (o.ok) {
      if (o.event.ms < last) stats.backwards++;
      else last = o.event.ms;
      events.push(o.event);
    }
  };
  for await (const batch of readLines(file, diagnostics, { onBytes: opts.onBytes })) {
    for (const raw of batch) parser.feed(raw, take);
    yield events;
    events = [];
  }
  parser.flush(take);
  if (events.length) yield events;
}

/**
 * Archived files, each parsed, merged into one timeline by event time. With `pool.workers` > 1
 * the parsing runs in worker threads, with the same events in the same order and the same
 * stats (see ParseOptions for `onOutcome` and `onTally`).
 */
export function parseFiles(
  files: BatchFile[],
  opts: ParseOptions,
  stats: ParseStats,
  diagnostics: Diagnostics,
  pool?: WorkerOptions,
): AsyncGenerator<Event[]> {
  const batchEvents = opts.batchEvents ?? BATCH_EVENTS;
  if (pool && pool.workers > 1) {
    const inThread = (f: BatchFile) => parseFile(f, opts, stats, diagnostics)[Symbol.asyncIterator]();
    return parseFilesPooled(files, { ...opts, ...pool, inThread, batchEvents }, stats, diagnostics);
  }
  return mergeByTime(
    files.map((f) => parseFile(f, opts, stats, diagnostics)[Symbol.asyncIterator]()),
    batchEvents,
  );
}

export function batchSource(
  files: BatchFile[],
  opts: ParseOptions,
  stats: ParseStats,
  diagnostics: Diagnostics,
  pool?: WorkerOptions,
): EventSource {
  return { batches: parseFiles(files, opts, stats, diagnostics, pool) };
}

/**
 * A live source: lines in arrival order, parsed with one parser per file; events and rejections
 * are also counted in the metrics.
 */
export function liveSource(
  lines: LineSource,
  parserFor: (file: string) => LineParser,
  stats: ParseStats,
  diagnostics: Diagnostics,
  /** Each line's outcome, after it is counted. */
  onOutcome?: (raw: RawLine, o: ParseOutcome) => void,
): EventSource {
  const count = (raw: RawLine, o: ParseOutcome) => {
    if (o.ok) diagnostics.count("scanwatch_events_total", { type: o.event.type });
    else diagnostics.count("scanwatch_lines_rejected_total", { reason: o.reason });
    onOutcome?.(raw, o);
  };
  return {
    batches: (async function* () {
      for await (const batch of lines) yield parseBatch(batch, parserFor, stats, count);
    })(),
    commit: () => lines.commit?.(),
    ...(lines.delivered && { delivered: () => lines.delivered!() }),
    stop: () => lines.stop?.(),
  };
}

/** The batch filters both commands apply before detection, in this order. */
export function eventFilters(f: {
  /** Lines read twice from two files (UFW's kern.log and ufw.log). */
  dedup?: { filter(b: Event[]): Event[] };
  /** Packets two LOG rules logged (UFW's AUDIT line and its verdict). */
  ruleCopies?: { filter(b: Event[]): Event[] };
  /** The global allow-list. */
  allow?: { filter(b: Event[]): Event[] };
  /** `--since` / `--until`. */
  range?: TimeRange;
}): ((events: Event[]) => Event[])[] {
  const { dedup, ruleCopies, allow, range } = f;
  return [
    ...(dedup ? [(b: Event[]) => dedup.filter(b)] : []),
    ...(ruleCopies ? [(b: Event[]) => ruleCopies.filter(b)] : []),
    ...(allow ? [(b: Event[]) => allow.filter(b)] : []),
    ...(range ? [(b: Event[]) => range.filter(b)] : []),
  ];
}

/** Events in [since, until) go on; those outside are counted (the summary says how many). */
export class TimeRange {
  outside = 0;
  constructor(
    readonly since: number | undefined,
    readonly until: number | undefined,
  ) {}

  filter(b: Event[]): Event[] {
    const { since, until } = this;
    const kept = b.filter(
      (e) => (since === undefined || e.ms >= since) && (until === undefined || e.ms < until),
    );
    this.outside += b.length - kept.length;
    return kept;
  }
}

export interface PipelineOptions {
  source: EventSource;
  engine: Engine;
  sinks: readonly Sink[];
  /** Applied in order to every batch before detection (duplicates, allow-list, time range). */
  filters?: readonly ((events: Event[]) => Event[])[];
  /** Sees every batch of events before detection (progress, reports). */
  onEvents?: (events: readonly Event[]) => void;
  /** Sees every alert before the sinks do (e.g. to clear a progress bar). */
  onAlerts?: (alerts: readonly Alert[]) => void;
  /**
   * Sees every batch once it was judged, with its alerts (none or more), before the sinks do: a
   * report that wants to know a batch's attackers before it tallies the batch's events.
   */
  onJudged?: (events: readonly Event[], alerts: readonly Alert[]) => void;
  /** Checked after each batch: true ends the loop (a stop signal). */
  stopping?: () => boolean;
  /**
   * Given, each batch's positions (`source.delivered()`) become this commit, written to the
   * shared store in the same call as the batch's window updates (an agent's resume point).
   */
  commitOf?: (positions: Record<string, TailEntry>) => Commit;
}

/**
 * The one loop of scanwatch: source → detect → sinks → commit, in order, one batch at a time
 * (with a shared store and files read once, detection runs one batch ahead of the store's
 * answer). The next batch is pulled only when the engine and every sink are done with the last
 * one (backpressure), and a batch is committed only after its alerts were written, so a live
 * source never saves a position past an alert that was not delivered to the sinks. With
 * `commitOf`, the shared store also keeps, atomically with each batch's windows, the positions
 * after that batch: an agent killed at any moment resumes where the store's counts end.
 */
export async function runPipeline(opts: PipelineOptions): Promise<void> {
  const { source, engine, sinks, filters = [] } = opts;
  // A source with nothing to commit (files read once) lets the engine detect on the next batch
  // while a shared store answers the last one; the alerts still go out in batch order. A live
  // source stays one batch at a time: its commit must follow its own batch's alerts, and an
  // alert must not wait for the next line to arrive.
  const ahead = source.commit === undefined && engine.sharedStore;
  let held: { events: Event[]; alerts: Promise<Alert[]> } | undefined;
  const deliver = async (events: Event[], pending: Promise<Alert[]>) => {
    const alerts = await pending;
    if (alerts.length) opts.onAlerts?.(alerts);
    opts.onJudged?.(events, alerts);
    for (const a of alerts) for (const s of sinks) await s.write(a);
    source.commit?.();
  };
  try {
    for await (const batch of source.batches) {
      let events = batch;
      for (const f of filters) events = f(events);
      opts.onEvents?.(events);
      const at = opts.commitOf && source.delivered?.();
      const alerts = engine.process(events, at && opts.commitOf!(at));
      if (ahead) {
        // Settled when delivered; a failure of an earlier batch must not leave it unhandled.
        alerts.catch(() => undefined);
        const prev = held;
        held = { events, alerts };
        if (prev) await deliver(prev.events, prev.alerts);
      } else await deliver(events, alerts);
      if (opts.stopping?.()) break;
    }
    const last = held;
    held = undefined;
    if (last) await deliver(last.events, last.alerts);
  } catch (e) {
    // The batch detected ahead has had its exchange (its incident steps are raised in the
    // shared store): its alerts go to the sinks before the error does, or no one would ever
    // alert them.
    if (held) await deliver(held.events, held.alerts).catch(() => undefined);
    throw e;
  } finally {
    await source.stop?.();
  }
}
