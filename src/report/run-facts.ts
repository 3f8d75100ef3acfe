import type { Diagnostics } from "../diagnostics.js";
import type { ParseStats } from "../parsers/parse-stats.js";
import type { BatchFile } from "../sources/file-batch.js";
import type { RunFacts } from "./report-collector.js";

/** Gathers what the parser, the engine and the diagnostics counted into the summary's run facts. */
export function runFactsOf(r: {
  files: readonly BatchFile[];
  stats: ParseStats;
  diagnostics: Diagnostics;
  timeZone: string;
  late: number;
  disorderMs: number;
  store: string;
  seconds: number;
  /**
   * Lines dropped as copies (of a line in another file, of a packet another LOG rule logged);
   * absent when the run did not look for them.
   */
  duplicates?: number;
  /** Stopped (Ctrl-C) before the end of its input. */
  interrupted?: boolean;
  /** Events from `--allow`ed sources, when the run had an allow-list. */
  allowed?: number;
  /** Events outside `--since` / `--until`, when the run had a time range. */
  outsideTimeRange?: number;
  /** Verdicts a shared store had already alerted, when the store is shared. */
  alreadyAlerted?: number;
}): RunFacts {
  return {
    files: r.files.map((f) => ({ file: f.path, bytes: f.size })),
    timeZone: r.timeZone,
    lines: r.stats.lines,
    events: r.stats.events,
    eventsByType: r.stats.byType,
    rejected: r.stats.rejected,
    headerFormats: r.stats.byFormat,
    tooLong: r.diagnostics.get("scanwatch_lines_rejected_total", { reason: "too-long" }),
    backwards: r.stats.backwards,
    late: r.late,
    disorderMs: r.disorderMs,
    duplicates: r.duplicates ?? null,
    readErrors: r.diagnostics.get("scanwatch_read_errors_total"),
    ...(r.interrupted ? { interrupted: true as const } : {}),
    ...(r.allowed !== undefined ? { allowed: r.allowed } : {}),
    ...(r.outsideTimeRange !== undefined ? { outsideTimeRange: r.outsideTimeRange } : {}),
    ...(r.alreadyAlerted !== undefined ? { alreadyAlerted: r.alreadyAlerted } : {}),
    store: r.store,
    seconds: r.seconds,
  };
}
