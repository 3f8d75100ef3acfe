import type { Alert } from "../events/alert.js";
import type { Writable } from "node:stream";
import { writeOut } from "../util/write-out.js";
import type { Sink } from "./sink.js";

const SEV_COLOR: Record<string, string> = { low: "36", medium: "33", high: "31", critical: "1;31" };

/** One readable block per alert for a person at a terminal. Pure. */
export function formatAlertText(a: Alert, color: boolean): string {
  const paint = (code: string, s: string) => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const who =
    a.src ??
    `${a.distinctSources}${a.estimate ? "~" : ""} sources${a.sources?.length ? ` (${a.sources.slice(0, 3).join(", ")}${a.distinctSources > 3 ? ", …" : ""})` : ""}`;
  const target = a.dst ?? (a.distinctHosts > 0 ? `${a.distinctHosts} hosts` : a.host);
  const ports = a.ports.length
    ? ` ${a.distinctPorts} port${a.distinctPorts === 1 ? "" : "s"} (${a.ports.slice(0, 8).join(",")}${a.distinctPorts > 8 ? ",…" : ""})`
    : "";
  const kind = a.type + (a.technique ? `/${a.technique}` : "") + (a.slow ? " (slow)" : "");
  const conf = a.confidence !== undefined ? ` confidence ${a.confidence}` : "";
  const head =
    `${a.lastSeen.slice(0, 19).replace("T", " ")} ${paint(SEV_COLOR[a.severity] ?? "0", a.severity.toUpperCase().padEnd(8))} ` +
    `${paint("1", kind)} ${who} → ${target}${ports}, ${a.events} events${conf}  [${a.status} ${a.rule} ${a.id.slice(0, 8)}]`;
  return [head, ...a.evidence.map((e) => `    · ${e}`)].join("\n") + "\n";
}

/** Alerts on stdout: readable text on a terminal, NDJSON otherwise (or when asked). */
export class StdoutSink implements Sink {
  readonly name = "stdout";
  constructor(
    private readonly format: "ndjson" | "table",
    private readonly out: Writable = process.stdout,
    private readonly color = format === "table" && process.stdout.isTTY === true && !process.env.NO_COLOR,
  ) {}

  async write(alert: Alert): Promise<void> {
    const text = this.format === "ndjson" ? JSON.stringify(alert) + "\n" : formatAlertText(alert, this.color);
    await writeOut(this.out, text);
  }

  async close(): Promise<void> {}
}
