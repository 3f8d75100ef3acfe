import { parseArgs } from "node:util";
import { Diagnostics } from "../diagnostics.js";
import type { AuthEvent, Event, SourceRef } from "../events/event.js";
import type { ParseOutcome } from "../parsers/line-parser.js";
import { ParseStats } from "../parsers/parse-stats.js";
import { parseFiles } from "../pipeline.js";
import { openBatchFiles } from "../sources/file-batch.js";
import type { RawLine } from "../sources/line.js";
import { hostPort } from "../util/address.js";
import { writeOut } from "../util/write-out.js";
import { TIME_OPTIONS, formatOption, resolveTime } from "./common-options.js";
import { UsageError } from "./usage-error.js";
import { FileTally } from "./file-tally.js";
import { renderParseSummary } from "./summary.js";

export const PARSE_HELP = `scanwatch parse [options] FILE... | -

Reads firewall (kernel LOG) and sshd logs and prints the normalized events.

  --format ndjson|table   NDJSON (default when stdout is not a terminal) or a table
  --explain               for each line: which parser took it, or why none did
  --year YYYY             year for stamps without one (default: from each file's mtime)
  --tz ZONE               zone for stamps without one (default: this machine's zone)
`;

export async function parseCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...TIME_OPTIONS,
      format: { type: "string" },
      explain: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(PARSE_HELP);
    return 0;
  }
  if (positionals.length === 0) throw new UsageError("parse: give at least one FILE (or - for stdin)");
  const time = resolveTime(values);
  const format = formatOption(values.format, process.stdout.isTTY === true);
  // A missing or unreadable file throws a SourceError (with a code): main() prints it, exit 1.
  const files = await openBatchFiles(positionals);
  const diagnostics = new Diagnostics();
  diagnostics.onReport((m) => process.stderr.write(`scanwatch: ${m.level}: ${m.message}\n`));
  const stats = new ParseStats();
  const out = process.stdout;
  const explain = values.explain === true;
  const tally = new FileTally();
  const onOutcome = (raw: RawLine, o: ParseOutcome) => {
    tally.record(raw, o);
    if (!explain) return;
    const where = `${raw.file}:${raw.line}`;
    const verdict = o.ok
      ? `${o.parser} (${o.format}) → ${o.event.type}${o.event.type === "auth" ? "/" + o.event.kind + authNote(o.event, o.via) : ""}`
      : `rejected: ${o.reason}${o.format ? ` (${o.format})` : ""}`;
    out.write(`${where}\t${verdict}\t${raw.text.slice(0, 160)}\n`);
  };
  if (!explain && format === "table") out.write(tableHeader());
  for await (const batch of parseFiles(files, { ...time, onOutcome }, stats, diagnostics)) {
    if (explain) continue;
    let text = "";
    for (const e of batch) text += format === "ndjson" ? JSON.stringify(e) + "\n" : tableRow(e);
    await writeOut(out, text);
  }
  process.stderr.write(
    renderParseSummary(stats, diagnostics) +
      tally
        .warnings()
        .map((w) => `  ${w}\n`)
        .join(""),
  );
  return diagnostics.get("scanwatch_read_errors_total") > 0 ? 1 : 0;
}

/**
 * What `--explain` adds to an sshd event: where its address came from when not from the line
 * itself (`src 198.51.100.7 via sshd[812] at auth.log:17`), a host name kept as the source, a
 * repeat count.
 */
function authNote(e: AuthEvent, via: SourceRef | undefined): string {
  let note = "";
  if (e.srcVia === "pid") {
    note += ` src ${e.src} via sshd[${e.pid ?? "?"}]${via ? ` at ${via.file}:${via.line}` : ""}`;
  } else if (e.srcKind === "name") {
    note += ` src ${e.src} is a host name (no address logged for sshd[${e.pid ?? "?"}])`;
  }
  if (e.count !== undefined) note += ` ×${e.count}`;
  return note;
}

/** A user name as a JSON string (attacker-written: quotes and escapes keep it on one line), blank when none. */
function userCell(user: string | undefined): string {
  return (user === undefined ? "" : JSON.stringify(user)).slice(0, 24).padEnd(24);
}

/** An address with its port, if any: `203.0.113.5:4000`, `[2001:db8::66]:4000`. */
function endpoint(addr: string, port: number | undefined): string {
  return port === undefined ? addr : hostPort(addr, port);
}

function tableHeader(): string {
  return `${"time".padEnd(29)} ${"type".padEnd(20)} ${"src".padEnd(24)} ${"dst / user".padEnd(24)} detail\n`;
}

function tableRow(e: Event): string {
  if (e.type === "packet") {
    const proto = String(e.proto);
    const flags = e.flags ? (e.flags.length ? e.flags.join(",") : "NULL") : "";
    const detail = `${proto}${e.dport !== undefined ? ":" + e.dport : ""} ${flags} ${e.action}${e.icmpType !== undefined ? " icmp-type=" + e.icmpType : ""}`;
    return `${e.ts.padEnd(29)} ${"packet".padEnd(20)} ${endpoint(e.src, e.sport).padEnd(24)} ${e.dst.padEnd(24)} ${detail}\n`;
  }
  if (e.type === "auth") {
    return `${e.ts.padEnd(29)} ${("auth/" + e.kind).padEnd(20)} ${endpoint(e.src, e.sport).padEnd(24)} ${userCell(e.user)} ${e.method ?? ""}\n`;
  }
  return `${e.ts.padEnd(29)} ${"suppressed".padEnd(20)} ${"".padEnd(24)} ${"".padEnd(24)} ${e.count} kernel messages dropped\n`;
}
