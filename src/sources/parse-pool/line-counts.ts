import { ParseStats } from "../../parsers/parse-stats.js";

/** A worker's ParseStats for the lines of one batch, as plain data to post. */
export interface LineCounts {
  lines: number;
  events: number;
  byType: [string, number][];
  rejected: [string, number][];
  byFormat: [string, number][];
}

export function countsOf(s: ParseStats): LineCounts {
  return {
    lines: s.lines,
    events: s.events,
    byType: [...s.byType],
    rejected: [...s.rejected],
    byFormat: [...s.byFormat],
  };
}

/** Adds a worker's counts into the run's stats (`backwards` is the main thread's to count). */
export function addCounts(into: ParseStats, c: LineCounts): void {
  into.lines += c.lines;
  into.events += c.events;
  for (const [k, n] of c.byType) into.byType.set(k, (into.byType.get(k) ?? 0) + n);
  for (const [k, n] of c.rejected) into.rejected.set(k, (into.rejected.get(k) ?? 0) + n);
  for (const [k, n] of c.byFormat) into.byFormat.set(k, (into.byFormat.get(k) ?? 0) + n);
}

/** What the summary's per-file tally needs (cli/file-tally.ts): lines, lines with a header, binary lines. */
export function tallyOf(c: LineCounts): { lines: number; headers: number; binary: number } {
  let headers = 0;
  for (const [, n] of c.byFormat) headers += n;
  const binary = c.rejected.find(([k]) => k === "binary")?.[1] ?? 0;
  return { lines: c.lines, headers, binary };
}
