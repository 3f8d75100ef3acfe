import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Summary } from "../../src/events/summary.js";
import { embeddedSummary, expectedAttackers, MIXED, ROOT } from "../report/support.js";
import { schemaErrors, validateSummary } from "../support/schemas.js";

const BIN = join(ROOT, "bin", "scanwatch");
const BENIGN = ["fixtures/scenarios/benign/kern.log", "fixtures/scenarios/benign/auth.log"];

function run(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1" },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

let dir: string;
beforeAll(() => {
  if (!existsSync(join(ROOT, "dist", "cli", "main.js")))
    throw new Error("dist/ is missing: run `npm run build` before the CLI tests");
  dir = mkdtempSync(join(tmpdir(), "scanwatch-report-cli-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("cli report and summary", () => {
  it("cli/--summary json prints one schema-valid object instead of the alert stream", () => {
    const r = run(["analyze", "--tz", "UTC", "--summary", "json", ...MIXED]);
    expect(r.status).toBe(0);
    expect(r.stdout.trimEnd().split("\n")).toHaveLength(1);
    const s = JSON.parse(r.stdout) as Summary;
    expect(validateSummary(s), schemaErrors(validateSummary)).toBe(true);
    expect(s.attackers.map((a) => a.src).sort()).toEqual(expectedAttackers("mixed"));
    expect(s.run.files.map((f) => f.file)).toEqual(MIXED);
    // The text summary's totals still go to stderr for the person watching.
    expect(r.stderr).toMatch(/lines read: 3,494/);
  });

  it("cli/--summary json counts the lines dropped as copies (one packet under two LOG rules)", () => {
    const file = join(ROOT, "fixtures/scenarios/ufw-logging-high/kern.log");
    const r = run(["analyze", "--tz", "UTC", "--summary", "json", file]);
    expect(r.status).toBe(0);
    const s = JSON.parse(r.stdout) as Summary;
    expect(validateSummary(s), schemaErrors(validateSummary)).toBe(true);
    // Every packet of the file is written twice: 840 SYNs of the client, 20 of the scan.
    expect(s.run.duplicates).toBe(860);
    expect(s.run.lines).toBe(1720);
    expect(r.stderr).toMatch(/counted once: 860/);
  });

  it("cli/an attacker's ports are counted past its last alert: a scan of 30,000 ports says 30,000", () => {
    // Its last alert is at the top step (10,000 ports); the scan goes on to 30,000.
    const file = join(ROOT, "fixtures/scenarios/fast-scan-busy-server/kern.log.gz");
    const r = run(["analyze", "--tz", "UTC", "--year", "2026", "--summary", "json", file]);
    expect(r.status).toBe(0);
    const s = JSON.parse(r.stdout) as Summary;
    const scanner = s.attackers.find((a) => a.src === "198.51.100.230");
    expect(scanner?.distinctPorts).toBe(30_000);
    expect(scanner?.ports.slice(0, 3)).toEqual([1, 2, 3]);
    const text = run(["analyze", "--tz", "UTC", "--year", "2026", "--no-stdout", file]);
    expect(text.stderr).toMatch(/tcp 30,000 ports \(1-/);
  });

  it("cli/the text summary on stderr lists the attackers, then the totals, within 80 columns", () => {
    const r = run(["analyze", "--tz", "UTC", "--no-stdout", ...MIXED]);
    expect(r.status).toBe(0);
    const lines = r.stderr.split("\n");
    const start = lines.findIndex((l) => l.startsWith("4 attackers"));
    expect(start).toBeGreaterThanOrEqual(0);
    expect(lines.findIndex((l) => l.startsWith("lines read:"))).toBeGreaterThan(start);
    for (const l of lines.slice(
      start,
      lines.findIndex((l) => l.startsWith("lines read:")),
    ))
      expect(l.length, l).toBeLessThanOrEqual(80);
    for (const src of expectedAttackers("mixed")) expect(r.stderr).toContain(src);
  });

  it("cli/--report embeds exactly what --summary json prints", () => {
    const path = join(dir, "mixed.html");
    const r = run(["analyze", "--tz", "UTC", "--summary", "json", "--report", path, ...MIXED]);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/report: .*mixed\.html \(\d+ KiB\)/);
    expect(embeddedSummary(readFileSync(path, "utf8"))).toEqual(JSON.parse(r.stdout));
  });

  it("cli/an analysis with no alerts still writes a report, which says so", () => {
    const path = join(dir, "benign.html");
    const r = run(["analyze", "--tz", "UTC", "--quiet", "--report", path, ...BENIGN]);
    expect(r.status).toBe(0);
    const s = embeddedSummary(readFileSync(path, "utf8"));
    expect(s).toMatchObject({ attackers: [], incidents: [] });
    expect(s.run.events).toBeGreaterThan(1000);
  });

  it.each([
    [
      "a folder that does not exist",
      () => join(dir, "no", "such", "r.html"),
      /--report: the folder .* does not exist/,
    ],
    ["a path that is a folder", () => dir, /--report: .* is a folder; give a file name/],
    ["an empty path", () => "", /--report: give a file name/],
  ])("cli/--report into %s exits 2 before any work", (_what, path, message) => {
    // The log file does not exist either: the --report check must come first.
    const r = run(["analyze", "--report", path(), join(dir, "missing.log")]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/missing\.log/);
  });

  it.each([
    [
      "a folder that does not exist",
      () => join(dir, "no", "such", "a.ndjson"),
      /--out: the folder .* does not exist/,
    ],
    ["a path that is a folder", () => dir, /--out: .* is a folder; give a file name/],
  ])("cli/--out into %s exits 2 before any alert is lost", (_what, path, message) => {
    const r = run(["analyze", "--tz", "UTC", "--out", path(), ...MIXED]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe("");
    expect(r.stderr).not.toMatch(/this alert is lost/);
  });

  it("cli/--out to a device is fine", () => {
    const r = run(["analyze", "--tz", "UTC", "--quiet", "--out", "/dev/null", ...MIXED]);
    expect(r.status).toBe(0);
    expect(r.stdout).not.toBe("");
  });

  it("cli/events left out by --allow and --since/--until are counted in the summary, text and JSON", () => {
    const all = JSON.parse(
      run(["analyze", "--tz", "UTC", "--quiet", "--summary", "json", MIXED[0]!]).stdout,
    ) as Summary;
    expect(all.run.allowed).toBeUndefined();
    expect(all.run.outsideTimeRange).toBeUndefined();
    const args = ["analyze", "--tz", "UTC", "--summary", "json", "--since", "2026-11-28T16:04:00Z"];
    const r = run([...args, "--until", "2026-11-28T16:05:00Z", "--allow", "198.51.100.76", MIXED[0]!]);
    expect(r.status).toBe(0);
    const s = JSON.parse(r.stdout) as Summary;
    expect(validateSummary(s), schemaErrors(validateSummary)).toBe(true);
    // Every event read is examined, allowed, or outside the range: nothing unaccounted for.
    expect(s.run.files[0]!.events + s.run.allowed! + s.run.outsideTimeRange!).toBe(all.run.events);
    expect(s.run.allowed).toBeGreaterThan(0);
    expect(s.run.outsideTimeRange).toBeGreaterThan(0);
    expect(r.stderr.replace(/\n\s+/g, " ")).toContain(
      `not examined: ${s.run.outsideTimeRange!.toLocaleString("en-US")}`,
    );
  });

  it("cli/--summary with an unknown value exits 2 naming it", () => {
    const r = run(["analyze", "--summary", "yaml", MIXED[0]!]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--summary: expected text or json, got "yaml"/);
  });
});
