import { describe, expect, it } from "vitest";
import {
  checkZone,
  isoInZone,
  parseIsoStamp,
  StampResolver,
  type TimeContext,
} from "../../src/parsers/time-context.js";

// Fixed reference instants: no test reads the clock.
const REF_2026_NOV = Date.UTC(2026, 10, 28, 12);
const REF_2027_JAN = Date.UTC(2027, 0, 2);
const REF_2029_MAR = Date.UTC(2029, 2, 5);

function local(ctx: TimeContext, mon: string, day: number, hms: string, frac = ""): string | undefined {
  return new StampResolver(ctx).local(mon, day, hms, frac)?.iso;
}

describe("StampResolver/year", () => {
  it.each([
    {
      name: "December line in a file with January mtime is from the previous year",
      ctx: { zone: "UTC", referenceMs: REF_2027_JAN },
      stamp: ["Dec", 31, "23:59:59"] as const,
      iso: "2026-12-31T23:59:59.000+00:00",
    },
    {
      name: "January line in the same file is from the mtime's year",
      ctx: { zone: "UTC", referenceMs: REF_2027_JAN },
      stamp: ["Jan", 1, "00:00:01"] as const,
      iso: "2027-01-01T00:00:01.000+00:00",
    },
    {
      name: "--year wins over the mtime",
      ctx: { zone: "UTC", year: 2025, referenceMs: REF_2027_JAN },
      stamp: ["Dec", 31, "23:59:59"] as const,
      iso: "2025-12-31T23:59:59.000+00:00",
    },
    {
      name: "--year wins even when it puts the line in the future",
      ctx: { zone: "UTC", year: 2030, referenceMs: REF_2027_JAN },
      stamp: ["Jun", 1, "12:00:00"] as const,
      iso: "2030-06-01T12:00:00.000+00:00",
    },
    {
      name: "a line up to a day after the mtime keeps the mtime's year",
      ctx: { zone: "UTC", referenceMs: REF_2026_NOV },
      stamp: ["Nov", 29, "11:00:00"] as const,
      iso: "2026-11-29T11:00:00.000+00:00",
    },
    {
      name: "a line more than a day after the mtime is from the year before",
      ctx: { zone: "UTC", referenceMs: REF_2026_NOV },
      stamp: ["Nov", 30, "12:00:00"] as const,
      iso: "2025-11-30T12:00:00.000+00:00",
    },
    {
      name: "Feb 29 with a leap --year",
      ctx: { zone: "UTC", year: 2028, referenceMs: REF_2026_NOV },
      stamp: ["Feb", 29, "12:00:00"] as const,
      iso: "2028-02-29T12:00:00.000+00:00",
    },
    {
      name: "Feb 29 without --year in the year after a leap year",
      ctx: { zone: "UTC", referenceMs: REF_2029_MAR },
      stamp: ["Feb", 29, "12:00:00"] as const,
      iso: "2028-02-29T12:00:00.000+00:00",
    },
    {
      name: "Feb 28 without --year stays in the mtime's year",
      ctx: { zone: "UTC", referenceMs: REF_2029_MAR },
      stamp: ["Feb", 28, "12:00:00"] as const,
      iso: "2029-02-28T12:00:00.000+00:00",
    },
  ])("StampResolver/year $name", ({ ctx, stamp, iso }) => {
    const [mon, day, hms] = stamp;
    expect(local(ctx, mon, day, hms)).toBe(iso);
  });

  it.each([
    {
      name: "Feb 29 with a non-leap --year",
      ctx: { zone: "UTC", year: 2026, referenceMs: REF_2026_NOV },
      mon: "Feb",
      day: 29,
    },
    {
      name: "Feb 29 with no leap year in reach",
      ctx: { zone: "UTC", referenceMs: REF_2026_NOV },
      mon: "Feb",
      day: 29,
    },
    { name: "Feb 30", ctx: { zone: "UTC", year: 2028, referenceMs: REF_2026_NOV }, mon: "Feb", day: 30 },
    { name: "Apr 31", ctx: { zone: "UTC", year: 2026, referenceMs: REF_2026_NOV }, mon: "Apr", day: 31 },
    { name: "day 0", ctx: { zone: "UTC", year: 2026, referenceMs: REF_2026_NOV }, mon: "Nov", day: 0 },
    {
      name: "unknown month",
      ctx: { zone: "UTC", year: 2026, referenceMs: REF_2026_NOV },
      mon: "Foo",
      day: 1,
    },
    {
      name: "lower-case month",
      ctx: { zone: "UTC", year: 2026, referenceMs: REF_2026_NOV },
      mon: "nov",
      day: 1,
    },
  ])("StampResolver/year impossible date: $name", ({ ctx, mon, day }) => {
    expect(new StampResolver(ctx).local(mon, day, "12:00:00", "")).toBeUndefined();
  });

  it.each(["24:00:00", "12:60:00", "12:00:61"])("StampResolver/year impossible time %s", (hms) => {
    expect(
      new StampResolver({ zone: "UTC", year: 2026, referenceMs: REF_2026_NOV }).local("Nov", 28, hms, ""),
    ).toBeUndefined();
  });
});

describe("StampResolver/zone", () => {
  it.each([
    {
      name: "UTC writes +00:00, not Z",
      zone: "UTC",
      mon: "Nov",
      day: 28,
      hms: "14:35:40",
      iso: "2026-11-28T14:35:40.000+00:00",
    },
    {
      name: "Europe/Paris winter",
      zone: "Europe/Paris",
      mon: "Jan",
      day: 15,
      hms: "10:00:00",
      iso: "2026-01-15T10:00:00.000+01:00",
    },
    {
      name: "Europe/Paris summer",
      zone: "Europe/Paris",
      mon: "Jul",
      day: 3,
      hms: "10:00:00",
      iso: "2026-07-03T10:00:00.000+02:00",
    },
    {
      name: "Europe/Paris last second before DST",
      zone: "Europe/Paris",
      mon: "Mar",
      day: 29,
      hms: "01:59:59",
      iso: "2026-03-29T01:59:59.000+01:00",
    },
    {
      name: "Europe/Paris first hour of DST",
      zone: "Europe/Paris",
      mon: "Mar",
      day: 29,
      hms: "03:00:00",
      iso: "2026-03-29T03:00:00.000+02:00",
    },
    {
      name: "Europe/London winter is +00:00",
      zone: "Europe/London",
      mon: "Dec",
      day: 1,
      hms: "08:00:00",
      iso: "2026-12-01T08:00:00.000+00:00",
    },
    {
      name: "America/New_York winter",
      zone: "America/New_York",
      mon: "Nov",
      day: 28,
      hms: "09:35:40",
      iso: "2026-11-28T09:35:40.000-05:00",
    },
    {
      name: "fixed +05:30",
      zone: "+05:30",
      mon: "Nov",
      day: 28,
      hms: "20:05:40",
      iso: "2026-11-28T20:05:40.000+05:30",
    },
    {
      name: "fixed +0530 without colon",
      zone: "+0530",
      mon: "Nov",
      day: 28,
      hms: "20:05:40",
      iso: "2026-11-28T20:05:40.000+05:30",
    },
    {
      name: "fixed -03:00",
      zone: "-03:00",
      mon: "Nov",
      day: 28,
      hms: "11:35:40",
      iso: "2026-11-28T11:35:40.000-03:00",
    },
    {
      name: "fixed +00:00",
      zone: "+00:00",
      mon: "Nov",
      day: 28,
      hms: "14:35:40",
      iso: "2026-11-28T14:35:40.000+00:00",
    },
  ])("StampResolver/zone $name", ({ zone, mon, day, hms, iso }) => {
    const got = new StampResolver({ zone, year: 2026, referenceMs: REF_2026_NOV }).local(mon, day, hms, "");
    expect(got?.iso).toBe(iso);
    expect(got?.ms).toBe(Date.parse(iso));
  });

  it("StampResolver/zone the same wall time is a different instant in another zone", () => {
    const utc = new StampResolver({ zone: "UTC", year: 2026, referenceMs: REF_2026_NOV }).local(
      "Nov",
      28,
      "14:35:40",
      "",
    );
    const ist = new StampResolver({ zone: "+05:30", year: 2026, referenceMs: REF_2026_NOV }).local(
      "Nov",
      28,
      "14:35:40",
      "",
    );
    expect((utc?.ms ?? 0) - (ist?.ms ?? 0)).toBe(5.5 * 3_600_000);
  });
});

describe("StampResolver/fraction", () => {
  it.each([
    { frac: "123456", iso: "2026-11-28T14:35:40.123+01:00", extra: 123 },
    { frac: "5", iso: "2026-11-28T14:35:40.500+01:00", extra: 500 },
    { frac: "05", iso: "2026-11-28T14:35:40.050+01:00", extra: 50 },
    { frac: "999999999", iso: "2026-11-28T14:35:40.999+01:00", extra: 999 },
    { frac: "", iso: "2026-11-28T14:35:40.000+01:00", extra: 0 },
  ])("StampResolver/fraction .$frac", ({ frac, iso, extra }) => {
    const r = new StampResolver({ zone: "Europe/Paris", year: 2026, referenceMs: REF_2026_NOV });
    const whole = r.local("Nov", 28, "14:35:40", "");
    const got = r.local("Nov", 28, "14:35:40", frac);
    expect(got?.iso).toBe(iso);
    expect((got?.ms ?? 0) - (whole?.ms ?? 0)).toBe(extra);
  });

  it("StampResolver/fraction the per-second cache does not leak one line's fraction into the next", () => {
    const r = new StampResolver({ zone: "UTC", year: 2026, referenceMs: REF_2026_NOV });
    expect(r.local("Nov", 28, "14:35:40", "7")?.iso).toBe("2026-11-28T14:35:40.700+00:00");
    expect(r.local("Nov", 28, "14:35:40", "")?.iso).toBe("2026-11-28T14:35:40.000+00:00");
  });
});

describe("parseIsoStamp", () => {
  it.each([
    {
      input: "2026-11-28T14:35:40Z",
      iso: "2026-11-28T14:35:40.000+00:00",
      ms: Date.UTC(2026, 10, 28, 14, 35, 40),
    },
    {
      input: "2026-11-28T14:35:40z",
      iso: "2026-11-28T14:35:40.000+00:00",
      ms: Date.UTC(2026, 10, 28, 14, 35, 40),
    },
    {
      input: "2026-11-28T14:35:40+00:00",
      iso: "2026-11-28T14:35:40.000+00:00",
      ms: Date.UTC(2026, 10, 28, 14, 35, 40),
    },
    {
      input: "2026-11-28T14:35:40.123456+01:00",
      iso: "2026-11-28T14:35:40.123+01:00",
      ms: Date.UTC(2026, 10, 28, 13, 35, 40, 123),
    },
    {
      input: "2026-11-28T14:35:40+0100",
      iso: "2026-11-28T14:35:40.000+01:00",
      ms: Date.UTC(2026, 10, 28, 13, 35, 40),
    },
    {
      input: "2026-11-28T09:35:40.5-05:00",
      iso: "2026-11-28T09:35:40.500-05:00",
      ms: Date.UTC(2026, 10, 28, 14, 35, 40, 500),
    },
    {
      input: "2026-11-28T20:05:40.123456789+05:30",
      iso: "2026-11-28T20:05:40.123+05:30",
      ms: Date.UTC(2026, 10, 28, 14, 35, 40, 123),
    },
    {
      input: "2026-11-28 14:35:40+00:00",
      iso: "2026-11-28T14:35:40.000+00:00",
      ms: Date.UTC(2026, 10, 28, 14, 35, 40),
    },
    { input: "2028-02-29T00:00:00Z", iso: "2028-02-29T00:00:00.000+00:00", ms: Date.UTC(2028, 1, 29) },
    {
      input: "2026-12-31T23:59:59.999+14:00",
      iso: "2026-12-31T23:59:59.999+14:00",
      ms: Date.UTC(2026, 11, 31, 9, 59, 59, 999),
    },
    {
      input: "2027-01-01T00:30:00-12:00",
      iso: "2027-01-01T00:30:00.000-12:00",
      ms: Date.UTC(2027, 0, 1, 12, 30),
    },
  ])("parseIsoStamp/$input", ({ input, iso, ms }) => {
    expect(parseIsoStamp(input)).toEqual({ iso, ms });
  });

  it.each([
    { name: "Feb 29 of a common year", input: "2026-02-29T00:00:00Z" },
    { name: "Nov 31", input: "2026-11-31T00:00:00Z" },
    { name: "month 0", input: "2026-00-10T00:00:00Z" },
    { name: "month 13", input: "2026-13-10T00:00:00Z" },
    { name: "day 0", input: "2026-11-00T00:00:00Z" },
    { name: "hour 24", input: "2026-11-28T24:00:00Z" },
    { name: "minute 60", input: "2026-11-28T14:60:00Z" },
    { name: "no offset", input: "2026-11-28T14:35:40" },
    { name: "no offset, with fraction", input: "2026-11-28T14:35:40.123456" },
    { name: "dot without digits", input: "2026-11-28T14:35:40.Z" },
    { name: "one-digit offset hour", input: "2026-11-28T14:35:40+1:00" },
    { name: "offset hour 24", input: "2026-11-28T14:35:40+24:00" },
    { name: "offset minute 60", input: "2026-11-28T14:35:40+01:60" },
    { name: "trailing junk", input: "2026-11-28T14:35:40+01:00x" },
    { name: "two-digit year", input: "26-11-28T14:35:40Z" },
    { name: "one-digit month", input: "2026-1-28T14:35:40Z" },
    { name: "slashes", input: "2026/11/28T14:35:40Z" },
    { name: "other separator", input: "2026-11-28_14:35:40Z" },
    { name: "letters for digits", input: "2026-11-2xT14:35:40Z" },
    { name: "empty", input: "" },
    { name: "too long", input: "2026-11-28T14:35:40." + "1".repeat(30) + "Z" },
    { name: "full-width digits", input: "２０２６-11-28T14:35:40Z" },
  ])("parseIsoStamp/invalid $name", ({ input }) => {
    expect(parseIsoStamp(input)).toBeUndefined();
  });
});

describe("isoInZone", () => {
  it.each([
    { zone: "UTC", iso: "2026-11-28T14:35:40.123+00:00" },
    { zone: "Europe/Paris", iso: "2026-11-28T15:35:40.123+01:00" },
    { zone: "+05:30", iso: "2026-11-28T20:05:40.123+05:30" },
  ])("isoInZone/$zone", ({ zone, iso }) => {
    expect(isoInZone(Date.UTC(2026, 10, 28, 14, 35, 40, 123), zone)).toBe(iso);
  });
});

describe("checkZone", () => {
  it.each(["UTC", "Europe/Paris", "America/New_York", "+05:30", "-0300"])("checkZone/valid %s", (zone) => {
    expect(checkZone(zone)).toBeUndefined();
  });

  it.each(["Mars/Olympus_Mons", "Europe/Pariss", "+5:30"])("checkZone/invalid %s names the fix", (zone) => {
    const msg = checkZone(zone);
    expect(msg).toContain(`"${zone}"`);
    expect(msg).toContain("IANA");
  });
});

describe("StampResolver/clocks set back (a DST fold)", () => {
  /** Resolves a file's stamps in order through one resolver, as a parser does. */
  const run = (zone: string, stamps: [string, number, string][]) => {
    const r = new StampResolver({ zone, year: 2026, referenceMs: REF_2026_NOV });
    return stamps.map(([mon, day, hms]) => r.local(mon, day, hms, "")?.iso);
  };
  it.each<[string, string, [string, number, string][], string[]]>([
    [
      "Europe/Berlin, 25 Oct: the first 02:xx is summer time, the second winter time",
      "Europe/Berlin",
      [
        ["Oct", 25, "01:59:59"],
        ["Oct", 25, "02:30:00"],
        ["Oct", 25, "02:59:59"],
        ["Oct", 25, "02:00:00"],
        ["Oct", 25, "02:30:00"],
        ["Oct", 25, "03:00:00"],
      ],
      [
        "2026-10-25T01:59:59.000+02:00",
        "2026-10-25T02:30:00.000+02:00",
        "2026-10-25T02:59:59.000+02:00",
        "2026-10-25T02:00:00.000+01:00",
        "2026-10-25T02:30:00.000+01:00",
        "2026-10-25T03:00:00.000+01:00",
      ],
    ],
    [
      "a line a few seconds out of order inside the first pass stays in the first pass",
      "Europe/Berlin",
      [
        ["Oct", 25, "02:59:58"],
        ["Oct", 25, "02:59:50"],
      ],
      ["2026-10-25T02:59:58.000+02:00", "2026-10-25T02:59:50.000+02:00"],
    ],
    [
      "America/New_York, 1 Nov: 01:30 EDT, then 01:30 EST",
      "America/New_York",
      [
        ["Nov", 1, "01:30:00"],
        ["Nov", 1, "01:59:59"],
        ["Nov", 1, "01:00:00"],
        ["Nov", 1, "01:30:00"],
      ],
      [
        "2026-11-01T01:30:00.000-04:00",
        "2026-11-01T01:59:59.000-04:00",
        "2026-11-01T01:00:00.000-05:00",
        "2026-11-01T01:30:00.000-05:00",
      ],
    ],
    [
      "clocks set forward (a gap) are not a fold: the hour after reads as usual",
      "Europe/Berlin",
      [
        ["Mar", 29, "01:59:59"],
        ["Mar", 29, "03:00:00"],
      ],
      ["2026-03-29T01:59:59.000+01:00", "2026-03-29T03:00:00.000+02:00"],
    ],
    [
      "a fixed offset has no fold",
      "+02:00",
      [
        ["Oct", 25, "02:59:59"],
        ["Oct", 25, "02:00:00"],
      ],
      ["2026-10-25T02:59:59.000+02:00", "2026-10-25T02:00:00.000+02:00"],
    ],
  ])("fold/%s", (_name, zone, stamps, isos) => {
    expect(run(zone, stamps)).toEqual(isos);
  });

  it("fold/a full local date without offset (svlogd, tai64nlocal) reads the fold the same way", () => {
    const r = new StampResolver({ zone: "Europe/Berlin", referenceMs: REF_2026_NOV });
    const isos = ["02:59:59", "02:00:01"].map((t) => r.localDate("2026-10-25", t, "")?.iso);
    expect(isos).toEqual(["2026-10-25T02:59:59.000+02:00", "2026-10-25T02:00:01.000+01:00"]);
  });
});
