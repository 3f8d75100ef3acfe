import { type Instant, type StampResolver, parseIsoStamp, isoInZone } from "./time-context.js";

/** A log line split into its syslog parts. `program` is "" when the line has no tag (ulogd LOGEMU). */
export interface Header {
  ms: number;
  iso: string;
  host: string;
  program: string;
  pid?: number;
  message: string;
  /** Which header style matched: reported by `parse --explain` and in the summary. */
  format: HeaderFormat;
}

export type HeaderFormat = "rfc3164" | "rfc3164-precise" | "rfc3339" | "rfc5424" | "journal-json";

export type HeaderResult = { ok: true; header: Header } | { ok: false; reason: string };

/**
 * Splits one line into time, host, program and message. Accepts RFC 3164 (also with the
 * double space of single-digit days and journalctl's `short-precise` fractions), RFC 3339
 * (rsyslog high precision, journalctl `short-iso` with `+0100` offsets), RFC 5424, journalctl
 * `-o json`, and an optional `<N>` priority prefix before any of them. Pure and total.
 */
export function parseHeader(line: string, stamps: StampResolver, zone: string): HeaderResult {
  let s = line;
  let p = 0;
  if (s.charCodeAt(0) === 60 /* < */) {
    const close = s.indexOf(">");
    if (close < 2 || close > 4 || !allDigits(s, 1, close)) return { ok: false, reason: "bad-priority" };
    p = close + 1;
    if (s.charCodeAt(p) === 49 /* 1 */ && s.charCodeAt(p + 1) === 32) return parse5424(s, p + 2);
  }
  if (p === 0 && s.charCodeAt(0) === 123 /* { */) return parseJournalJson(s, zone);
  const c = s.charCodeAt(p);
  if (c >= 48 && c <= 57) {
    const sp = s.indexOf(" ", p);
    if (sp < 0) return { ok: false, reason: "no-header" };
    const t = parseIsoStamp(s.slice(p, sp));
    if (!t) return { ok: false, reason: "bad-timestamp" };
    return rest(s, sp + 1, t, "rfc3339");
  }
  // RFC 3164: "Nov 28 14:35:40 " or "Nov  8 14:35:40 ", optional ".123456".
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
  s = line;
  return rest(s, q + 1, t, frac ? "rfc3164-precise" : "rfc3164");
}

/** After the stamp: `host tag[pid]: message`, or `host message` when there is no tag. */
function rest(s: string, at: number, t: Instant, format: HeaderFormat): HeaderResult {
  const hs = s.indexOf(" ", at);
  if (hs <= at) return { ok: false, reason: "no-host" };
  const host = s.slice(at, hs);
  const ts = hs + 1;
  const te = s.indexOf(" ", ts);
  const tagEnd = te < 0 ? s.length : te;
  const header: Header = { ms: t.ms, iso: t.iso, host, program: "", message: "", format };
  if (s.charCodeAt(tagEnd - 1) === 58 /* : */ && tagEnd - ts > 1 && tagEnd - ts <= 64) {
    const tag = s.slice(ts, tagEnd - 1);
    const br = tag.indexOf("[");
    if (br > 0 && tag.charCodeAt(tag.length - 1) === 93) {
      header.program = tag.slice(0, br);
      const pid = Number(tag.slice(br + 1, -1));
      if (Number.isInteger(pid)) header.pid = pid;
    } else header.program = tag;
    header.message = te < 0 ? "" : s.slice(te + 1);
  } else {
    header.message = s.slice(ts);
  }
  return { ok: true, header };
}

/** RFC 5424: `<PRI>1 STAMP HOST APP PROCID MSGID SD MSG`. */
function parse5424(s: string, at: number): HeaderResult {
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
  if (procid !== "-" && Number.isInteger(pid)) header.pid = pid;
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
  const ident = rec["SYSLOG_IDENTIFIER"] ?? rec["_COMM"];
  const host = rec["_HOSTNAME"];
  const header: Header = {
    ms,
    iso: isoInZone(ms, zone),
    host: typeof host === "string" ? host : "",
    program: typeof ident === "string" ? ident : "",
    message,
    format: "journal-json",
  };
  const pid = Number(rec["SYSLOG_PID"] ?? rec["_PID"]);
  if (Number.isInteger(pid)) header.pid = pid;
  return { ok: true, header };
}

function allDigits(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
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
