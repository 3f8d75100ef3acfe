import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { validateAlert, validateEvent, schemaErrors } from "../support/schemas.js";

const BIN = join(import.meta.dirname, "..", "..", "bin", "scanwatch");
const MIXED = ["fixtures/scenarios/mixed/kern.log", "fixtures/scenarios/mixed/auth.log"];

function run(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: "utf8",
    input,
    env: { ...process.env, NO_COLOR: "1" },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

let dir: string;
beforeAll(() => {
  if (!existsSync(join(import.meta.dirname, "..", "..", "dist", "cli", "main.js"))) {
    throw new Error(
      "dist/ is missing: run `npm run build` (npm ci does it through `prepare`) before the CLI tests",
    );
  }
  dir = mkdtempSync(join(tmpdir(), "scanwatch-cli-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("cli", () => {
  it("cli/analyze prints schema-valid NDJSON alerts and a summary on stderr", () => {
    const r = run(["analyze", "--tz", "UTC", "--format", "ndjson", ...MIXED]);
    expect(r.status).toBe(0);
    const alerts = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as unknown);
    for (const a of alerts) expect(validateAlert(a), schemaErrors(validateAlert)).toBe(true);
    const types = alerts.map((a) => `${(a as { type: string }).type}@${(a as { src: string }).src}`).sort();
    expect(types).toEqual([
      "full-connect-scan@198.51.100.84",
      "half-open-scan@198.51.100.49",
      "half-open-scan@198.51.100.76",
      "ssh-bruteforce@198.51.100.112",
    ]);
    expect(r.stderr).toMatch(/lines read: 3,494/);
    expect(r.stderr).toMatch(/alerts: 4 /);
  });

  it("cli/parse prints schema-valid events and counts rejections by reason", () => {
    const r = run(["parse", "--format", "ndjson", "--tz", "UTC", MIXED[1]!]);
    expect(r.status).toBe(0);
    const events = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as unknown);
    // 14 of the 91 are kex_exchange_identification lines, tied to the address through the pid.
    expect(events.length).toBe(91);
    for (const e of events) expect(validateEvent(e), schemaErrors(validateEvent)).toBe(true);
    expect(r.stderr).toMatch(/not recognized by reason: sshd-ignored 44/);
  });

  it("cli/parse --explain names the parser of each line, or why none took it", () => {
    const f = join(dir, "x.log");
    writeFileSync(
      f,
      "Nov 28 15:54:11 victim sshd[1]: Accepted publickey for a from 198.51.100.9 port 2 ssh2\nhello world\n",
    );
    const r = run(["parse", "--explain", "--tz", "UTC", f]);
    expect(r.status).toBe(0);
    const [first, second] = r.stdout.trim().split("\n");
    expect(first).toMatch(/x\.log:1\tsshd\/accepted \(rfc3164\) → auth\/success/);
    expect(second).toMatch(/x\.log:2\trejected: no-header/);
  });

  it("cli/parse --explain says when an address came through the sshd pid, or stayed a host name", () => {
    const f = join(dir, "pid.log");
    writeFileSync(
      f,
      [
        "Nov 28 15:59:35 victim sshd[22174]: error: kex_exchange_identification: Connection closed by remote host",
        "Nov 28 15:59:35 victim sshd[22174]: Connection closed by 198.51.100.141 port 52023",
        "Nov 28 15:59:36 victim sshd[22180]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=gw.example.net  user=root",
        "Nov 28 15:59:37 victim sshd[22181]: message repeated 4 times: [ Failed password for root from 198.51.100.9 port 4000 ssh2]",
        "Nov 28 15:59:38 victim sshd[22182]: Disconnecting: Too many authentication failures for root [preauth]",
        "",
      ].join("\n"),
    );
    const r = run(["parse", "--explain", "--tz", "UTC", "--year", "2026", f]);
    expect(r.status).toBe(0);
    const out = r.stdout.trim().split("\n");
    expect(out[0]).toMatch(
      /pid\.log:1\tsshd\/kex-identification \(rfc3164\) → auth\/no-ident src 198\.51\.100\.141 via sshd\[22174\] at .*pid\.log:2\t/,
    );
    expect(out[1]).toMatch(/pid\.log:2\tsshd\/closed-preauth \(rfc3164\) → auth\/preauth-close\t/);
    expect(out[2]).toMatch(
      /auth\/failure src gw\.example\.net is a host name \(no address logged for sshd\[22180\]\)/,
    );
    expect(out[3]).toMatch(/sshd\/failed \(rfc3164\) → auth\/failure ×4\t/);
    expect(out[4]).toMatch(/pid\.log:5\trejected: sshd-no-address \(rfc3164\)/);
    expect(r.stderr).toMatch(/lines read: 5 /);
  });

  it.each([
    [["analyze"], /give at least one FILE/],
    [["analyze", "--bogus", "x"], /Unknown option '--bogus'/],
    [["analyze", "--tz", "Mars/Olympus", "x"], /--tz: unknown time zone "Mars\/Olympus"/],
    [["analyze", "--year", "twenty", "x"], /--year: expected a year/],
    [["analyze", "--store", "mongodb://x", "x"], /--store: expected "memory" or a redis:\/\/ URL/],
    [["frobnicate"], /unknown command "frobnicate"/],
    [["parse", "--format", "xml", "x"], /--format: expected ndjson or table/],
  ])("cli/usage error %j exits 2", (args, message) => {
    const r = run(args as string[]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it("cli/a missing file exits 1 and names it", () => {
    const r = run(["analyze", join(dir, "missing.log")]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/cannot read .*missing\.log: no such file/);
  });

  it("cli/an unreachable Redis exits 1 naming the URL without its password", () => {
    const r = run(["analyze", "--store", "redis://:hunter2@127.0.0.1:1/0", MIXED[0]!]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/127\.0\.0\.1:1/);
    expect(r.stderr).not.toMatch(/hunter2/);
  });

  it("cli/rules check accepts the shipped rules and rejects a bad folder with file and pointer", () => {
    expect(run(["rules", "check"]).status).toBe(0);
    const bad = join(dir, "rules");
    rmSync(bad, { recursive: true, force: true });
    spawnSync("cp", ["-r", "rules", bad]);
    writeFileSync(
      join(bad, "udp-scan.json"),
      JSON.stringify({
        id: "udp-scan",
        detector: "udp-scan",
        window: "1 minute",
        threshold: 10,
        severity: { low: 10 },
        cooldown: "1m",
      }),
    );
    const r = run(["rules", "check", bad]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/udp-scan\.json: \/window: must be a duration like "60s"/);
  });

  it("cli/analyze with a bad rules folder exits 1 before reading anything", () => {
    const r = run(["analyze", "--rules", join(dir, "nope"), MIXED[0]!]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/cannot read rules folder/);
  });

  it("cli/--since and --until keep only events in the range", () => {
    const r = run([
      "analyze",
      "--tz",
      "UTC",
      "--format",
      "ndjson",
      "--since",
      "2026-11-28T16:04:00Z",
      "--until",
      "2026-11-28T16:04:40Z",
      ...MIXED,
    ]);
    expect(r.status).toBe(0);
    const srcs = r.stdout
      .trim()
      .split("\n")
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as { src: string }).src);
    expect(srcs).toEqual(["198.51.100.76"]);
  });

  it("cli/--out appends NDJSON to a file", () => {
    const out = join(dir, "alerts.ndjson");
    run(["analyze", "--tz", "UTC", "--no-stdout", "--out", out, "--quiet", ...MIXED]);
    run(["analyze", "--tz", "UTC", "--no-stdout", "--out", out, "--quiet", ...MIXED]);
    const lines = spawnSync("wc", ["-l", out], { encoding: "utf8" }).stdout;
    expect(Number(lines.trim().split(" ")[0])).toBe(8);
  });
});
