import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { LineParser, type ParseOutcome } from "../../src/parsers/line-parser.js";
import { SSHD_PATTERNS } from "../../src/parsers/sshd.js";
import type { HeaderFormat } from "../../src/parsers/syslog-header.js";
import { schemaErrors, validateEvent } from "../support/schemas.js";

/*
 * Runs every sample in fixtures/parsers/*.log (fail2ban style: each sample carries its expected
 * result on the line above) and fails when a parser, header format or sshd pattern has no sample.
 *
 * File format, one directive per line:
 *   # ctx: {"tz":"UTC","year":2026,"referenceMs":1798848000000}   parse context for the samples below
 *   # expect: {...}              the next line must parse to an event matching this subset
 *   # expect: reject <reason>    the next line must be rejected with exactly this reason
 *   # json: "..."                (right after an expect) the sample as a JSON string, for NUL, CR, BOM
 *   # before: <line>             (between an expect and its sample) a line of the same log read
 *                                just before the sample, by the same parser; any number of them
 *   # after: <line>              the same, read just after the sample (a later line of its
 *                                sshd connection that names the address)
 *   ## free text                 comment
 * Blank lines are ignored, except as the sample right after an `# expect:`. In an event
 * expectation, `$format` and `$parser` check the outcome's header format and parser name, and
 * `$absent` lists event keys that must not be present (JSON has no `undefined`), and `$via` the
 * line number (in the fixture file) of the context line that named the address.
 * Samples with context lines run through `feed`/`flush` (lines may wait for a later line's
 * address); the others through `parse`, and `feed` must agree with it.
 * Without `referenceMs`, the reference time is 2026-12-01T00:00:00Z: no sample reads the clock.
 */

const DIR = new URL("../../fixtures/parsers/", import.meta.url);
const DEFAULT_REFERENCE_MS = Date.UTC(2026, 11, 1);

interface Ctx {
  tz: string;
  year?: number;
  referenceMs?: number;
}

interface EventExpectation {
  event: Record<string, unknown>;
  format?: string;
  parser?: string;
  absent: string[];
  via?: number;
}

type Expectation = { reject: string } | EventExpectation;

interface Sample {
  /** `fixtures/netfilter.log:12`: the file and the 1-based line of the sample itself. */
  name: string;
  file: string;
  line: number;
  text: string;
  ctx: Ctx;
  expect: Expectation;
  /** Context lines (fixture line number, text) read before and after the sample. */
  before: [number, string][];
  after: [number, string][];
}

interface FixtureFile {
  base: string;
  samples: Sample[];
  /** Malformed directives: reported by a test of their own rather than thrown at collect time. */
  errors: string[];
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function parseCtx(json: string): Ctx | string {
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch (e) {
    return `bad JSON in # ctx: ${(e as Error).message}`;
  }
  if (!isRecord(v)) return "# ctx: must be a JSON object";
  for (const k of Object.keys(v)) {
    if (k !== "tz" && k !== "year" && k !== "referenceMs") return `# ctx: unknown key "${k}"`;
  }
  if (typeof v["tz"] !== "string") return '# ctx: "tz" must be a string';
  const ctx: Ctx = { tz: v["tz"] };
  if (v["year"] !== undefined) {
    if (!Number.isInteger(v["year"])) return '# ctx: "year" must be an integer';
    ctx.year = v["year"] as number;
  }
  if (v["referenceMs"] !== undefined) {
    if (typeof v["referenceMs"] !== "number") return '# ctx: "referenceMs" must be epoch milliseconds';
    ctx.referenceMs = v["referenceMs"];
  }
  return ctx;
}

function parseExpectation(rest: string): Expectation | string {
  if (rest.startsWith("reject")) {
    const reason = rest.slice(6).trim();
    return reason.length > 0 ? { reject: reason } : "# expect: reject needs a reason";
  }
  let v: unknown;
  try {
    v = JSON.parse(rest);
  } catch (e) {
    return `bad JSON in # expect: ${(e as Error).message}`;
  }
  if (!isRecord(v)) return "# expect: must be a JSON object or `reject <reason>`";
  const { $format, $parser, $absent, $via, ...event } = v;
  const out: EventExpectation = { event, absent: [] };
  if ($format !== undefined) {
    if (typeof $format !== "string") return "$format must be a string";
    out.format = $format;
  }
  if ($parser !== undefined) {
    if (typeof $parser !== "string") return "$parser must be a string";
    out.parser = $parser;
  }
  if ($absent !== undefined) {
    if (!Array.isArray($absent) || !$absent.every((k) => typeof k === "string")) {
      return "$absent must be an array of key names";
    }
    out.absent = $absent as string[];
  }
  if ($via !== undefined) {
    if (!Number.isInteger($via)) return "$via must be a line number";
    out.via = $via as number;
  }
  for (const k of Object.keys(event)) if (k.startsWith("$")) return `unknown meta key ${k}`;
  return out;
}

function loadFixture(base: string): FixtureFile {
  const file = `fixtures/parsers/${base}`;
  const lines = readFileSync(new URL(base, DIR), "utf8").split("\n");
  // A trailing newline leaves one empty string that is no line of the file.
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  const samples: Sample[] = [];
  const errors: string[] = [];
  let ctx: Ctx = { tz: "UTC", year: 2026 };
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i] as string;
    const at = `${file}:${i + 1}`;
    if (text.startsWith("## ") || text === "##" || text.trim() === "") continue;
    if (text.startsWith("# ctx:")) {
      const c = parseCtx(text.slice(6).trim());
      if (typeof c === "string") errors.push(`${at}: ${c}`);
      else ctx = c;
      continue;
    }
    if (!text.startsWith("# expect:")) {
      errors.push(`${at}: sample without a "# expect:" line above it: ${JSON.stringify(text.slice(0, 80))}`);
      continue;
    }
    const exp = parseExpectation(text.slice(9).trim());
    if (typeof exp === "string") {
      errors.push(`${at}: ${exp}`);
      i++; // skip its sample too, so it is not reported twice
      continue;
    }
    const before: [number, string][] = [];
    const after: [number, string][] = [];
    while (i + 1 < lines.length) {
      const next = lines[i + 1] as string;
      if (next.startsWith("# before: ")) before.push([i + 2, next.slice(10)]);
      else if (next.startsWith("# after: ")) after.push([i + 2, next.slice(9)]);
      else break;
      i++;
    }
    if (i + 1 >= lines.length) {
      errors.push(`${at}: "# expect:" on the last line has no sample`);
      continue;
    }
    i++;
    let sample = lines[i] as string;
    if (sample.startsWith("# json: ")) {
      try {
        const v: unknown = JSON.parse(sample.slice(8));
        if (typeof v !== "string") throw new Error("not a JSON string");
        sample = v;
      } catch (e) {
        errors.push(`${file}:${i + 1}: bad # json: sample: ${(e as Error).message}`);
        continue;
      }
    } else if (sample.startsWith("# expect:") || sample.startsWith("# ctx:")) {
      errors.push(`${file}:${i + 1}: a directive where the sample of line ${i} should be`);
      continue;
    }
    samples.push({
      name: `fixtures/${base}:${i + 1}`,
      file,
      line: i + 1,
      text: sample,
      ctx,
      expect: exp,
      before,
      after,
    });
  }
  return { base, samples, errors };
}

function parserFor(ctx: Ctx): LineParser {
  const time = { zone: ctx.tz, referenceMs: ctx.referenceMs ?? DEFAULT_REFERENCE_MS };
  return new LineParser({ time: ctx.year === undefined ? time : { ...time, year: ctx.year } });
}

function run(s: Sample): ParseOutcome {
  if (s.before.length === 0 && s.after.length === 0) return parserFor(s.ctx).parse(s.text, s.file, s.line);
  return fed(s);
}

/** The sample's outcome when its context lines, it, and the end of input go through feed/flush. */
function fed(s: Sample): ParseOutcome {
  const p = parserFor(s.ctx);
  const outcomes = new Map<number, ParseOutcome>();
  const take = (l: { line: number }, o: ParseOutcome) => {
    if (outcomes.has(l.line)) throw new Error(`line ${l.line} had two outcomes`);
    outcomes.set(l.line, o);
  };
  const lines: [number, string][] = [...s.before, [s.line, s.text], ...s.after];
  for (const [line, text] of lines) p.feed({ text, file: s.file, line }, take);
  p.flush(take);
  for (const [line] of lines) if (!outcomes.has(line)) throw new Error(`line ${line} had no outcome`);
  return outcomes.get(s.line)!;
}

const files = readdirSync(DIR)
  .filter((f) => f.endsWith(".log"))
  .sort()
  .map(loadFixture);
const samples = files.flatMap((f) => f.samples);

const REQUIRED_FILES = [
  "syslog-headers.log",
  "netfilter.log",
  "sshd.log",
  "journal.log",
  "ulogd.log",
  "rejects.log",
];

const FORMATS = [
  "rfc3164",
  "rfc3164-precise",
  "rfc3339",
  "iso-space",
  "tai64n",
  "rfc5424",
  "journal-json",
  "dmesg",
  "unix",
] as const satisfies readonly HeaderFormat[];
// Fails to compile when syslog-header.ts gains a format that this list (and so the coverage check) lacks.
type MissingFormat = Exclude<HeaderFormat, (typeof FORMATS)[number]>;
const _everyFormatListed: [MissingFormat] extends [never] ? true : MissingFormat = true;

const REQUIRED_PARSERS = [
  "netfilter",
  "netfilter/ulogd",
  "kernel/suppressed",
  "syslog/repeated",
  ...SSHD_PATTERNS.map((p) => `sshd/${p.name}`),
];

describe("fixtures/files", () => {
  it.each(REQUIRED_FILES)("fixtures/%s exists and has samples", (base) => {
    const f = files.find((x) => x.base === base);
    expect(f, `fixtures/parsers/${base} is missing`).toBeDefined();
    expect(f?.samples.length).toBeGreaterThan(0);
  });

  it.each(files.map((f) => [f.base, f] as const))("fixtures/%s is well-formed", (_base, f) => {
    expect(f.errors).toEqual([]);
  });
});

describe("fixtures/samples", () => {
  it.each(samples.map((s) => [s.name, s] as const))("%s", (_name, s) => {
    const out = run(s);
    const exp = s.expect;
    if ("reject" in exp) {
      expect(out, `expected a rejection (${exp.reject})`).toMatchObject({ ok: false, reason: exp.reject });
      return;
    }
    if (!out.ok) {
      expect.fail(
        `expected an event, got rejection "${out.reason}" (format ${out.format ?? "-"}, parser ${out.parser ?? "-"})`,
      );
    }
    const ev = out.event as unknown as Record<string, unknown>;
    expect(ev).toMatchObject(exp.event);
    for (const k of exp.absent) expect(ev, `key "${k}" must be absent`).not.toHaveProperty(k);
    if (exp.format !== undefined) expect(out.format).toBe(exp.format);
    if (exp.parser !== undefined) expect(out.parser).toBe(exp.parser);
    expect(ev["source"]).toEqual({ file: s.file, line: s.line });
    if (exp.via !== undefined) expect(out.via).toEqual({ file: s.file, line: exp.via });
    if (s.before.length === 0 && s.after.length === 0) expect(fed(s)).toEqual(out);
    // What `parse --format ndjson` prints must satisfy the published schema.
    const wire: unknown = JSON.parse(JSON.stringify(out.event));
    expect(validateEvent(wire), schemaErrors(validateEvent)).toBe(true);
    expect(new Date(ev["ts"] as string).getTime()).toBe(ev["ms"]);
  });
});

describe("fixtures/coverage", () => {
  // Re-runs the samples instead of sharing state with the tests above, so that a filtered run
  // (`-t`) cannot report coverage it did not check. Only samples expecting an event count.
  let memo: { parsers: Set<string>; formats: Set<string> } | undefined;
  function hits(): { parsers: Set<string>; formats: Set<string> } {
    if (memo) return memo;
    const parsers = new Set<string>();
    const formats = new Set<string>();
    for (const s of samples) {
      if ("reject" in s.expect) continue;
      const out = run(s);
      if (!out.ok) continue;
      parsers.add(out.parser);
      formats.add(out.format);
    }
    memo = { parsers, formats };
    return memo;
  }

  it.each(REQUIRED_PARSERS)("coverage/parser %s has a sample", (name) => {
    expect(hits().parsers.has(name), `no sample in fixtures/parsers/*.log yields parser "${name}"`).toBe(
      true,
    );
  });

  it.each([...FORMATS])("coverage/header format %s has a sample", (format) => {
    expect(_everyFormatListed).toBe(true);
    expect(
      hits().formats.has(format),
      `no sample in fixtures/parsers/*.log has header format "${format}"`,
    ).toBe(true);
  });
});
