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

function sorted(m: Map<string, number>): [string, number][] {
  return [...m].sort((a, b) => b[1] - a[1]);
}

/** The summary line for lines read twice (UFW writes each packet to kern.log and ufw.log). */
export function renderDuplicates(dedup: CrossFileDedup): string {
  const byFile = sorted(dedup.droppedByFile)
    .map(([k, v]) => `${k} ${fmt(v)}`)
    .join(", ");
  return `  lines also read from another file, counted once: ${fmt(dedup.dropped)} (copies in ${byFile})\n`;
}

/** The summary line for the global allow-list: how much of the input it kept from every rule. */
export function renderAllowed(allow: AllowList): string {
  return `  events from allowed sources (--allow ${allow.entries.join(", ")}), not examined: ${fmt(allow.allowed)}\n`;
}
