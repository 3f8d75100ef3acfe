import type { Diagnostics } from "./diagnostics.js";
import type { Engine } from "./detect/engine.js";
import type { Alert } from "./events/alert.js";
import type { Event } from "./events/event.js";
import { LineParser, type ParseOutcome } from "./parsers/line-parser.js";
import type { ActionMapEntry } from "./parsers/action-map.js";
import type { ParseStats } from "./parsers/parse-stats.js";
import { readLines, type BatchFile } from "./sources/file-batch.js";
import type { RawLine } from "./sources/line.js";
import { mergeByTime } from "./sources/merge.js";
import type { Sink } from "./sinks/sink.js";

export interface ParseOptions {
  zone: string;
  year?: number;
  actionMap?: readonly ActionMapEntry[];
  /** Called for every line with how it was parsed (used by `parse --explain`). */
  onOutcome?: (raw: RawLine, outcome: ParseOutcome) => void;
  onBytes?: (n: number) => void;
}

/**
 * Where events come from: batches in the order detection must see them, plus the
 * acknowledgement a live source needs to save its positions.
 */
export interface EventSource {
  readonly batches: AsyncIterable<Event[]>;
  /** Everything handed out so far has been detected and written to the sinks. */
  commit?(): void;
  /** Stops reading; the iteration then ends. */
  stop?(): Promise<void> | void;
}

/** The line sources `tail` reads (files, the journal), before parsing. */
export interface LineSource extends AsyncIterable<RawLine[]> {
  commit?(): void;
  stop?(): Promise<void> | void;
}

/**
 * Parses one batch of lines: every line becomes an event or a counted rejection (in `stats` and
 * in the metrics); nothing is thrown. The one parse step of every command.
 */
export function parseBatch(
  lines: readonly RawLine[],
  parserFor: (file: string) => LineParser,
  stats: ParseStats,
  onOutcome?: (raw: RawLine, o: ParseOutcome) => void,
): Event[] {
  const events: Event[] = [];
  for (const raw of lines) {
    const o = parserFor(raw.file).parse(raw.text, raw.file, raw.line);
    stats.record(o);
    onOutcome?.(raw, o);
    if (o.ok) events.push(o.event);
  }
  return events;
}

/** One batch file parsed into event batches. Lines whose time goes backwards are kept and counted. */
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
  const parserFor = () => parser;
  let last = -Infinity;
  for await (const batch of readLines(file, diagnostics, opts.onBytes)) {
    const events = parseBatch(batch, parserFor, stats, opts.onOutcome);
    for (const e of events) {
      if (e.ms < last) stats.backwards++;
      else last = e.ms;
    }
    yield events;
  }
}

/** Archived files, each parsed, merged into one timeline by event time. */
export function parseFiles(
  files: BatchFile[],
  opts: ParseOptions,
  stats: ParseStats,
  diagnostics: Diagnostics,
): AsyncGenerator<Event[]> {
  return mergeByTime(files.map((f) => parseFile(f, opts, stats, diagnostics)[Symbol.asyncIterator]()));
}

export function batchSource(
  files: BatchFile[],
  opts: ParseOptions,
  stats: ParseStats,
  diagnostics: Diagnostics,
): EventSource {
  return { batches: parseFiles(files, opts, stats, diagnostics) };
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
): EventSource {
  const count = (_raw: RawLine, o: ParseOutcome) => {
    if (o.ok) diagnostics.count("scanwatch_events_total", { type: o.event.type });
    else diagnostics.count("scanwatch_lines_rejected_total", { reason: o.reason });
  };
  return {
    batches: (async function* () {
      for await (const batch of lines) yield parseBatch(batch, parserFor, stats, count);
    })(),
    commit: () => lines.commit?.(),
    stop: () => lines.stop?.(),
  };
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
  /** Checked after each batch: true ends the loop (a stop signal). */
  stopping?: () => boolean;
}

/**
 * The one loop of scanwatch: source → detect → sinks → commit, in order, one batch at a time.
 * The next batch is pulled only when the engine and every sink are done with the last one
 * (backpressure), and a batch is committed only after its alerts were written, so a live
 * source never saves a position past an alert that was not delivered to the sinks.
 */
export async function runPipeline(opts: PipelineOptions): Promise<void> {
  const { source, engine, sinks, filters = [] } = opts;
  try {
    for await (const batch of source.batches) {
      let events = batch;
      for (const f of filters) events = f(events);
      opts.onEvents?.(events);
      const alerts = await engine.process(events);
      if (alerts.length) opts.onAlerts?.(alerts);
      for (const a of alerts) for (const s of sinks) await s.write(a);
      source.commit?.();
      if (opts.stopping?.()) break;
    }
  } finally {
    await source.stop?.();
  }
}
