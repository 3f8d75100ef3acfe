import type { Header, HeaderResult } from "./syslog-header.js";
import { MONTHS, parseIsoStamp, type StampResolver } from "./time-context.js";

const DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/**
 * The kernel's ring buffer as `dmesg` prints it with wall-clock stamps: `dmesg -T` (`[Sat Nov 28
 * 14:35:40 2026] [UFW BLOCK] IN=...`, local time) and `dmesg --time-format iso`
 * (`2026-11-28T14:35:40,123456+01:00 [UFW BLOCK] IN=...`). Every line is the kernel's, and
 * names no host. Undefined when the line is neither (the caller tries the syslog styles); plain
 * `dmesg` stamps (`[ 5214.735771]`, seconds since boot) say no time and are not read. dmesg -T
 * computes its stamps from the boot time, so they drift from the syslog's after a suspend.
 */
export function parseDmesgHeader(s: string, stamps: StampResolver): HeaderResult | undefined {
  if (s.charCodeAt(0) === 91 /* [ */) {
    // [Sat Nov 28 14:35:40 2026] or [Sat Nov  8 14:35:40 2026]
    if (s.length < 27 || s.charCodeAt(25) !== 93 || s.charCodeAt(4) !== 32 || s.charCodeAt(8) !== 32)
      return undefined;
    if (!DAYS.includes(s.slice(1, 4))) return undefined;
    const month = MONTHS[s.slice(5, 8)] ?? 0;
    const day = Number(s.slice(9, 11).trim());
    const hms = s.slice(12, 20);
    const year = s.slice(21, 25);
    if (month === 0 || !(day >= 1 && day <= 31) || !/^\d\d:\d\d:\d\d$/.test(hms) || !/^\d{4}$/.test(year))
      return { ok: false, reason: "bad-timestamp" };
    const date = `${year}-${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")}`;
    const t = stamps.localDate(date, hms, "");
    if (!t) return { ok: false, reason: "bad-timestamp" };
    return { ok: true, header: kernelHeader(t.ms, t.iso, s.slice(s.charCodeAt(26) === 32 ? 27 : 26)) };
  }
  // 2026-11-28T14:35:40,123456+01:00: util-linux's ISO stamp, exactly (a comma, microseconds,
  // an offset with a colon). A syslog host and tag after it (`host sshd[1]: ...`) make it some
  // daemon's line in a template of that shape, not the kernel's: its text is not the kernel's.
  if (s.length > 33 && ISO_STAMP.test(s.slice(0, 33))) {
    const message = s.slice(33);
    if (SYSLOG_HOST_TAG.test(message)) return undefined;
    const t = parseIsoStamp(`${s.slice(0, 19)}.${s.slice(20, 32)}`);
    if (!t) return { ok: false, reason: "bad-timestamp" };
    return { ok: true, header: kernelHeader(t.ms, t.iso, message) };
  }
  return undefined;
}

const ISO_STAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d,\d{6}[+-]\d\d:\d\d $/;
/** `host tag[pid]: ` or `host tag: ` where the tag is one of sshd's: a daemon's line, not the kernel's. */
const SYSLOG_HOST_TAG = /^[^\s[\]]+ (?:[^\s[\]:]+\[\d+\]|sshd|sshd-session|sshd-auth):? /;

function kernelHeader(ms: number, iso: string, message: string): Header {
  return { ms, iso, host: "", program: "kernel", message, format: "dmesg" };
}
