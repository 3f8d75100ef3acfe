import type { Diagnostics } from "../diagnostics.js";
import type { ParseStats } from "../parsers/parse-stats.js";
import type { AllowList } from "../rules/allow-list.js";
import type { CrossFileDedup } from "../sources/dedup.js";

const fmt = (n: number) => n.toLocaleString("en-US");

/** The end-of-run summary on stderr: what was read, what became events, what was skipped and why. */
export function renderParseSummary(stats: ParseStats, diagnostics: Diagnostics): string {
  const lines: string[] = [];
  lines.push(
    `lines read: ${fmt(stats.lines)}   events: ${fmt(stats.events)}   not recognized: ${fmt(stats.rejectedTotal)}`,
  );
  if (stats.byType.size)
    lines.push(
      "  events by type: " +
        sorted(stats.byType)
          .map(([k, v]) => `${k} ${fmt(v)}`)
          .join(", "),
    );
  if (stats.rejected.size)
    lines.push(
      "  not recognized by reason: " +
        sorted(stats.rejected)
          .map(([k, v]) => `${k} ${fmt(v)}`)
          .join(", "),
    );
  if (stats.byFormat.size)
    lines.push(
      "  header formats: " +
        sorted(stats.byFormat)
          .map(([k, v]) => `${k} ${fmt(v)}`)
          .join(", "),
    );
  const tooLong = diagnostics.get("scanwatch_lines_rejected_total", { reason: "too-long" });
  if (tooLong) lines.push(`  lines over 64 KiB skipped: ${fmt(tooLong)}`);
  if (stats.backwards) lines.push(`  lines whose time went backwards (kept): ${fmt(stats.backwards)}`);
  return lines.join("\n") + "\n";
}

/** Most first; equal counts by name, so the same input always reads the same. */
function sorted(m: Map<string, number>): [string, number][] {
  return [...m].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/** The alerts line: how many, of which types (most first), the store, and the speed. */
export function renderAlertSummary(r: {
  alerts: number;
  byType: Map<string, number>;
  store: string;
  seconds: number;
  lines: number;
}): string {
  const types = sorted(r.byType)
    .map(([k, v]) => `${k} ${fmt(v)}`)
    .join(", ");
  const rate = fmt(Math.round(r.lines / Math.max(r.seconds, 0.001)));
  return `alerts: ${fmt(r.alerts)}${types ? ` (${types})` : ""}   store: ${r.store}   ${r.seconds.toFixed(2)} s, ${rate} lines/s\n`;
}

/**
 * Events that came more than the disorder bound behind the newest time already read, in words:
 * what it means and what to do. Empty when there were none.
 */
export function renderLate(late: number, disorderMs: number): string {
  if (late === 0) return "";
  const bound = `${disorderMs / 1000} s`;
  return (
    `  ${fmt(late)} event${late === 1 ? "" : "s"} came more than ${bound} behind the newest time already read ` +
    `(files out of step, or a clock set back). ${late === 1 ? "It still counts" : "They still count"} in windows ` +
    `that had not moved past ${late === 1 ? "it" : "them"}, so alerts may be late or missing; if the files are ` +
    `expected to lag each other, raise --disorder (now ${bound}).\n`
  );
}

/**
 * Verdicts a shared store had already alerted (another agent, or an earlier run over the same
 * logs), in words: why a replay into the store raises nothing. Empty when there were none.
 */
export function renderAlreadyAlerted(n: number): string {
  if (n === 0) return "";
  return (
    `  ${fmt(n)} verdict${n === 1 ? " was" : "s were"} already alerted in the shared store (by another agent, or ` +
    `an earlier run over the same logs: a replay into the store also counts its events again), not alerted again\n`
  );
}

/**
 * Keys the engine evicted to stay under its key bound, in words: what it means for the counts.
 * Empty when there were none. Keys whose windows had all passed are dropped without counting.
 */
export function renderEvictions(evicted: number, maxKeys: number): string {
  if (evicted === 0) return "";
  return (
    `  ${fmt(evicted)} key${evicted === 1 ? " was" : "s were"} evicted to stay under the bound of ${fmt(maxKeys)} ` +
    `tracked keys (keys seen once first, typically the sources of a spoofed flood, then the least recently ` +
    `active); ` +
    `a source evicted and seen again starts its windows over, so its counts are lower bounds.\n`
  );
}

/** The summary line for packets a second LOG rule logged again. */
export function renderRuleCopies(dropped: number): string {
  return `  packets logged again by a second LOG rule (UFW's AUDIT line and its verdict), counted once: ${fmt(dropped)}\n`;
}

/** The summary line for lines read twice (UFW writes each packet to kern.log and ufw.log). */
export function renderDuplicates(dedup: CrossFileDedup): string {
  const byFile = sorted(dedup.droppedByFile)
    .map(([k, v]) => `${k} ${fmt(v)}`)
    .join(", ");
  return `  lines also read from another file, counted once: ${fmt(dedup.dropped)} (copies in ${byFile})\n`;
}

/** The summary line for --since/--until: how many events fell outside the range. */
export function renderOutsideRange(r: { since?: number; until?: number; outside: number }): string {
  const iso = (ms: number) => new Date(ms).toISOString();
  const span = [
    r.since !== undefined ? `--since ${iso(r.since)}` : "",
    r.until !== undefined ? `--until ${iso(r.until)}` : "",
  ]
    .filter(Boolean)
    .join(" ");
  return `  events outside ${span}, not examined: ${fmt(r.outside)}\n`;
}

/** The summary line for the global allow-list: how much of the input it kept from every rule. */
export function renderAllowed(allow: AllowList): string {
  return `  events from allowed sources (--allow ${allow.entries.join(", ")}), not examined: ${fmt(allow.allowed)}\n`;
}
