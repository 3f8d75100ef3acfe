import type { AuthEvent, Event, PacketAction, SourceRef } from "../events/event.js";
import { compileActionMap, DEFAULT_ACTION_MAP, type ActionMapEntry } from "./action-map.js";
import { parseNetfilter, findNetfilterStart } from "./netfilter.js";
import { KBDINT_PAM, parseSshd, shapedLikeSshd, type Alternative, type SshdMatch } from "./sshd.js";
import { SshdConnections, type SshdConnection, type SshdConnectionsOptions } from "./sshd-connections.js";
import { parseHeader, type Header, type HeaderFormat } from "./syslog-header.js";
import { StampResolver, type TimeContext } from "./time-context.js";

export type ParseOutcome =
  | {
      ok: true;
      event: Event;
      parser: string;
      format: HeaderFormat;
      /** The line that named the address, when it came through the sshd pid (`srcVia: "pid"`). */
      via?: SourceRef;
    }
  | { ok: false; reason: string; format?: HeaderFormat; parser?: string };

/** One line as read (the shape of a source's RawLine). */
export interface InputLine {
  text: string;
  file: string;
  line: number;
}

/** Receives every line's final outcome, in input order. */
export type OutcomeSink = (line: InputLine, outcome: ParseOutcome) => void;

export interface LineParserOptions {
  time: TimeContext;
  actionMap?: readonly ActionMapEntry[];
  /**
   * How long (event time) `feed` may hold an sshd line whose address a later line of the same
   * connection gives: `kex_exchange_identification:` comes just before `Connection closed by A
   * port P`, PAM's `rhost=NAME` a pam_faildelay (2-3 s) before `Failed password ... from A`,
   * `User root not allowed because account is locked` just before `Failed none for invalid user
   * root from A`. Lines after a held one wait with it, so outcomes stay in input order.
   */
  holdMs?: number;
  /** Most lines `feed` keeps waiting (held ones and those queued behind them). */
  maxHeld?: number;
  connections?: SshdConnectionsOptions;
}

export const DEFAULT_HOLD_MS = 10_000;
export const DEFAULT_MAX_HELD = 4096;

const SSHD_PROGRAMS = new Set(["sshd", "sshd-session", "sshd-auth"]);

/** The event fields every line has, before its own. */
interface Base {
  ts: string;
  ms: number;
  host: string;
  source: SourceRef;
}

/** What a held sshd line says, waiting for its connection to name the address. */
interface Wait {
  match: SshdMatch;
  base: Base;
  pid: number;
  format: HeaderFormat;
  conn: SshdConnection<Slot>;
}

/** BSD `last message repeated N times` after a line still held: settled when that one is. */
interface Repeat {
  of: Slot;
  count: number;
  base: Base;
  format: HeaderFormat;
}

/** A line whose outcome is not final yet, or is final but queued behind one that is not. */
class Slot {
  constructor(
    readonly line: InputLine,
    public outcome: ParseOutcome | undefined,
    readonly ms: number,
    readonly wait: Wait | undefined,
    readonly repeat: Repeat | undefined,
  ) {}
}

/**
 * Parses whole log lines of one file into events. Holds per-file context only: the year/zone
 * resolver and its cache, and the table of open sshd connections (host + pid → the client's
 * address), bounded and expired by event time.
 *
 * Two ways to use it, not to be mixed on one instance:
 * - `parse(text)`: one line in, its outcome out, now. A line that names no address takes the
 *   one an earlier line of its sshd pid named, or is rejected (`sshd-no-address`).
 * - `feed(line, out)` … `flush(out)`: the same, and a line may also wait (up to `holdMs` of event
 *   time) for the address a *later* line of its connection names. Every line reaches `out`
 *   exactly once, in input order, with an event or a rejection; `flush` settles the rest at the
 *   end of input.
 */
function baseOf(header: Header, source: Base["source"]): Base {
  return { ts: header.iso, ms: header.ms, host: header.host, source };
}

export class LineParser {
  private readonly stamps: StampResolver;
  private readonly zone: string;
  private readonly actionOf: (prefix: string | undefined) => PacketAction;
  private readonly conns: SshdConnections<Slot>;
  private readonly holdMs: number;
  private readonly maxHeld: number;
  private readonly queue: (Slot | undefined)[] = [];
  private head = 0;
  /** The time of the latest line with a header: held lines expire against it. */
  private now = -Infinity;
  /** The previous line's result, for BSD syslogd's `last message repeated N times`. */
  private prev: ParseOutcome | Slot | undefined;

  constructor(opts: LineParserOptions) {
    this.stamps = new StampResolver(opts.time);
    this.zone = opts.time.zone;
    this.actionOf = compileActionMap(opts.actionMap ?? DEFAULT_ACTION_MAP);
    this.conns = new SshdConnections<Slot>(opts.connections);
    this.holdMs = opts.holdMs ?? DEFAULT_HOLD_MS;
    this.maxHeld = opts.maxHeld ?? DEFAULT_MAX_HELD;
  }

  /** Open sshd connections remembered (bounded by `connections.maxEntries`). */
  get connections(): number {
    return this.conns.size;
  }

  /** Lines `feed` holds or queues behind a held one (bounded by `maxHeld`). */
  get held(): number {
    return this.queue.length - this.head;
  }

  /** One line's outcome, now; total: every string yields an event or a reason. */
  parse(text: string, file: string, line: number): ParseOutcome {
    const r = this.read({ text, file, line }, false);
    return r instanceof Slot ? this.settle(r) : r;
  }

  /** Parses one line; `out` receives every outcome that became final, in input order. */
  feed(line: InputLine, out: OutcomeSink): void {
    const r = this.read(line, this.holdMs > 0);
    if (r instanceof Slot) this.queue.push(r);
    else if (this.head === this.queue.length) {
      out(line, r);
      return;
    } else this.queue.push(new Slot(line, r, this.now, undefined, undefined));
    this.release(out, false);
  }

  /** End of input: settles every held line (without an address if none came) and hands all out. */
  flush(out: OutcomeSink): void {
    this.release(out, true);
  }

  private release(out: OutcomeSink, all: boolean): void {
    const q = this.queue;
    while (this.head < q.length) {
      const s = q[this.head]!;
      if (s.outcome === undefined) {
        const expired = all || this.now - s.ms > this.holdMs || q.length - this.head > this.maxHeld;
        if (s.repeat === undefined && !expired) break;
        // Past its time a line takes no address: one bound later belongs to another connection.
        s.outcome = this.settle(s, false);
      }
      q[this.head++] = undefined;
      out(s.line, s.outcome);
    }
    if (this.head === q.length) {
      q.length = 0;
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > q.length) {
      q.splice(0, this.head);
      this.head = 0;
    }
  }

  /** The outcome of a line, or the slot of one that waits. */
  private read(input: InputLine, hold: boolean): ParseOutcome | Slot {
    const r = this.readLine(input, hold);
    this.prev = r;
    return r;
  }

  private readLine(input: InputLine, hold: boolean): ParseOutcome | Slot {
    const { file, line } = input;
    let text = input.text;
    if (text.length === 0) return { ok: false, reason: "empty" };
    if (text.indexOf("\0") >= 0) {
      // A file written up to a crash holds a run of NULs where its last block was never
      // written; the next line after the restart is glued on after them, whole.
      let i = 0;
      while (i < text.length && text.charCodeAt(i) === 0) i++;
      if (i === 0 || i === text.length || text.indexOf("\0", i) >= 0) return { ok: false, reason: "binary" };
      text = text.slice(i);
    }
    const h = parseHeader(text, this.stamps, this.zone);
    if (!h.ok) return { ok: false, reason: h.reason };
    const { header } = h;
    // The latest line's time, not the greatest seen: after a step back (a DST change in a local
    // zone, files cat'ed out of order) lines still wait, up to maxHeld.
    this.now = header.ms;
    let msg = header.message;
    // The event's common fields are made only by the branches that use them (baseOf): a
    // firewall line, most lines of a busy log, needs none, and they were two small objects per
    // line for the collector.
    const source = { file, line };

    const program = header.program;
    if (
      SSHD_PROGRAMS.has(program) ||
      (program.charCodeAt(0) === 47 && SSHD_PROGRAMS.has(programName(program)))
    ) {
      return this.sshd(input, header, baseOf(header, source), hold);
    }

    // A journal entry names its writer (journald's own fields, journalProgram): only the
    // kernel's are firewall lines there.
    const journal = header.format === "journal-json";
    // ulogd2 LOGEMU writes `host PREFIX IN=...` with no tag: a prefix ending in ":" ("FW-IN: ")
    // reads as one. A tag without a pid followed directly by `IN=` is such a prefix.
    if (
      !journal &&
      header.program !== "" &&
      header.program !== "kernel" &&
      header.pid === undefined &&
      findNetfilterStart(msg) === 0
    ) {
      msg = `${header.program}: ${msg}`;
      header.program = "";
    }
    // Kernel messages, and ulogd2 LOGEMU lines that carry no program tag at all.
    if (header.program === "kernel" || (header.program === "" && !journal)) {
      // A line with no tag may be sshd's own (`sshd -e` under runit, s6, daemontools, a
      // container's log), whose user name and other client text can read like LOG fields: sshd's
      // patterns come first, so a crafted user name never becomes a packet from an address the
      // client chose. No netfilter LOG payload reads as an sshd message.
      if (header.program === "") {
        const u = this.untagged(text, header, baseOf(header, source), true);
        if (u) return u;
      }
      msg = stripUptime(msg);
      const start = untaggedStartOk(header.program, findNetfilterStart(msg));
      if (start < 0) {
        const n = header.program === "kernel" ? suppressedCount(msg) : undefined;
        if (n !== undefined) {
          return {
            ok: true,
            event: { type: "suppressed", ...baseOf(header, source), count: n },
            parser: "kernel/suppressed",
            format: header.format,
          };
        }
        if (header.program === "") {
          const times = lastMessageRepeated(msg);
          if (times !== undefined) return this.repeated(input, times, baseOf(header, source), header.format);
        }
        return {
          ok: false,
          reason: header.program === "" ? "unknown-program" : "kernel-other",
          format: header.format,
        };
      }
      const r = parseNetfilter(msg, this.actionOf, header.iso, header.ms, header.host, source, start);
      if (!r.ok) return { ok: false, reason: r.reason, format: header.format, parser: "netfilter" };
      return {
        ok: true,
        event: r.fields,
        parser: header.program === "" ? "netfilter/ulogd" : "netfilter",
        format: header.format,
      };
    }
    return (
      this.untagged(text, header, baseOf(header, source)) ?? {
        ok: false,
        reason: "other-program",
        format: header.format,
      }
    );
  }

  /** An sshd line: its message, tied to its connection through host + pid. */
  private sshd(input: InputLine, header: Header, base: Base, hold: boolean): ParseOutcome | Slot {
    const format = header.format;
    const r = parseSshd(header.message);
    const pid = header.pid;
    if (!r.ok) {
      const c = r.bind && pid !== undefined ? this.conns.open(header.host, pid, base.ms) : undefined;
      if (c) this.bind(c, r.bind!.addr, r.bind!.port, base.source, base.ms);
      return { ok: false, reason: r.reason, format, parser: "sshd" };
    }
    const m = r;
    const conn = pid === undefined ? undefined : this.conns.open(header.host, pid, base.ms);
    if (conn === undefined) {
      if (m.afterFailure) return { ok: false, reason: "sshd-ignored", format, parser: "sshd" };
      return this.settled(m, base, pid, format, undefined);
    }
    if (m.opens) {
      // A new connection on this pid: what waited for the old one's address gets none.
      if (conn.waiting) for (const s of [...conn.waiting]) s.outcome = this.settle(s, false);
      conn.reset();
    }
    if ((m.preauthOnly && conn.authenticated) || (m.afterFailure && !conn.failed)) {
      return { ok: false, reason: "sshd-ignored", format, parser: "sshd" };
    }
    if (m.client === "ip") this.bind(conn, m.addr, m.port, base.source, base.ms);
    if (m.method === KBDINT_PAM && m.kind === "failure") {
      // OpenSSH writes `error: PAM: Authentication failure for U from A` for a refused
      // keyboard-interactive attempt, then, from the MaxAuthTries/2-th failure on, also `Failed
      // keyboard-interactive/pam for U from A`: one attempt, counted once.
      // rsyslog's `message repeated N times: [ ... ]` stands for N of either line.
      const n = m.count ?? 1;
      if (m.pattern === "pam-error") conn.pamErrors = Math.min(conn.pamErrors + n, 64);
      else if (conn.pamErrors >= n) {
        conn.pamErrors -= n;
        return { ok: false, reason: "sshd-same-attempt", format, parser: "sshd" };
      } else if (conn.pamErrors > 0) {
        const left = n - conn.pamErrors;
        m.count = left > 1 ? left : undefined;
        conn.pamErrors = 0;
      }
    }
    if (m.kind === "failure" || m.kind === "invalid-user" || m.kind === "refused" || m.kind === "max-auth") {
      conn.failed = true;
    }
    if (m.authenticates) conn.authenticated = true;
    if (m.closes) this.conns.close(conn);
    if (m.client === "ip" || conn.known || !hold) return this.settled(m, base, pid, format, conn);
    // Wait for a later line of this connection to name the address.
    const slot = new Slot(input, undefined, base.ms, { match: m, base, pid: pid!, format, conn }, undefined);
    const w = (conn.waiting ??= []);
    if (w.length >= this.conns.maxWaiting) {
      const oldest = w.shift()!;
      oldest.outcome = this.settle(oldest, false);
    }
    w.push(slot);
    return slot;
  }

  /** A line of `conn` named its client's address: lines waiting for it get it. */
  private bind(
    conn: SshdConnection<Slot>,
    addr: string,
    port: number | undefined,
    from: SourceRef,
    ms: number,
  ): void {
    conn.record(addr, port);
    conn.fromLine = from.line;
    const waiting = conn.waiting;
    if (waiting === undefined) return;
    conn.waiting = undefined;
    // A line that waited longer than holdMs has no claim on this address: it gets none.
    for (const s of waiting)
      if (s.outcome === undefined) s.outcome = this.settle(s, ms - s.ms <= this.holdMs);
  }

  /** The final outcome of a slot: with its connection's address if it has one by now (and may take it). */
  private settle(s: Slot, mayTakeAddress = true): ParseOutcome {
    if (s.repeat) return repeatOutcome(s.repeat.of.outcome, s.repeat.count, s.repeat.base, s.repeat.format);
    const w = s.wait!;
    const waiting = w.conn.waiting;
    if (waiting) {
      const i = waiting.indexOf(s);
      if (i >= 0) waiting.splice(i, 1);
      if (waiting.length === 0) w.conn.waiting = undefined;
    }
    return this.settled(w.match, w.base, w.pid, w.format, mayTakeAddress ? w.conn : undefined);
  }

  /**
   * What a match becomes given what its connection knows: its own address; the connection's
   * (`srcVia: "pid"`); a host name (`srcKind: "name"`); or, with neither, a rejection.
   */
  private settled(
    m: SshdMatch,
    base: Base,
    pid: number | undefined,
    format: HeaderFormat,
    conn: SshdConnection<Slot> | undefined,
  ): ParseOutcome {
    const parser = m.parser;
    if (m.client === "ip") {
      return { ok: true, event: authEvent(base, m, m.addr, m.port, m.user, m.method, pid), parser, format };
    }
    const known = conn?.addr;
    if (known !== undefined) {
      let said: SshdMatch | Alternative = m;
      let port: number | undefined;
      if (m.client === "ambiguous") {
        // The reading whose client is the connection's: the other ones are crafted. When several
        // name it (with other ports), the address is sure and the port is not.
        const hits = m.readings!.filter(
          (a) =>
            a.addr === known && (a.port === undefined || conn!.port === undefined || a.port === conn!.port),
        );
        if (hits.length === 0) return { ok: false, reason: "sshd-ambiguous", format, parser: "sshd" };
        said = hits[0]!;
        if (hits.every((a) => a.port === said.port)) port = said.port;
      } else if (m.client === "name") port = m.port;
      const event = authEvent(base, m, known, port, said.user, said.method, pid, said.kind);
      event.srcVia = "pid";
      const out: ParseOutcome = { ok: true, event, parser, format };
      if (conn!.fromLine > 0) out.via = { file: base.source.file, line: conn!.fromLine };
      return out;
    }
    if (m.client === "name") {
      const event = authEvent(base, m, m.addr, m.port, m.user, m.method, pid);
      event.srcKind = "name";
      return { ok: true, event, parser, format };
    }
    return {
      ok: false,
      reason: m.client === "ambiguous" ? "sshd-ambiguous" : "sshd-no-address",
      format,
      parser: "sshd",
    };
  }

  /**
   * A line with neither host nor program (`sshd -e` under runit or s6, logged through svlogd:
   * `2018-06-26 13:22:02.108781500 Failed password for ...`): the header parser read the message's
   * first words as host and tag. Only a message that sshd's patterns take, with its client,
   * becomes an event; anything else keeps the header's reading.
   */
  private untagged(text: string, header: Header, base: Base, claim = false): ParseOutcome | undefined {
    if (header.afterStamp === undefined || header.pid !== undefined) return undefined;
    const msg = text.slice(header.afterStamp);
    const r = parseSshd(msg);
    if (r.ok && r.client !== "none")
      return this.settled(r, { ...base, host: "" }, undefined, header.format, undefined);
    // With `claim` (a line with no tag at all, which might be a LOG line): sshd's own words without
    // an address, or text shaped like sshd's, are sshd's still, never a LOG line.
    if (claim && (r.ok || r.reason !== "sshd-unrecognized" || shapedLikeSshd(msg)))
      return {
        ok: false,
        reason: r.ok ? "sshd-no-address" : r.reason,
        format: header.format,
        parser: "sshd",
      };
    return undefined;
  }

  /** BSD syslogd's `last message repeated N times`: the previous line's event, N times. */
  private repeated(input: InputLine, count: number, base: Base, format: HeaderFormat): ParseOutcome | Slot {
    const prev = this.prev;
    if (prev instanceof Slot) {
      if (prev.outcome === undefined) {
        return new Slot(input, undefined, base.ms, undefined, { of: prev, count, base, format });
      }
      return repeatOutcome(prev.outcome, count, base, format);
    }
    return repeatOutcome(prev, count, base, format);
  }
}

function authEvent(
  base: Base,
  m: SshdMatch,
  src: string,
  port: number | undefined,
  user: string | undefined,
  method: string | undefined,
  pid: number | undefined,
  kind = m.kind,
): AuthEvent {
  const e: AuthEvent = {
    type: "auth",
    ts: base.ts,
    ms: base.ms,
    host: base.host,
    source: base.source,
    service: "sshd",
    kind,
    src,
  };
  if (port !== undefined) e.sport = port;
  if (user !== undefined) e.user = user;
  if (method !== undefined) e.method = method;
  if (m.count !== undefined) e.count = m.count;
  if (pid !== undefined) e.pid = pid;
  return e;
}

/**
 * The repeat of an sshd event (BSD syslogd writes `last message repeated N times` with the
 * repeated message's host, right after it in the same file); of anything else, a rejection.
 */
function repeatOutcome(
  prev: ParseOutcome | undefined,
  count: number,
  base: Base,
  format: HeaderFormat,
): ParseOutcome {
  if (prev?.ok && prev.event.type === "auth" && prev.event.host === base.host) {
    const event: AuthEvent = { ...prev.event, ts: base.ts, ms: base.ms, source: base.source, count };
    const out: ParseOutcome = { ok: true, event, parser: "syslog/repeated", format };
    if (prev.via) out.via = prev.via;
    return out;
  }
  return { ok: false, reason: "repeat-of-other", format };
}

/** `last message repeated 5 times` (sysklogd, FreeBSD) or `--- last message repeated 1 time ---` (macOS). */
function lastMessageRepeated(msg: string): number | undefined {
  let m = msg;
  if (m.startsWith("--- ") && m.endsWith(" ---")) m = m.slice(4, -4);
  if (!m.startsWith("last message repeated ")) return undefined;
  const sp = m.indexOf(" ", 22);
  if (sp < 23 || sp > 32) return undefined;
  const rest = m.slice(sp);
  if (rest !== " times" && rest !== " time") return undefined;
  const n = Number(m.slice(22, sp));
  return Number.isInteger(n) && n >= 1 ? n : undefined;
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
    if (c !== 32 && c !== 46 && (c < 48 || c > 57)) return stripCaller(msg);
  }
  return stripCaller(msg.charCodeAt(close + 1) === 32 ? msg.slice(close + 2) : msg.slice(close + 1));
}

/**
 * The printk caller id a kernel built with CONFIG_PRINTK_CALLER writes after the uptime stamp:
 * `[    T1]` (task 1) or `[  C3]` (CPU 3). Not a LOG prefix.
 */
function stripCaller(msg: string): string {
  if (msg.charCodeAt(0) !== 91) return msg;
  let i = 1;
  while (msg.charCodeAt(i) === 32 && i < 8) i++;
  const kind = msg.charCodeAt(i);
  if (kind !== 84 /* T */ && kind !== 67 /* C */) return msg;
  let j = i + 1;
  while (j < i + 11 && msg.charCodeAt(j) >= 48 && msg.charCodeAt(j) <= 57) j++;
  if (j === i + 1 || msg.charCodeAt(j) !== 93) return msg;
  return msg.charCodeAt(j + 1) === 32 ? msg.slice(j + 2) : msg.slice(j + 1);
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

/**
 * The longest text before `IN=` in a LOG line with no program tag: the LOG prefix (at most 127
 * characters in nftables, 29 in iptables) and the white space around it. Further in, `IN=` is
 * part of some other program's message, not a firewall's.
 */
const MAX_UNTAGGED_PREFIX = 160;

/** Where the LOG fields start, or -1 when a line with no tag has them too far in to be a LOG line. */
function untaggedStartOk(program: string, start: number): number {
  return program === "" && start > MAX_UNTAGGED_PREFIX ? -1 : start;
}
