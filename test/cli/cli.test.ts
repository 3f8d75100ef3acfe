import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ufwSynFlood } from "../e2e/support.js";
import { validateAlert, validateEvent, schemaErrors } from "../support/schemas.js";

const BIN = join(import.meta.dirname, "..", "..", "bin", "scanwatch");
const MIXED = ["fixtures/scenarios/mixed/kern.log", "fixtures/scenarios/mixed/auth.log"];

function run(args: string[], input?: string, env: NodeJS.ProcessEnv = {}) {
  const base = { ...process.env };
  delete base.REDIS_URL;
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: "utf8",
    input,
    env: { ...base, NO_COLOR: "1", ...env },
  });
  // The summary wraps long lines at 80 columns with an indent: unwrap them for matching.
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.replace(/\n {4,}/g, " ") };
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
  it("cli/tail on a folder is a usage error, not a wait for a file that never comes", () => {
    const r = run(["tail", "--state", join(dir, "tail-folder-state"), dir]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/tail: .* is a folder, not a log file/);
  });

  it("cli/analyze prints schema-valid NDJSON alerts and a summary on stderr", () => {
    const r = run(["analyze", "--tz", "UTC", "--format", "ndjson", ...MIXED]);
    expect(r.status).toBe(0);
    const alerts = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as unknown);
    for (const a of alerts) expect(validateAlert(a), schemaErrors(validateAlert)).toBe(true);
    const types = alerts
      .filter((a) => (a as { status: string }).status === "new")
      .map((a) => `${(a as { type: string }).type}@${(a as { src: string }).src}`)
      .sort();
    expect(types).toEqual([
      "full-connect-scan@198.51.100.84",
      "half-open-scan@198.51.100.49",
      "half-open-scan@198.51.100.76",
      "ssh-bruteforce@198.51.100.112",
    ]);
    expect(r.stderr).toMatch(/lines read: 3,494/);
    // Each incident's "new" alert at its threshold, then an "update" at each severity step it climbs.
    expect(r.stderr).toMatch(/alerts: 7 /);
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
    [
      ["analyze", "--bogus", "x"],
      /^scanwatch: analyze: unknown option --bogus\nRun "scanwatch analyze --help" for its options\.\n$/,
    ],
    [["tail", "--bogus"], /^scanwatch: tail: unknown option --bogus\nRun "scanwatch tail --help"/],
    [["analyze", "--store"], /analyze: --store needs a value/],
    [["analyze", "--tz", "Mars/Olympus", "x"], /--tz: unknown time zone "Mars\/Olympus"/],
    [["analyze", "--year", "twenty", "x"], /--year: expected a year/],
    [
      ["analyze", "--store", "mongodb://x", "x"],
      /--store: mongodb:\/\/x is not a Redis URL; expected "memory", redis:\/\//,
    ],
    [["analyze", "--store", "redis://h:abc/0", "x"], /--store: "redis:\/\/h:abc\/0" is not a URL/],
    [
      ["analyze", "--store", "redis://:pw@127.0.0.1:6379/x", "x"],
      /--store: redis:\/\/:\*\*\*@127\.0\.0\.1:6379\/x names no numeric database/,
    ],
    [["analyze", "--store", "redis:///0", "x"], /--store: redis:\/\/\/0 names no host/],
    [["tail", "--store", "redis://h:0/0", "x"], /--store: .* has no valid port/],
    [["tail", "--disorder", "abc", "x"], /--disorder: expected seconds between 0 and 86400, got "abc"/],
    [
      ["tail", "--metrics", "localhost", "x"],
      /--metrics: expected HOST:PORT like 127\.0\.0\.1:9464 \(or \[::1\]:9464\), got "localhost"/,
    ],
    [
      ["analyze", "--since", "2026-11-28T16:00:00Z", "--until", "2026-11-28T15:00:00Z", "x"],
      /--since .* is not before --until/,
    ],
    [["frobnicate"], /unknown command "frobnicate"/],
    [["analyze", "--workers", "0", "x"], /--workers: expected a whole number from 1 to 64, got "0"/],
    [["analyze", "--workers", "two", "x"], /--workers: expected a whole number/],
    [["parse", "--format", "xml", "x"], /--format: expected ndjson or table/],
  ])("cli/usage error %j exits 2", (args, message) => {
    const r = run(args as string[]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/pw@/);
  });

  it("cli/analyze --workers 1 and --workers 2 print the same alerts and summary", () => {
    const one = run(["analyze", "--tz", "UTC", "--format", "ndjson", "--workers", "1", ...MIXED]);
    const two = run(["analyze", "--tz", "UTC", "--format", "ndjson", "--workers", "2", ...MIXED]);
    expect(one.status).toBe(0);
    expect(two.status).toBe(0);
    expect(two.stdout).toBe(one.stdout);
    const timeless = (s: string) => s.replace(/[\d.]+ s, [\d,]+ lines\/s/, "");
    expect(timeless(two.stderr)).toBe(timeless(one.stderr));
  });

  it("cli/a bad REDIS_URL is named as such", () => {
    const r = run(["analyze", MIXED[0]!], undefined, { REDIS_URL: "redis://h:abc" });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^scanwatch: REDIS_URL: "redis:\/\/h:abc" is not a URL/);
  });

  it("cli/an unreadable --webhook-secret-file exits 1", () => {
    const r = run([
      "analyze",
      "--webhook",
      "http://127.0.0.1:1/",
      "--webhook-secret-file",
      join(dir, "no-secret"),
      "--spool",
      join(dir, "spool"),
      MIXED[0]!,
    ]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/--webhook-secret-file: cannot read .*no-secret \(ENOENT\)/);
  });

  it("cli/rules check rules/*.json skips the schema among the rules", () => {
    const files = readdirSync(join(import.meta.dirname, "..", "..", "rules"))
      .filter((f) => f.endsWith(".json"))
      .map((f) => `rules/${f}`);
    expect(files).toContain("rules/rule.schema.json");
    const r = spawnSync(process.execPath, [BIN, "rules", "check", ...files], {
      cwd: join(import.meta.dirname, "..", ".."),
      encoding: "utf8",
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/skip rules\/rule\.schema\.json \(a JSON Schema, not a rule\)/);
    expect(r.stdout).toMatch(new RegExp(`${files.length - 1} rules valid in ${files.length - 1} files`));
  });

  it("cli/rules check FILE checks that file", () => {
    const ok = run(["rules", "check", "rules/tcp-scan.json"]);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/^ok {2}tcp-scan .*\n1 rules valid in rules\/tcp-scan\.json\n$/);
    const bad = join(dir, "udp-scan.json");
    writeFileSync(
      bad,
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
    expect(r.stderr).toContain(`${bad}: /window: must be a duration like "60s"`);
  });

  it("cli/analyze --config reads the file tail reads", () => {
    const cfg = join(dir, "scanwatch.json");
    // tail's own keys (files, state, metrics) are left alone by analyze.
    writeFileSync(
      cfg,
      JSON.stringify({
        tz: "UTC",
        format: "ndjson",
        allow: ["198.51.100.49"],
        files: ["/var/log/kern.log"],
        state: "/nonexistent/x",
        metrics: "127.0.0.1:9464",
      }),
    );
    const r = run(["analyze", "--config", cfg, ...MIXED]);
    expect(r.status).toBe(0);
    const srcs = r.stdout
      .trim()
      .split("\n")
      .map((l) => (JSON.parse(l) as { src: string }).src);
    expect([...new Set(srcs)].sort()).toEqual(["198.51.100.112", "198.51.100.76", "198.51.100.84"]);
    writeFileSync(cfg, JSON.stringify({ colour: "always" }));
    const bad = run(["analyze", "--config", cfg, ...MIXED]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain(`--config ${cfg}: unknown key "colour"`);
  });

  it("cli/a file where nothing looks like a log gets a warning", () => {
    const bin = join(dir, "a.out");
    writeFileSync(bin, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 0x0a, 0x01, 0, 0x0a, 0x02]));
    const r = run(["analyze", "--tz", "UTC", bin, MIXED[1]!]);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain(
      `warning: nothing in ${bin} looked like a log line (3 lines, none with a syslog header; 2 with NUL bytes: a binary file?)`,
    );
    expect(r.stderr).not.toMatch(/nothing in .*auth\.log/);
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
    // The socket's own error, not only ioredis' "Connection is closed".
    expect(r.stderr).toMatch(/ECONNREFUSED/);
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
    // The masscan of 198.51.100.76 only (its new alert and its updates): the other attacks are outside.
    expect([...new Set(srcs)]).toEqual(["198.51.100.76"]);
  });

  it("cli/--out appends NDJSON to a file", () => {
    const out = join(dir, "alerts.ndjson");
    run(["analyze", "--tz", "UTC", "--no-stdout", "--out", out, "--quiet", ...MIXED]);
    run(["analyze", "--tz", "UTC", "--no-stdout", "--out", out, "--quiet", ...MIXED]);
    const lines = spawnSync("wc", ["-l", out], { encoding: "utf8" }).stdout;
    expect(Number(lines.trim().split(" ")[0])).toBe(14); // 7 alerts, twice
  });

  it("cli/analyze kern.log ufw.log counts each UFW line once", () => {
    // UFW writes every packet to both files: 600 SYNs in 6 s are below syn-flood's 1000, unless
    // each is counted twice.
    const flood = ufwSynFlood(600).join("\n");
    const kern = join(dir, "kern.log");
    const ufw = join(dir, "ufw.log");
    writeFileSync(kern, flood + "\n");
    writeFileSync(ufw, flood + "\n");
    const r = run(["analyze", "--tz", "UTC", "--year", "2026", "--format", "ndjson", kern, ufw]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(`lines also read from another file, counted once: 600 (copies in ${ufw} 600)`);
    // The scan fixture, copied: one alert with the events of one file.
    const scan = "fixtures/scenarios/ufw-scan/kern.log";
    const copy = join(dir, "ufw-copy.log");
    writeFileSync(copy, readFileSync(scan));
    const one = run(["analyze", "--tz", "UTC", "--year", "2026", "--format", "ndjson", scan]);
    const two = run(["analyze", "--tz", "UTC", "--year", "2026", "--format", "ndjson", scan, copy]);
    expect(two.stdout).toBe(one.stdout);
  });

  it("cli/--allow keeps a source from every rule, fast and slow, and counts it", () => {
    const files = [
      "fixtures/scenarios/ipv6-half-open/kern.log", // tcp-scan from 2001:db8:bad:1::66
      "fixtures/scenarios/slow-scan-hour/kern.log", // tcp-scan-slow from 198.51.100.134
      "fixtures/scenarios/ssh-bruteforce/auth.log", // ssh-bruteforce from 198.51.100.74
    ];
    const args = ["analyze", "--tz", "UTC", "--year", "2026", "--format", "ndjson", ...files];
    const rules = (r: { stdout: string }) =>
      r.stdout
        .trim()
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { rule: string; status: string })
        .filter((a) => a.status === "new")
        .map((a) => a.rule);
    expect(rules(run(args))).toEqual(["tcp-scan", "tcp-scan-slow", "ssh-bruteforce"]);
    const r = run([...args, "--allow", "198.51.100.128/25", "--allow", "2001:db8::/32"]);
    expect(r.status).toBe(0);
    expect(rules(r)).toEqual(["ssh-bruteforce"]);
    expect(r.stderr).toMatch(
      /events from allowed sources \(--allow 198\.51\.100\.128\/25, 2001:db8::\/32\), not examined: 1\d\d\n/,
    );
    const bad = run([...args, "--allow", "office"]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain(`--allow: "office" is not an IPv4 or IPv6 address or CIDR`);
  });

  it("cli/parse table writes IPv6 with a port as [addr]:port", () => {
    const r = run([
      "parse",
      "--format",
      "table",
      "--tz",
      "UTC",
      "fixtures/scenarios/ipv6-half-open/kern.log",
    ]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(" [2001:db8:bad:1::66]:58090 ");
  });
});
