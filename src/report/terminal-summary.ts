import type { AttackerSummary, Summary } from "../events/summary.js";

export interface TerminalOptions {
  color: boolean;
  /** Columns to fit (default 80). */
  width?: number;
  /** Attackers listed before "… N more" (default 10). */
  maxAttackers?: number;
}

const SEV_COLOR: Record<string, string> = { low: "36", medium: "33", high: "31", critical: "1;31" };
const fmt = (n: number) => n.toLocaleString("en-US");

/**
 * The per-attacker part of `analyze`'s end-of-run summary, for a person at a terminal: the top
 * attackers (severity, then alerts, then events), what each did and touched, then the top
 * targeted ports. Every line fits `width` columns. Host names come from log headers, so control
 * characters are removed before anything reaches the terminal.
 */
export function renderTerminalSummary(summary: Summary, opts: TerminalOptions): string {
  const width = opts.width ?? 80;
  const paint = (code: string, s: string) => (opts.color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const out: string[] = [];
  const attackers = summary.attackers;
  const days = new Set(attackers.flatMap((a) => [a.firstSeen.slice(0, 10), a.lastSeen.slice(0, 10)]));
  const oneDay = days.size <= 1;
  if (attackers.length === 0) {
    out.push("No attackers: no rule raised an alert.");
  } else {
    const zone = attackers[0]!.firstSeen.slice(23) || "";
    out.push(
      fit(
        `${plural(attackers.length, "attacker")}, most dangerous first` +
          (oneDay ? ` (times ${[...days][0]} ${offsetName(zone)})` : ` (times ${offsetName(zone)})`),
        width,
      ),
    );
    const shown = attackers.slice(0, opts.maxAttackers ?? 10);
    for (const a of shown) {
      const sev = a.severity.toUpperCase().padEnd(8);
      const who = clean(a.src ?? `${fmt(a.distinctSources)} sources`);
      const counts = `${plural(a.alerts, "alert").padEnd(9)} ${plural(a.events, "event").padStart(14)}`;
      const when = `${stamp(a.firstSeen, oneDay)} → ${stamp(a.lastSeen, oneDay)}`;
      const rest = `${counts}  ${when}`;
      const coloured = (w: string) => ` ${paint(SEV_COLOR[a.severity] ?? "0", sev)} ${paint("1", w)}`;
      if (who.length <= 15 && ` ${sev} ${who.padEnd(15)} ${rest}`.length <= width) {
        out.push(`${coloured(who.padEnd(15))} ${rest}`);
      } else {
        // A long IPv6 address gets its own line; the counts go under it, aligned as usual.
        out.push(coloured(fit(who, width - 10)));
        out.push(fit(`${" ".repeat(26)}${rest}`, width));
      }
      out.push(fit(`${" ".repeat(10)}${clean(what(a))}`, width));
      out.push(touched(a, width - 10, " ".repeat(10)));
    }
    if (attackers.length > shown.length)
      out.push(
        fit(
          `  … ${plural(attackers.length - shown.length, "more attacker")} (--summary json or --report lists all)`,
          width,
        ),
      );
  }
  if (summary.topPorts.length) {
    out.push("Top targeted ports (packets)");
    let line = " ";
    for (const p of summary.topPorts.slice(0, 12)) {
      const item = ` ${p.port}/${p.proto} ${fmt(p.events)}  `;
      if (line.length + item.trimEnd().length > width) {
        out.push(line.trimEnd());
        line = " ";
      }
      line += item;
    }
    out.push(line.trimEnd());
  }
  return out.join("\n") + "\n";
}

function what(a: AttackerSummary): string {
  const tech = a.techniques.length ? ` (${a.techniques.join(", ")})` : "";
  return a.types.join(", ") + tech;
}

function touched(a: AttackerSummary, room: number, indent: string): string {
  const protos = a.protos.join("/");
  const hosts =
    a.distinctHosts === 1 && a.hosts[0] !== undefined
      ? `host ${clean(a.hosts[0])}`
      : `${fmt(a.distinctHosts)} hosts${a.hosts.length ? ` (${a.hosts.slice(0, 3).map(clean).join(", ")}${a.distinctHosts > 3 ? ", …" : ""})` : ""}`;
  if (a.distinctPorts === 0) return fit(`${indent}${protos} · ${hosts}`, indent.length + room);
  const head = `${protos} ${plural(a.distinctPorts, "port")} `;
  const tail = ` · ${hosts}`;
  const ports = portList(a.ports, a.distinctPorts, Math.max(8, room - head.length - tail.length - 2));
  return fit(`${indent}${head}(${ports})${tail}`, indent.length + room);
}

/** Sorted ports as ranges ("1-100,443"), cut to `room` characters with ",…" when there are more. */
export function portList(ports: readonly number[], distinct: number, room: number): string {
  const parts: string[] = [];
  for (let i = 0; i < ports.length;) {
    let j = i;
    while (j + 1 < ports.length && ports[j + 1] === ports[j]! + 1) j++;
    parts.push(j - i >= 2 ? `${ports[i]}-${ports[j]}` : j === i ? `${ports[i]}` : `${ports[i]},${ports[j]}`);
    i = j + 1;
  }
  let s = "";
  for (const p of parts) {
    const next = s ? `${s},${p}` : p;
    if (next.length + 2 > room) return `${s},…`;
    s = next;
  }
  return distinct > ports.length ? `${s},…` : s;
}

function stamp(iso: string, oneDay: boolean): string {
  return oneDay ? iso.slice(11, 19) : `${iso.slice(5, 10)} ${iso.slice(11, 16)}`;
}

function offsetName(offset: string): string {
  return offset === "+00:00" || offset === "Z" || offset === "" ? "UTC" : `UTC${offset}`;
}

function plural(n: number, word: string): string {
  return `${fmt(n)} ${word}${n === 1 ? "" : "s"}`;
}

/** Drops control characters (escape sequences included) from text that came from logs. */
function clean(s: string): string {
  return s.replace(/[\x00-\x1f\x7f-\x9f]/g, "");
}

/** Cuts a line to `width` columns with an ellipsis. */
function fit(s: string, width: number): string {
  return s.length <= width ? s : s.slice(0, width - 1) + "…";
}

/**
 * Wraps each line longer than `width` at its separators (three spaces, or ", "), continuing
 * with a four-space indent: the run's totals list every event type and rejection reason, which
 * would otherwise run past the edge of an 80-column terminal.
 */
export function wrapLines(text: string, width = 80): string {
  const out: string[] = [];
  for (const line of text.split("\n")) {
    if (line.length <= width) {
      out.push(line);
      continue;
    }
    const lead = /^ */.exec(line)![0];
    const parts = line.slice(lead.length).split(/(?<=, | {3})/);
    let cur = lead;
    for (const part of parts) {
      if (cur.trim() !== "" && (cur + part).trimEnd().length > width) {
        out.push(cur.trimEnd());
        cur = lead + "    ";
      }
      cur += part;
    }
    out.push(cur.trimEnd());
  }
  return out.join("\n");
}
