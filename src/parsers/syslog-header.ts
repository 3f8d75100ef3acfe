import { parseDmesgHeader } from "./dmesg-header.js";
import { RecentText } from "./recent-text.js";
import { type Instant, type StampResolver, parseIsoStamp, isoInZone } from "./time-context.js";

/** Host names as the lines before named them (see RecentText). */
const HOSTS = new RecentText();

/**
 * A log line split into its syslog parts. `program` is "" when the line has no tag (ulogd LOGEMU),
 * `host` is "" when it names none (`Nov 23 21:50:37 sshd[8148]: ...`).
 */
export interface Header {
  ms: number;
  iso: string;
  host: string;
  program: string;
  pid?: number;
  message: string;
  /** Which header style matched: reported by `parse --explain` and in the summary. */
  format: HeaderFormat;
  /**
   * Where the text after the stamp starts in the line, for styles where free text follows the
   * stamp: `sshd -e` under runit or s6 writes `2018-06-26 13:22:02.108781500 Failed password ...`,
   * with neither host nor program, and only the message itself can say it is sshd's.
   */
  afterStamp?: number;
  /** The host that relayed the line, when its message carried the origin's own header. */
  relay?: string;
}

export type HeaderFormat =
  | "rfc3164"
  | "rfc3164-precise"
  | "rfc3339"
  | "iso-space"
  | "tai64n"
  | "rfc5424"
  | "journal-json"
  | "dmesg"
  | "unix";

export type HeaderResult = { ok: true; header: Header } | { ok: false; reason: string };

/**
 * Splits one line into time, host, program and message. Accepts RFC 3164 (also with the
 * double space of single-digit days and journalctl's `short-precise` fractions), RFC 3339
 * (rsyslog high precision, journalctl `short-iso` with `+0100` offsets), ISO dates written with a
 * space (`2018-06-26 13:22:02.108781500`, with or without an offset), RFC 5424, journalctl
 * `-o json`, and an optional `<N>` priority prefix before any of them. After the stamp: an
 * optional BSD `-v` `<auth.info>` before the host, no host at all (`sshd[8148]:` or `[sshd]`
 * right after the stamp), a `facility.level` word between host and tag, Solaris message ids
 * (`[ID 800047 auth.info]`) before the message, and relayed lines whose message starts with the
 * origin's own header (the origin's host and tag are taken, the relay's time is kept: it is the
 * one that runs in order through the file). Pure and total.
 */
export function parseHeader(line: string, stamps: StampResolver, zone: string, depth = 0): HeaderResult {
  const s = line;
  let p = 0;
  if (s.charCodeAt(0) === 60 /* < */) {
    const close = s.indexOf(">");
    if (close < 2 || close > 4 || !allDigits(s, 1, close)) return { ok: false, reason: "bad-priority" };
    p = close + 1;
    if (s.charCodeAt(p) === 49 /* 1 */ && s.charCodeAt(p + 1) === 32)
      return parse5424(s, p + 2, stamps, zone, depth);
  }
  if (p === 0 && s.charCodeAt(0) === 123 /* { */) return parseJournalJson(s, zone);
  if (p === 0 && (s.charCodeAt(0) === 91 /* [ */ || s.charCodeAt(19) === 44) /* , */) {
    const d = parseDmesgHeader(s, stamps);
    if (d) return d;
  }
  // daemontools multilog and svlogd -t: a TAI64N label, "@4000000063e8c2aa1c2f8b94 ".
  if (p === 0 && s.charCodeAt(0) === 64 /* @ */) {
    const t = tai64n(s, zone);
    if (!t) return { ok: false, reason: "bad-timestamp" };
    return rest(s, 26, t, "tai64n", stamps, zone, depth);
  }
  const c = s.charCodeAt(p);
  if (c >= 48 && c <= 57) {
    const sp = s.indexOf(" ", p);
    if (sp < 0) return { ok: false, reason: "no-header" };
    // "2018-06-26 13:22:02.108781500": a date, one space, a time (tai64nlocal, s6-log).
    if (sp - p === 10 && s.charCodeAt(p + 4) === 45 && s.charCodeAt(p + 7) === 45 && isHmsAt(s, sp + 1)) {
      let end = s.indexOf(" ", sp + 1);
      if (end < 0) end = s.length;
      const stamp = s.slice(p, end);
      const t = parseIsoStamp(stamp) ?? localIso(stamp, stamps);
      if (!t) return { ok: false, reason: "bad-timestamp" };
      if (end >= s.length) return { ok: false, reason: "no-host" };
      return rest(s, end + 1, t, "iso-space", stamps, zone, depth);
    }
    const stamp = s.slice(p, sp);
    // journalctl -o short-unix: seconds since the epoch, with microseconds.
    // (Tested only when the stamp can be one: not on every RFC 3339 line.)
    const unix =
      stamp.length === 10 || stamp.charCodeAt(10) === 46 ? /^(\d{10})(?:\.(\d{1,9}))?$/.exec(stamp) : null;
    if (unix) {
      const ms = Number(unix[1]) * 1000 + Math.floor(Number(`0.${unix[2] ?? "0"}`) * 1000);
      return rest(s, sp + 1, { ms, iso: isoInZone(ms, zone) }, "unix", stamps, zone, depth);
    }
    let t = parseIsoStamp(stamp);
    // RFC 3339 (5.6) allows a lowercase "t" and "z".
    if (!t && (stamp.charCodeAt(10) === 116 || stamp.charCodeAt(stamp.length - 1) === 122))
      t = parseIsoStamp(stamp.toUpperCase());
    // svlogd -tt ("2018-06-26_13:22:02.10878") and socklog ("2015-05-27T04:31:27.46667 auth.info:")
    // write UTC without saying so; any other stamp without an offset is ambiguous (UTC as those
    // write it, or local time as a template without the zone would).
    if (!t && stamp.length >= 19 && (stamp.charCodeAt(10) === 95 || isSocklogFacility(s, sp + 1))) {
      t = parseIsoStamp(`${stamp.slice(0, 10)}T${stamp.slice(11)}Z`);
      if (t) return rest(s, sp + 1, t, "iso-space", stamps, zone, depth);
    }
    if (!t) return { ok: false, reason: "bad-timestamp" };
    return rest(s, sp + 1, t, "rfc3339", stamps, zone, depth);
  }
  // RFC 3164: "Nov 28 14:35:40 " or "Nov  8 14:35:40 ", optional ".123456".
  const last = stamps.lastText;
  if (last.length !== 0 && s.charCodeAt(p + last.length) === 32 && s.startsWith(last, p)) {
    return rest(s, p + last.length + 1, stamps.lastInstant!, "rfc3164", stamps, zone, depth);
  }
  if (s.length < p + 16 || s.charCodeAt(p + 3) !== 32) return { ok: false, reason: "no-header" };
  const mon = s.slice(p, p + 3);
  let q = p + 4;
  if (s.charCodeAt(q) === 32) q++;
  let day = 0;
  let nd = 0;
  while (nd < 2 && s.charCodeAt(q) >= 48 && s.charCodeAt(q) <= 57) {
    day = day * 10 + s.charCodeAt(q) - 48;
    q++;
    nd++;
  }
  if (nd === 0 || s.charCodeAt(q) !== 32) return { ok: false, reason: "no-header" };
  q++;
  const hms = s.slice(q, q + 8);
  if (!isHms(hms)) return { ok: false, reason: "bad-timestamp" };
  q += 8;
  let frac = "";
  if (s.charCodeAt(q) === 46 /* . */) {
    let j = q + 1;
    while (j < s.length && j < q + 10 && s.charCodeAt(j) >= 48 && s.charCodeAt(j) <= 57) j++;
    frac = s.slice(q + 1, j);
    q = j;
  }
  if (s.charCodeAt(q) !== 32) return { ok: false, reason: "bad-timestamp" };
  const t = stamps.local(mon, day, hms, frac);
  if (!t) return { ok: false, reason: "bad-timestamp" };
  if (!frac) {
    stamps.lastText = s.slice(p, q);
    stamps.lastInstant = t;
  }
  return rest(s, q + 1, t, frac ? "rfc3164-precise" : "rfc3164", stamps, zone, depth);
}

/** `2018-06-26 13:22:02[.fraction]` with no offset: read in the context zone. */
function localIso(stamp: string, stamps: StampResolver): Instant | undefined {
  if (stamp.length > 19) {
    if (stamp.charCodeAt(19) !== 46 || stamp.length === 20 || stamp.length > 32) return undefined;
    if (!allDigits(stamp, 20, stamp.length)) return undefined;
  }
  return stamps.localDate(stamp.slice(0, 10), stamp.slice(11, 19), stamp.slice(20));
}

/** Facilities and levels as syslog daemons print them (`auth.info`, `local7.warning`). */
const FACILITIES = new Set([
  "kern",
  "user",
  "mail",
  "daemon",
  "auth",
  "syslog",
  "lpr",
  "news",
  "uucp",
  "cron",
  "authpriv",
  "ftp",
  "ntp",
  "security",
  "console",
  "local0",
  "local1",
  "local2",
  "local3",
  "local4",
  "local5",
  "local6",
  "local7",
]);
const LEVELS = new Set([
  "emerg",
  "panic",
  "alert",
  "crit",
  "err",
  "error",
  "warn",
  "warning",
  "notice",
  "info",
  "debug",
]);

/**
 * After the stamp: `[<fac.level>] [host] [facility.level] tag[pid]: message`, or `host message`
 * when there is no tag. A tag ends with ":"; `name[pid]` and `[name]` are tags with or without it.
 */
function rest(
  s: string,
  at: number,
  t: Instant,
  format: HeaderFormat,
  stamps: StampResolver,
  zone: string,
  depth: number,
): HeaderResult {
  let pos = at;
  // FreeBSD syslogd -v / -vv: "<4.6>" or "<auth.info>" before the host.
  if (s.charCodeAt(pos) === 60) {
    const e = s.indexOf(" ", pos);
    if (e > pos + 3 && e - pos <= 24 && s.charCodeAt(e - 1) === 62 && s.indexOf(".", pos) < e) pos = e + 1;
  }
  const header: Header = {
    ms: t.ms,
    iso: t.iso,
    host: "",
    program: "",
    message: "",
    format,
    afterStamp: pos,
  };
  let te = s.indexOf(" ", pos);
  // socklog: "auth.info: " where the host would be; what follows has no host of its own.
  if (te > pos + 1 && s.charCodeAt(te - 1) === 58 && isFacilityLevel(s, pos, te - 1)) {
    pos = te + 1;
    header.afterStamp = pos;
    te = s.indexOf(" ", pos);
    if (isTag(s, pos, te < 0 ? s.length : te, false)) return tagged(s, pos, te, header);
    if (depth === 0 && startsLikeHeader(s, pos)) {
      const inner = relayed(s, pos, header, stamps, zone);
      if (inner) return inner;
    }
    header.message = s.slice(pos);
    return { ok: true, header };
  }
  // A tag right after the stamp: the line names no host. "kernel:" is no host name either.
  if (isTag(s, pos, te < 0 ? s.length : te, false) || (te === pos + 7 && s.startsWith("kernel:", pos)))
    return tagged(s, pos, te, header);
  if (te <= pos) return { ok: false, reason: "no-host" };
  // A relay that wrote no host of its own before the origin's header.
  if (depth === 0 && startsLikeHeader(s, pos)) {
    const inner = relayed(s, pos, header, stamps, zone);
    if (inner) return inner;
  }
  header.host = HOSTS.at(s, pos, te);
  pos = te + 1;
  te = s.indexOf(" ", pos);
  // "vps auth.info sshd[13482]: ..." (a template that writes facility.level before the tag).
  if (te > pos && s.charCodeAt(te - 1) !== 58 && isFacilityLevel(s, pos, te)) {
    const te2 = s.indexOf(" ", te + 1);
    if (isTag(s, te + 1, te2 < 0 ? s.length : te2, true)) {
      pos = te + 1;
      te = te2;
    }
  }
  const tagEnd = te < 0 ? s.length : te;
  if (isTag(s, pos, tagEnd, true)) return tagged(s, pos, te, header);
  // The message carries the origin's header: "relay Nov 28 14:35:39 origin sshd[812]: ...".
  if (depth === 0 && startsLikeHeader(s, pos)) {
    const inner = relayed(s, pos, header, stamps, zone);
    if (inner) {
      inner.header.relay = header.host;
      if (inner.header.host === "") inner.header.host = header.host;
      return inner;
    }
  }
  header.message = s.slice(pos);
  return { ok: true, header };
}

/**
 * Whether s[a, e) is a program tag. After a host any word ending in ":" is one (`sshd:`,
 * `kernel:`); right after the stamp only `name[pid]` and `[name]` forms are, so that a message
 * such as `error: ...` is not taken for a tag.
 */
function isTag(s: string, a: number, e: number, afterHost: boolean): boolean {
  if (e - a < 2 || e - a > 65) return false;
  let end = e;
  if (s.charCodeAt(end - 1) === 58 /* : */) {
    if (afterHost) return true;
    end--;
  }
  if (s.charCodeAt(end - 1) !== 93 /* ] */) return false;
  const br = s.indexOf("[", a);
  if (br < 0 || br >= end - 2) return false;
  // "[sshd]": one name in brackets, nothing else.
  if (br === a) {
    const inner = s.indexOf("[", a + 1);
    const close = s.indexOf("]", a + 1);
    return (inner < 0 || inner >= end) && close === end - 1;
  }
  return allDigits(s, br + 1, end - 1);
}

/** Splits the tag at `pos` (ending at the space `te`, or at the line's end) into program and pid. */
function tagged(s: string, pos: number, te: number, header: Header): HeaderResult {
  let end = te < 0 ? s.length : te;
  if (s.charCodeAt(end - 1) === 58) end--;
  const br = s.indexOf("[", pos);
  const bracketed = br >= pos && br < end && s.charCodeAt(end - 1) === 93;
  if (bracketed && br === pos) header.program = s.slice(pos + 1, end - 1);
  else if (bracketed) {
    header.program = s.slice(pos, br);
    // Digits read in place: a pid is at most 10 of them (a longer run is no pid).
    if (end - br - 2 >= 1 && end - br - 2 <= 10 && allDigits(s, br + 1, end - 1)) {
      let pid = 0;
      for (let i = br + 1; i < end - 1; i++) pid = pid * 10 + s.charCodeAt(i) - 48;
      header.pid = pid;
    }
  } else header.program = s.slice(pos, end);
  header.message = te < 0 ? "" : stripSolarisId(s.slice(te + 1));
  return { ok: true, header };
}

/** Solaris and illumos put a message id before the text: `[ID 800047 auth.info] Failed ...`. */
function stripSolarisId(m: string): string {
  if (!m.startsWith("[ID ")) return m;
  const close = m.indexOf("] ");
  if (close < 0 || close > 48) return m;
  const sp = m.indexOf(" ", 4);
  if (sp < 5 || sp > close || !allDigits(m, 4, sp)) return m;
  return m.slice(close + 2);
}

/** socklog's `facility.level: ` right after the stamp. */
function isSocklogFacility(s: string, at: number): boolean {
  const e = s.indexOf(" ", at);
  return e > at + 2 && s.charCodeAt(e - 1) === 58 && isFacilityLevel(s, at, e - 1);
}

/**
 * A TAI64N label (`@` and 24 hex digits: 8-byte TAI seconds since 2^62, 4-byte nanoseconds) as
 * an instant; UTC is TAI minus 10 s, the offset daemontools' tai64nlocal applies.
 */
function tai64n(s: string, zone: string): Instant | undefined {
  if (s.length < 26 || s.charCodeAt(25) !== 32) return undefined;
  for (let i = 1; i < 25; i++) {
    const c = s.charCodeAt(i) | 0x20;
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return undefined;
  }
  const hi = parseInt(s.slice(1, 9), 16) - 0x40000000;
  const lo = parseInt(s.slice(9, 17), 16);
  const ns = parseInt(s.slice(17, 25), 16);
  if (hi < 0 || hi > 60 || ns >= 1e9) return undefined;
  const ms = (hi * 2 ** 32 + lo - 10) * 1000 + Math.floor(ns / 1e6);
  if (ms < 0 || ms >= 253_402_300_800_000) return undefined;
  return { ms, iso: isoInZone(ms, zone) };
}

function isFacilityLevel(s: string, a: number, e: number): boolean {
  if (e - a > 20) return false;
  let dot = a;
  while (dot < e && s.charCodeAt(dot) !== 46) dot++;
  if (dot <= a || dot >= e - 1) return false;
  if (allDigits(s, a, dot) && allDigits(s, dot + 1, e)) return true;
  return FACILITIES.has(s.slice(a, dot)) && LEVELS.has(s.slice(dot + 1, e));
}

/** A priority, a month name or a 4-digit year: the start of another header. */
function startsLikeHeader(s: string, at: number): boolean {
  const c = s.charCodeAt(at);
  if (c === 60) return s.charCodeAt(at + 1) >= 48 && s.charCodeAt(at + 1) <= 57;
  if (c >= 48 && c <= 57) return s.charCodeAt(at + 4) === 45 && allDigits(s, at, at + 4);
  return s.charCodeAt(at + 3) === 32 && MONTH_NAMES.has(s.slice(at, at + 3));
}

const MONTH_NAMES = new Set([
  "Jan",
  "Feb",
  "Mar",
  "Apr",
  "May",
  "Jun",
  "Jul",
  "Aug",
  "Sep",
  "Oct",
  "Nov",
  "Dec",
]);

/** The origin's header inside a relayed line, with the relay's time; undefined when it is none. */
function relayed(
  s: string,
  at: number,
  outer: Header,
  stamps: StampResolver,
  zone: string,
): { ok: true; header: Header } | undefined {
  const inner = parseHeader(s.slice(at), stamps, zone, 1);
  if (!inner.ok || inner.header.program === "") return undefined;
  const h = inner.header;
  h.ms = outer.ms;
  h.iso = outer.iso;
  h.format = outer.format;
  if (h.afterStamp !== undefined) h.afterStamp += at;
  return { ok: true, header: h };
}

/** RFC 5424: `<PRI>1 STAMP HOST APP PROCID MSGID SD MSG`. */
function parse5424(s: string, at: number, stamps: StampResolver, zone: string, depth: number): HeaderResult {
  const fields: string[] = [];
  let pos = at;
  for (let k = 0; k < 5; k++) {
    const sp = s.indexOf(" ", pos);
    if (sp < 0) return { ok: false, reason: "bad-rfc5424" };
    fields.push(s.slice(pos, sp));
    pos = sp + 1;
  }
  const [stamp, host, app, procid] = fields as [string, string, string, string, string];
  const t = parseIsoStamp(stamp);
  if (!t) return { ok: false, reason: "bad-timestamp" };
  // Structured data: "-" or one or more [id k="v" ...] elements; values escape "]" as "\]".
  if (s.charCodeAt(pos) === 45 /* - */) pos += 1;
  else {
    while (s.charCodeAt(pos) === 91) {
      let j = pos + 1;
      let inQuote = false;
      for (; j < s.length; j++) {
        const c = s.charCodeAt(j);
        if (c === 92 /* \ */) j++;
        else if (c === 34) inQuote = !inQuote;
        else if (c === 93 && !inQuote) break;
      }
      if (j >= s.length) return { ok: false, reason: "bad-rfc5424" };
      pos = j + 1;
    }
  }
  if (s.charCodeAt(pos) === 32) pos++;
  let message = s.slice(pos);
  if (message.charCodeAt(0) === 0xfeff) message = message.slice(1);
  const header: Header = {
    ms: t.ms,
    iso: t.iso,
    host: host === "-" ? "" : host,
    program: app === "-" ? "" : app,
    message,
    format: "rfc5424",
  };
  const pid = Number(procid);
  if (procid !== "-" && isPid(pid)) header.pid = pid;
  // No APP-NAME: a relay that passed on a legacy line whole, origin header included.
  if (header.program === "" && depth === 0 && startsLikeHeader(s, pos)) {
    const inner = relayed(s, pos, header, stamps, zone);
    if (inner) {
      if (header.host !== "") inner.header.relay = header.host;
      if (inner.header.host === "") inner.header.host = header.host;
      return inner;
    }
  }
  if (header.program === "") header.afterStamp = pos;
  return { ok: true, header };
}

/** journalctl -o json: one JSON object per line. */
function parseJournalJson(s: string, zone: string): HeaderResult {
  let o: unknown;
  try {
    o = JSON.parse(s);
  } catch {
    return { ok: false, reason: "bad-json" };
  }
  if (typeof o !== "object" || o === null || Array.isArray(o)) return { ok: false, reason: "bad-json" };
  const rec = o as Record<string, unknown>;
  const us = rec["__REALTIME_TIMESTAMP"];
  const usNum =
    typeof us === "string" && /^\d{1,20}$/.test(us) ? Number(us) : typeof us === "number" ? us : NaN;
  // Before 1970 or from year 10000 on (a negative or 20-digit stamp) is no journal time, and
  // has no ISO 8601 text with a 4-digit year.
  if (!Number.isFinite(usNum) || usNum < 0 || usNum >= 253_402_300_800_000_000) {
    return { ok: false, reason: "bad-timestamp" };
  }
  const ms = Math.floor(usNum / 1000);
  const msg = rec["MESSAGE"];
  let message: string;
  if (typeof msg === "string") message = msg;
  else if (Array.isArray(msg) && msg.length <= 65536 && msg.every((b) => typeof b === "number")) {
    message = Buffer.from(msg as number[]).toString("utf8");
  } else return { ok: false, reason: "journal-no-message" };
  const host = rec["_HOSTNAME"];
  const header: Header = {
    ms,
    iso: isoInZone(ms, zone),
    host: typeof host === "string" ? host : "",
    program: journalProgram(rec),
    message,
    format: "journal-json",
  };
  // journald's own _PID before the sender's SYSLOG_PID (the same for a real sshd).
  const pid = Number(rec["_PID"] ?? rec["SYSLOG_PID"]);
  if (isPid(pid)) header.pid = pid;
  return { ok: true, header };
}

/**
 * Who wrote a journal entry. Fields with a leading underscore are journald's own, not the
 * sender's: any local user's `logger -t sshd` writes SYSLOG_IDENTIFIER=sshd (with _COMM=logger),
 * and a program's stdout can say SYSLOG_IDENTIFIER=kernel. So the kernel is `_TRANSPORT=kernel`
 * (only root writes /dev/kmsg) and a process is its `_COMM` when journald recorded them. A
 * process names itself in _COMM (it may write /proc/self/comm), so a process is believed only
 * when it runs as root (`_UID=0`, as sshd's monitor does, which logs for its unprivileged
 * child): another user's entries are no daemon's. Only an entry without these fields (an export
 * that dropped them) is taken at its word, and never as the kernel's from another transport.
 */
function journalProgram(rec: Record<string, unknown>): string {
  const transport = rec["_TRANSPORT"];
  const comm = rec["_COMM"];
  const ident = rec["SYSLOG_IDENTIFIER"];
  const uid = rec["_UID"];
  if (transport === "kernel") return "kernel";
  if (uid !== undefined && uid !== "0" && uid !== 0) return "";
  if (typeof comm === "string") return comm;
  const said = typeof ident === "string" ? ident : "";
  return typeof transport === "string" && said === "kernel" ? "" : said;
}

function allDigits(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

function isHmsAt(s: string, at: number): boolean {
  return (
    s.charCodeAt(at + 2) === 58 &&
    s.charCodeAt(at + 5) === 58 &&
    allDigits(s, at, at + 2) &&
    allDigits(s, at + 3, at + 5) &&
    allDigits(s, at + 6, at + 8)
  );
}

function isHms(t: string): boolean {
  return (
    t.length === 8 &&
    t.charCodeAt(2) === 58 &&
    t.charCodeAt(5) === 58 &&
    allDigits(t, 0, 2) &&
    allDigits(t, 3, 5) &&
    allDigits(t, 6, 8)
  );
}

/** A process id: journal fields are untrusted JSON (`"SYSLOG_PID": -1`, `1e21`). */
function isPid(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}
