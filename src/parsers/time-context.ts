import { DateTime, IANAZone, FixedOffsetZone, type Zone } from "luxon";

/**
 * What a parser needs to turn a log stamp into an instant: syslog's RFC 3164 stamps carry
 * neither year nor zone. `year` forces a year; otherwise a stamp takes the latest year that does
 * not put it in the future of `referenceMs` (the file's modification time), so a file running
 * from December into January reads right. `zone` is an IANA name or a fixed offset like "+02:00".
 */
export interface TimeContext {
  year?: number;
  zone: string;
  /** Epoch ms no stamp may lie after (the file's mtime); defaults to the current time. */
  referenceMs: number;
}

export interface Instant {
  ms: number;
  /** ISO 8601 with offset, millisecond precision. */
  iso: string;
}

/**
 * A local time the zone's clocks show twice, when they are set back (autumn's DST end): the
 * first time, with the offset before the change, and the second, with the one after.
 */
interface Fold {
  early: Instant;
  late: Instant;
}

/**
 * How far behind the newest instant of the file a stamp of a fold may resolve and still be its
 * first time. A log runs forward, its lines at most seconds out of order: a wall time of the
 * fold whose first time lies further back than this, with the log past it, is its second time.
 * A log quiet across the change (nothing logged in the fold's first pass) reads its first line
 * after as the first time, the earliest the log allows.
 */
const FOLD_SLACK_MS = 10 * 60_000;

export const MONTHS: Record<string, number> = {
  Jan: 1,
  Feb: 2,
  Mar: 3,
  Apr: 4,
  May: 5,
  Jun: 6,
  Jul: 7,
  Aug: 8,
  Sep: 9,
  Oct: 10,
  Nov: 11,
  Dec: 12,
};

/** Validates a zone name; returns an error message or undefined. */
export function checkZone(zone: string): string | undefined {
  return zoneOf(zone).isValid
    ? undefined
    : `unknown time zone "${zone}" (use an IANA name like Europe/Paris, or UTC, or +02:00)`;
}

export function machineZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

function zoneOf(zone: string): Zone {
  if (/^[+-]\d\d:?\d\d$/.test(zone)) {
    const sign = zone[0] === "-" ? -1 : 1;
    const digits = zone.replace(":", "");
    return FixedOffsetZone.instance(sign * (Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5))));
  }
  if (zone === "UTC" || zone === "Z") return FixedOffsetZone.utcInstance;
  return IANAZone.create(zone);
}

/**
 * Resolves year-less local stamps. Per-second results are cached: a busy log repeats the same
 * second thousands of times, and luxon's zone arithmetic is the slow part.
 */
export class StampResolver {
  private readonly zone: Zone;
  private readonly cache = new Map<string, Instant | Fold | null>();
  /** The newest instant resolved from a local stamp: where in a fold the log is. */
  private newestMs = -Infinity;
  /**
   * The text of the last whole-second RFC 3164 stamp resolved and its instant: consecutive lines
   * mostly share their second, and comparing the text in place costs less than cutting it up.
   */
  lastText = "";
  lastInstant: Instant | undefined;

  /** The zone's offset in minutes when it has only one (UTC, "+05:30"): no luxon needed. */
  private readonly fixedOffset: number | undefined;

  constructor(private readonly ctx: TimeContext) {
    this.zone = zoneOf(ctx.zone);
    this.fixedOffset = this.zone instanceof FixedOffsetZone ? this.zone.offset(0) : undefined;
  }

  /**
   * `mon` "Nov", `day` 1..31, `hms` "14:35:40", `frac` fractional digits after the second ("" when none).
   * Returns undefined for an impossible date (Feb 30).
   */
  local(mon: string, day: number, hms: string, frac: string): Instant | undefined {
    const key = mon + day + hms;
    let base = this.cache.get(key);
    if (base === undefined) {
      base = this.compute(mon, day, hms);
      if (this.cache.size > 4096) this.cache.clear();
      this.cache.set(key, base);
    }
    if (base === null) return undefined;
    return withFraction(this.unfold(base), frac);
  }

  /**
   * The instant of a local stamp, as the log's order says for a stamp of a fold: its first time
   * unless the log is already more than FOLD_SLACK_MS past it, its second time then.
   */
  private unfold(base: Instant | Fold): Instant {
    const t =
      "early" in base ? (base.early.ms >= this.newestMs - FOLD_SLACK_MS ? base.early : base.late) : base;
    if (t.ms > this.newestMs) this.newestMs = t.ms;
    return t;
  }

  /**
   * A stamp with a full date but no offset (`2018-06-26 13:22:02.108781500`, as tai64nlocal and
   * svlogd write them): read in the context zone. `date` is "YYYY-MM-DD". Undefined when impossible.
   */
  localDate(date: string, hms: string, frac: string): Instant | undefined {
    const key = date + hms;
    let base = this.cache.get(key);
    if (base === undefined) {
      base = this.computeDate(date, hms);
      if (this.cache.size > 4096) this.cache.clear();
      this.cache.set(key, base);
    }
    if (base === null) return undefined;
    return withFraction(this.unfold(base), frac);
  }

  /** `compute` for a zone with one offset: plain date arithmetic, the same year rule. */
  private computeFixed(
    offset: number,
    month: number,
    day: number,
    hour: number,
    minute: number,
    second: number,
  ): Instant | null {
    if (hour > 23 || minute > 59 || second > 59 || day < 1 || day > 31) return null;
    const valid = (year: number) => new Date(Date.UTC(year, month - 1, day)).getUTCDate() === day;
    const msOf = (year: number) => Date.UTC(year, month - 1, day, hour, minute, second) - offset * 60_000;
    let year: number;
    if (this.ctx.year !== undefined) year = this.ctx.year;
    else {
      const refYear = new Date(this.ctx.referenceMs + offset * 60_000).getUTCFullYear();
      year = refYear;
      // A day of slack: a file's mtime can trail its last line by a clock step or a late flush.
      if (!valid(year) || msOf(year) > this.ctx.referenceMs + 86_400_000) year = refYear - 1;
    }
    if (year < 0 || year > 9999 || !valid(year)) return null;
    return { ms: msOf(year), iso: isoFixed(year, month, day, hour, minute, second, offset) };
  }

  private computeDate(date: string, hms: string): Instant | Fold | null {
    const year = digits(date, 0, 4);
    const month = digits(date, 5, 2);
    const day = digits(date, 8, 2);
    if (year < 1970 || month < 1 || month > 12 || day < 1 || day > 31) return null;
    const dt = DateTime.fromObject(
      {
        year,
        month,
        day,
        hour: Number(hms.slice(0, 2)),
        minute: Number(hms.slice(3, 5)),
        second: Number(hms.slice(6, 8)),
      },
      { zone: this.zone },
    );
    if (!dt.isValid || dt.month !== month || dt.day !== day) return null;
    return this.foldOf(dt);
  }

  /**
   * `dt`'s instant, or both when its wall time comes twice: a zone whose offset differs a few
   * hours before and after, with each offset giving an instant that really shows that offset.
   */
  private foldOf(dt: DateTime): Instant | Fold {
    const ms = dt.toMillis();
    const before = this.zone.offset(ms - 6 * 3_600_000);
    const after = this.zone.offset(ms + 6 * 3_600_000);
    if (before <= after) return { ms, iso: isoOf(dt) }; // no change, or clocks set forward (a gap)
    const wall = ms + dt.offset * 60_000;
    const early = wall - before * 60_000;
    const late = wall - after * 60_000;
    if (this.zone.offset(early) !== before || this.zone.offset(late) !== after) return { ms, iso: isoOf(dt) };
    const at = (t: number) => ({ ms: t, iso: isoOf(DateTime.fromMillis(t, { zone: this.zone })) });
    return { early: at(early), late: at(late) };
  }

  private compute(mon: string, day: number, hms: string): Instant | Fold | null {
    const month = MONTHS[mon];
    if (month === undefined) return null;
    const hour = Number(hms.slice(0, 2));
    const minute = Number(hms.slice(3, 5));
    const second = Number(hms.slice(6, 8));
    if (this.fixedOffset !== undefined)
      return this.computeFixed(this.fixedOffset, month, day, hour, minute, second);
    const at = (year: number) =>
      DateTime.fromObject({ year, month, day, hour, minute, second }, { zone: this.zone });
    let dt: DateTime;
    if (this.ctx.year !== undefined) dt = at(this.ctx.year);
    else {
      const refYear = DateTime.fromMillis(this.ctx.referenceMs, { zone: this.zone }).year;
      dt = at(refYear);
      // A day of slack: a file's mtime can trail its last line by a clock step or a late flush.
      if (dt.isValid && dt.toMillis() > this.ctx.referenceMs + 86_400_000) dt = at(refYear - 1);
      else if (!dt.isValid) dt = at(refYear - 1); // Feb 29 of a previous leap year
    }
    if (!dt.isValid || dt.month !== month || dt.day !== day) return null;
    return this.foldOf(dt);
  }
}

/** Adds fractional-second digits ("123456" → 123 ms) to a whole-second instant. */
function withFraction(base: Instant, frac: string): Instant {
  if (frac.length === 0) return base;
  const ms3 = (frac + "00").slice(0, 3);
  return { ms: base.ms + Number(ms3), iso: base.iso.slice(0, 19) + "." + ms3 + base.iso.slice(23) };
}

/** ISO 8601 text of local fields with a fixed offset in minutes, as isoOf writes it. */
function isoFixed(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  offset: number,
): string {
  const p2 = (n: number) => (n < 10 ? "0" : "") + n;
  const a = Math.abs(offset);
  const off = `${offset < 0 ? "-" : "+"}${p2(Math.floor(a / 60))}:${p2(a % 60)}`;
  return `${String(year).padStart(4, "0")}-${p2(month)}-${p2(day)}T${p2(hour)}:${p2(minute)}:${p2(second)}.000${off}`;
}

function isoOf(dt: DateTime): string {
  const iso = dt.toISO({ suppressMilliseconds: false, includeOffset: true }) ?? "";
  // luxon writes "Z" for the fixed UTC zone (`--tz UTC`); events always carry "+00:00", as
  // parseIsoStamp does and as event.schema.json's ts pattern requires.
  return iso.endsWith("Z") ? iso.slice(0, -1) + "+00:00" : iso;
}

/**
 * Parses an RFC 3339 / ISO 8601 stamp with an explicit offset (`Z`, `+01:00` or `+0100`), with any
 * number of fractional digits. Keeps the writer's offset in the ISO output.
 */
export function parseIsoStamp(s: string): Instant | undefined {
  // 2026-11-28T14:35:40[.ffffff](Z|+hh:mm|+hhmm)
  if (s.length < 20 || s.length > 40) return undefined;
  if (s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 || (s[10] !== "T" && s[10] !== " ")) return undefined;
  if (s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58) return undefined;
  const year = digits(s, 0, 4);
  const month = digits(s, 5, 2);
  const day = digits(s, 8, 2);
  const hour = digits(s, 11, 2);
  const minute = digits(s, 14, 2);
  const second = digits(s, 17, 2);
  if (
    year < 0 ||
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > 31 ||
    hour < 0 ||
    hour > 23 ||
    minute < 0 ||
    minute > 59 ||
    second < 0 ||
    second > 60
  ) {
    return undefined;
  }
  let i = 19;
  let frac = "";
  if (s[i] === ".") {
    let j = i + 1;
    while (j < s.length && s.charCodeAt(j) >= 48 && s.charCodeAt(j) <= 57) j++;
    frac = s.slice(i + 1, j);
    if (frac.length === 0) return undefined;
    i = j;
  }
  let offsetMin: number;
  let offsetText: string;
  const z = s.slice(i);
  if (z === "Z" || z === "z") {
    offsetMin = 0;
    offsetText = "+00:00";
  } else if (/^[+-]\d\d:?\d\d$/.test(z)) {
    const hh = Number(z.slice(1, 3));
    const mm = Number(z.slice(z.length - 2));
    if (hh > 23 || mm > 59) return undefined;
    offsetMin = (z[0] === "-" ? -1 : 1) * (hh * 60 + mm);
    offsetText = `${z[0]}${z.slice(1, 3)}:${z.slice(z.length - 2)}`;
  } else return undefined;
  const ms3 = (frac + "000").slice(0, 3);
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, Number(ms3)) - offsetMin * 60_000;
  const check = new Date(Date.UTC(year, month - 1, day));
  if (check.getUTCDate() !== day) return undefined;
  return { ms: utc, iso: `${s.slice(0, 10)}T${s.slice(11, 19)}.${ms3}${offsetText}` };
}

/** Formats epoch ms in a zone as ISO 8601 with offset (used for journal JSON stamps). */
export function isoInZone(ms: number, zone: string): string {
  return isoOf(DateTime.fromMillis(ms, { zone: zoneOf(zone) }));
}

function digits(s: string, at: number, n: number): number {
  let v = 0;
  for (let i = at; i < at + n; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}
