import type { Alert } from "../events/alert.js";

/** A Slack incoming-webhook payload: the `text` field alone renders everywhere Slack does. */
export interface SlackMessage {
  text: string;
}

/** How many ports the summary names before it says "…": a 40 000-port sweep must stay one line. */
export const SLACK_PORTS_SAMPLE = 10;

/** How many evidence lines follow the summary; Slack truncates long messages and hides the rest. */
export const SLACK_EVIDENCE_LINES = 10;

/**
 * Renders an alert as a Slack message: one readable summary line, then the evidence lines.
 *
 * Pure and total: no clock, no I/O, no throw. Every value that came from a log line (addresses,
 * host, evidence) is escaped, because Slack reads `<!channel>` or `<https://x|click>` in the text
 * as a mention or a link, and log lines are written by whoever sends the packets.
 *
 * `alert.window` is in seconds, as the alert schema says.
 */
export function formatSlack(alert: Alert): SlackMessage {
  const lines = [summaryLine(alert)];
  for (const e of alert.evidence.slice(0, SLACK_EVIDENCE_LINES)) lines.push(`• ${escapeSlack(e)}`);
  const more = alert.evidence.length - SLACK_EVIDENCE_LINES;
  if (more > 0) lines.push(`• … ${more} more`);
  return { text: lines.join("\n") };
}

function summaryLine(a: Alert): string {
  // "~" marks sketch estimates and "≥" kernel-suppressed counts, so a reader does not take them as exact.
  const approx = a.lowerBound ? "≥" : a.estimate ? "~" : "";
  const kind = a.technique ? `${a.type} (${a.technique})` : a.type;
  const slow = a.slow ? " slow" : "";
  const src = a.src ?? `${approx}${a.distinctSources} sources`;
  const dst = a.dst ?? `${approx}${a.distinctHosts} hosts`;
  const parts = [
    `[${a.severity.toUpperCase()}] ${a.status}${slow} ${escapeSlack(kind)}`,
    `${escapeSlack(src)} → ${escapeSlack(dst)}`,
    `${a.proto} ports ${portsSample(a)}`,
    `${approx}${a.events} events in ${formatDuration(a.window * 1000)}`,
    `${escapeSlack(a.firstSeen)} → ${escapeSlack(a.lastSeen)}`,
    `host ${escapeSlack(a.host)}`,
    `rule ${escapeSlack(a.rule)}`,
  ];
  return parts.join(" | ");
}

function portsSample(a: Alert): string {
  const shown = a.ports.slice(0, SLACK_PORTS_SAMPLE);
  const total = Math.max(a.distinctPorts, a.ports.length);
  if (shown.length === 0) return `(${total} distinct)`;
  const list = shown.join(", ") + (total > shown.length ? ", …" : "");
  return `${list} (${total} distinct)`;
}

/** 60000 → "60s", 300000 → "5m", 7200000 → "2h"; sub-second windows keep their milliseconds. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return String(ms);
  if (ms < 1000 || ms % 1000 !== 0) return `${ms}ms`;
  const s = ms / 1000;
  if (s % 3600 === 0) return `${s / 3600}h`;
  if (s % 60 === 0 && s >= 120) return `${s / 60}m`;
  return `${s}s`;
}

/** Slack's three control characters in message text, per its "formatting text" reference. */
export function escapeSlack(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
