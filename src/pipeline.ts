import type { Diagnostics } from "./diagnostics.js";
import type { Event } from "./events/event.js";
import { LineParser, type ParseOutcome } from "./parsers/line-parser.js";
import type { ActionMapEntry } from "./parsers/action-map.js";
import type { ParseStats } from "./parsers/parse-stats.js";
import { readLines, type BatchFile } from "./sources/file-batch.js";
import type { RawLine } from "./sources/line.js";
import { mergeByTime } from "./sources/merge.js";

export interface ParseOptions {
  zone: string;
  year?: number;
  actionMap?: readonly ActionMapEntry[];
  /** Called for every line with how it was parsed (used by `parse --explain`). */
  onOutcome?: (raw: RawLine, outcome: ParseOutcome) => void;
  onBytes?: (n: number) => void;
}

/**
 * Parses one batch file into event batches: every line becomes an event or a counted
 * rejection; nothing is thrown. Lines whose time goes backwards are kept and counted. An sshd
 * line may wait a few seconds (event time) for the address a later line of its connection
 * names; `flush` settles what still waits at the end of the file.
 */
export async function* parseFile(
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
  for await (const batch of readLines(file, diagnostics, opts.onBytes)) {
    for (const raw of batch) parser.feed(raw, take);
    yield events;
    events = [];
  }
  parser.flush(take);
  if (events.length) yield events;
}

/** All files parsed and merged into one timeline. */
export function parseFiles(
  files: BatchFile[],
  opts: ParseOptions,
  stats: ParseStats,
  diagnostics: Diagnostics,
): AsyncGenerator<Event[]> {
  return mergeByTime(files.map((f) => parseFile(f, opts, stats, diagnostics)[Symbol.asyncIterator]()));
}
