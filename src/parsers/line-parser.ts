import type { AuthEvent, Event, PacketAction } from "../events/event.js";
import { compileActionMap, DEFAULT_ACTION_MAP, type ActionMapEntry } from "./action-map.js";
import { parseNetfilter, findNetfilterStart } from "./netfilter.js";
import { parseSshd } from "./sshd.js";
import { parseHeader, type Header, type HeaderFormat } from "./syslog-header.js";
import { StampResolver, type TimeContext } from "./time-context.js";

export type ParseOutcome =
  | { ok: true; event: Event; parser: string; format: HeaderFormat }
  | { ok: false; reason: string; format?: HeaderFormat; parser?: string };

export interface LineParserOptions {
  time: TimeContext;
  actionMap?: readonly ActionMapEntry[];
}

const SSHD_PROGRAMS = new Set(["sshd", "sshd-session", "sshd-auth"]);

/**
 * Parses whole log lines of one file into events. Holds only per-file context (the year/zone
 * resolver and its cache); `parse` is total: every string yields an event or a reason.
 */
export class LineParser {
  private readonly stamps: StampResolver;
  private readonly zone: string;
  private readonly actionOf: (prefix: string | undefined) => PacketAction;

  constructor(opts: LineParserOptions) {
    this.stamps = new StampResolver(opts.time);
    this.zone = opts.time.zone;
    this.actionOf = compileActionMap(opts.actionMap ?? DEFAULT_ACTION_MAP);
  }

  parse(text: string, file: string, line: number): ParseOutcome {
    if (text.length === 0) return { ok: false, reason: "empty" };
    if (text.indexOf("\0") >= 0) return { ok: false, reason: "binary" };
    const h = parseHeader(text, this.stamps, this.zone);
    if (!h.ok) return { ok: false, reason: h.reason };
    const { header } = h;
    let msg = header.message;
    const base = { ts: header.iso, ms: header.ms, host: header.host, source: { file, line } };

    const program = header.program;
    if (
      SSHD_PROGRAMS.has(program) ||
      (program.charCodeAt(0) === 47 && SSHD_PROGRAMS.has(programName(program)))
    ) {
      const r = parseSshd(msg);
      if (!r.ok) {
        const out: ParseOutcome = { ok: false, reason: r.reason, format: header.format, parser: "sshd" };
        return out;
      }
      const event: AuthEvent = { type: "auth", ...base, service: "sshd", ...r.fields };
      if (header.pid !== undefined) event.pid = header.pid;
      return { ok: true, event, parser: `sshd/${r.pattern}`, format: header.format };
    }

    // ulogd2 LOGEMU writes `host PREFIX IN=...` with no tag: a prefix ending in ":" ("FW-IN: ")
    // reads as one. A tag without a pid followed directly by `IN=` is such a prefix.
    if (
      header.program !== "" &&
      header.program !== "kernel" &&
      header.pid === undefined &&
      findNetfilterStart(msg) === 0
    ) {
      msg = `${header.program}: ${msg}`;
      header.program = "";
    }
    // Kernel messages, and ulogd2 LOGEMU lines that carry no program tag at all.
    if (header.program === "kernel" || header.program === "") {
      msg = stripUptime(msg);
      if (findNetfilterStart(msg) < 0) {
        const n = header.program === "kernel" ? suppressedCount(msg) : undefined;
        if (n !== undefined) {
          return {
            ok: true,
            event: { type: "suppressed", ...base, count: n },
            parser: "kernel/suppressed",
            format: header.format,
          };
        }
        if (header.program === "") {
          const u = this.untagged(text, header, base);
          if (u) return u;
        }
        return {
          ok: false,
          reason: header.program === "" ? "unknown-program" : "kernel-other",
          format: header.format,
        };
      }
      const r = parseNetfilter(msg, this.actionOf, header.iso, header.ms, header.host, { file, line });
      if (!r.ok) return { ok: false, reason: r.reason, format: header.format, parser: "netfilter" };
      return {
        ok: true,
        event: r.fields,
        parser: header.program === "" ? "netfilter/ulogd" : "netfilter",
        format: header.format,
      };
    }
    return this.untagged(text, header, base) ?? { ok: false, reason: "other-program", format: header.format };
  }

  /**
   * A line with neither host nor program (`sshd -e` under runit or s6, logged through svlogd:
   * `2018-06-26 13:22:02.108781500 Failed password for ...`): the header parser read the message's
   * first words as host and tag. Only a message that sshd's patterns take becomes an event;
   * anything else keeps the header's reading.
   */
  private untagged(
    text: string,
    header: Header,
    base: { ts: string; ms: number; host: string; source: { file: string; line: number } },
  ): ParseOutcome | undefined {
    if (header.afterStamp === undefined || header.pid !== undefined) return undefined;
    const r = parseSshd(text.slice(header.afterStamp));
    if (!r.ok) return undefined;
    return {
      ok: true,
      event: { type: "auth", ...base, host: "", service: "sshd", ...r.fields },
      parser: `sshd/${r.pattern}`,
      format: header.format,
    };
  }
}

/** `/usr/sbin/sshd` (old syslogs log argv[0] whole) is `sshd`. */
function programName(p: string): string {
  const slash = p.lastIndexOf("/");
  return slash < 0 ? p : p.slice(slash + 1);
}

/** Removes a leading kernel uptime stamp `[ 5214.735771] `. */
function stripUptime(msg: string): string {
  if (msg.charCodeAt(0) !== 91) return msg;
  const close = msg.indexOf("]");
  if (close < 0 || close > 24) return msg;
  for (let i = 1; i < close; i++) {
    const c = msg.charCodeAt(i);
    if (c !== 32 && c !== 46 && (c < 48 || c > 57)) return msg;
  }
  return msg.charCodeAt(close + 1) === 32 ? msg.slice(close + 2) : msg.slice(close + 1);
}

/** `net_ratelimit: 123 callbacks suppressed`, `nf_log: 5 callbacks suppressed`, `12 callbacks suppressed`. */
function suppressedCount(msg: string): number | undefined {
  const at = msg.indexOf(" callbacks suppressed");
  if (at < 0 || at + 21 !== msg.length) return undefined;
  let i = at - 1;
  while (i >= 0 && msg.charCodeAt(i) >= 48 && msg.charCodeAt(i) <= 57) i--;
  if (i === at - 1 || at - i > 10) return undefined;
  return Number(msg.slice(i + 1, at));
}
