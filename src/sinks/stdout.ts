import type { Alert } from "../events/alert.js";
import type { Writable } from "node:stream";
import { wrapText, wrapUnits } from "../util/wrap.js";
import { writeOut } from "../util/write-out.js";
import type { Sink } from "./sink.js";

const SEV_COLOR: Record<string, string> = { low: "36", medium: "33", high: "31", critical: "1;31" };

const fmt = (n: number) => n.toLocaleString("en-US");

/**
 * One readable block per alert for a person at a terminal. Pure. With `width` (the terminal's
 * columns) every line fits it: lines wrap between words, never inside the time, the address
 * pair's arrow or the `[status rule id]` tag, and continuation lines are indented.
 */
export function formatAlertText(a: Alert, color: boolean, width?: number): string {
  const paint = (code: string, s: string) => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const approx = a.estimate ? "~" : "";
  const who =
    a.src ??
    `${fmt(a.distinctSources)}${approx} sources${a.sources?.length ? ` (${a.sources.slice(0, 3).join(", ")}${a.distinctSources > 3 ? ", …" : ""})` : ""}`;
  const target = a.dst ?? (a.distinctHosts > 0 ? `${fmt(a.distinctHosts)} hosts` : a.host);
  const ports = a.ports.length
    ? [
        `${fmt(a.distinctPorts)} port${a.distinctPorts === 1 ? "" : "s"}`,
        `(${a.ports.slice(0, 8).join(",")}${a.distinctPorts > 8 ? ",…" : ""})`,
      ]
    : [];
  const kind = a.type + (a.technique ? `/${a.technique}` : "") + (a.slow ? " (slow)" : "");
  // Units are what a line may break between; the comma after the ports (or the target) goes
  // with what it follows.
  const units = [
    a.lastSeen.slice(0, 19).replace("T", " "),
    paint(SEV_COLOR[a.severity] ?? "0", a.severity.toUpperCase().padEnd(8)),
    paint("1", kind),
    ...who.split(" "),
    ...target.split(" ").map((w, i) => (i === 0 ? `→ ${w}` : w)), // the arrow stays with the target
    ...ports,
  ];
  units[units.length - 1] += ",";
  units.push(`${fmt(a.events)} events`);
  if (a.confidence !== undefined) units.push(`confidence ${a.confidence}`);
  units.push(` [${a.status} ${a.rule} ${a.id.slice(0, 8)}]`);
  const head = width ? wrapUnits(units, width, "    ") : [units.join(" ")];
  const evidence = a.evidence.flatMap((e) =>
    (width ? wrapText(e, Math.max(20, width - 6)) : [e]).map((l, i) => (i ? "      " : "    · ") + l),
  );
  return [...head, ...evidence].join("\n") + "\n";
}

/** Alerts on stdout: readable text on a terminal, NDJSON otherwise (or when asked). */
export class StdoutSink implements Sink {
  readonly name = "stdout";
  constructor(
    private readonly format: "ndjson" | "table",
    private readonly out: Writable = process.stdout,
    private readonly color = format === "table" && process.stdout.isTTY === true && !process.env.NO_COLOR,
    /** Columns to fit (a terminal's, read at each alert since it can be resized); none: no wrapping. */
    private readonly width: () => number | undefined = () =>
      process.stdout.isTTY ? process.stdout.columns : undefined,
  ) {}

  async write(alert: Alert): Promise<void> {
    const text =
      this.format === "ndjson"
        ? JSON.stringify(alert) + "\n"
        : formatAlertText(alert, this.color, this.width());
    await writeOut(this.out, text);
  }

  async close(): Promise<void> {}
}
