import { mkdtemp, readFile, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FileTally } from "../../../src/cli/file-tally.js";
import { Diagnostics, type DiagnosticMessage } from "../../../src/diagnostics.js";
import { Engine } from "../../../src/detect/engine.js";
import { MemoryStore } from "../../../src/detect/memory-store.js";
import type { Alert } from "../../../src/events/alert.js";
import { ParseStats } from "../../../src/parsers/parse-stats.js";
import { batchSource, parseFiles, runPipeline, type WorkerOptions } from "../../../src/pipeline.js";
import { loadRules, SHIPPED_RULES_DIR } from "../../../src/rules/load-rules.js";
import { openBatchFiles } from "../../../src/sources/file-batch.js";
import { MAX_LINE_BYTES } from "../../../src/sources/line.js";
import { planChunks } from "../../../src/sources/parse-pool/chunk-plan.js";
import { ParseWorkerError } from "../../../src/sources/parse-pool/worker-pool.js";

const FIXTURES = join(import.meta.dirname, "..", "..", "..", "fixtures");
const FAILING_WORKER = new URL("../../support/failing-parse-worker.mjs", import.meta.url);

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "scanwatch-pool-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Everything a parse run hands on or counts, in a form `toEqual` compares exactly (key order too). */
async function parsed(paths: string[], pool?: WorkerOptions, year: number | "mtime" = 2026) {
  const files = await openBatchFiles(paths);
  const stats = new ParseStats();
  const diagnostics = new Diagnostics();
  const reports: DiagnosticMessage[] = [];
  diagnostics.onReport((m) => reports.push(m));
  const tally = new FileTally();
  let bytes = 0;
  const events: string[] = [];
  const opts = {
    zone: "UTC",
    year: year === "mtime" ? undefined : year,
    onBytes: (n: number) => (bytes += n),
    onOutcome: tally.record.bind(tally),
    onTally: tally.add.bind(tally),
  };
  for await (const b of parseFiles(files, opts, stats, diagnostics, pool)) {
    for (const e of b) events.push(JSON.stringify(e));
  }
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => (a[0] < b[0] ? -1 : 1));
  return {
    events,
    stats: {
      lines: stats.lines,
      events: stats.events,
      backwards: stats.backwards,
      byType: sorted(stats.byType),
      rejected: sorted(stats.rejected),
      byFormat: sorted(stats.byFormat),
    },
    counters: diagnostics.snapshot().counters,
    reports,
    bytes,
    warnings: tally.warnings(),
  };
}

/** Parses `paths` in the main thread and with 2 workers, and expects the very same result. */
async function expectSame(
  paths: string[],
  pool: Omit<WorkerOptions, "workers"> = {},
  year: number | "mtime" = 2026,
) {
  const one = await parsed(paths, undefined, year);
  const two = await parsed(paths, { workers: 2, ...pool }, year);
  expect(two).toEqual(one);
  return one;
}

const kern = (sec: number, src: string, dport: number) =>
  `Nov 28 10:${String(Math.floor(sec / 60) % 60).padStart(2, "0")}:${String(sec % 60).padStart(2, "0")} victim kernel: [ 1.000000] FW-IN: IN=eth0 OUT= SRC=${src} DST=203.0.113.10 LEN=44 TTL=44 ID=1 PROTO=TCP SPT=4000 DPT=${dport} WINDOW=1024 RES=0x00 SYN URGP=0 `;

/** Firewall lines with what a chunk cut must not break: repeats, overlong, CRLF, empty, binary, time going back. */
function firewallLog(n: number): string {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    lines.push(kern(i % 3000, `198.51.100.${i % 200}`, 1 + (i % 1000)));
    if (i % 37 === 5) lines.push(`Nov 28 10:00:0${i % 10} victim last message repeated 3 times`);
    // An sshd line without a pid opens no connection: a cut may come after it, not before its repeat.
    if (i % 41 === 6) {
      lines.push(
        `Nov 28 10:00:0${i % 10} victim sshd: Failed password for root from 198.51.100.${i % 99} port 22 ssh2`,
      );
      lines.push(`Nov 28 10:00:0${i % 10} victim last message repeated 2 times`);
    }
    if (i % 101 === 7) lines.push("x".repeat(MAX_LINE_BYTES + 10));
    if (i % 53 === 9) lines.push(kern(i % 3000, "198.51.100.250", 80) + "\r");
    if (i % 71 === 3) lines.push("");
    if (i % 89 === 1) lines.push("bin\0ary");
    if (i % 97 === 2) lines.push(kern(0, "198.51.100.251", 81)); // back in time
  }
  return lines.join("\n") + "\n";
}

/** Every parser fixture line in one file: all header styles, sshd contexts, rejections. */
async function fixtureLines(names: string[]): Promise<string> {
  const parts = await Promise.all(names.map((n) => readFile(join(FIXTURES, "parsers", n), "utf8")));
  return parts.join("\n");
}

describe("parse pool", () => {
  it("pool/chunk plan cuts at line starts, never before a repeat line", async () => {
    const p = join(dir, "plan.log");
    const text = firewallLog(300);
    await writeFile(p, text);
    const buf = Buffer.from(text);
    const chunks = await planChunks(p, buf.length, 700);
    expect(chunks.length).toBeGreaterThan(20);
    expect(chunks[0]!.start).toBe(0);
    expect(chunks.at(-1)!.end).toBe(buf.length);
    for (let i = 1; i < chunks.length; i++) {
      const c = chunks[i]!;
      expect(c.start).toBe(chunks[i - 1]!.end);
      expect(buf[c.start - 1]).toBe(10);
      const line = buf.subarray(c.start, buf.indexOf(10, c.start)).toString();
      expect(line).not.toContain("message repeated");
      expect(line.length).toBeLessThanOrEqual(MAX_LINE_BYTES);
    }
  });

  it("pool/one big firewall log in many chunks gives the same events and counts", async () => {
    const p = join(dir, "fw.log");
    await writeFile(p, firewallLog(3000));
    const r = await expectSame([p], { chunkBytes: 4096 });
    expect(r.stats.lines).toBeGreaterThan(3000);
    expect(r.stats.backwards).toBeGreaterThan(0);
    expect(r.stats.rejected.map(([k]) => k)).toEqual(
      expect.arrayContaining(["binary", "empty", "repeat-of-other"]),
    );
    expect(
      r.events.filter((e) => e.includes('"parser":"syslog/repeated"') || e.includes('"count":2')),
    ).not.toEqual([]);
    expect(r.counters['scanwatch_lines_rejected_total{reason="too-long"}']).toBeGreaterThan(0);
  });

  it.each([
    ["firewall lines first, sshd connections after", ["netfilter.log", "ulogd.log", "sshd.log"]],
    ["sshd first", ["sshd.log", "netfilter.log"]],
    ["every fixture", ["netfilter.log", "journal.log", "rejects.log", "syslog-headers.log", "sshd.log"]],
  ])("pool/chunks across sshd connections: %s", async (_name, names) => {
    const p = join(dir, `mix-${names.length}-${names[0]}.log`);
    // The firewall part repeated so that several chunks come before the first sshd line.
    await writeFile(p, firewallLog(400) + (await fixtureLines(names)));
    const r = await expectSame([p], { chunkBytes: 2048 });
    expect(r.stats.byType.some(([k]) => k.startsWith("auth/"))).toBe(true);
    expect(r.events.some((e) => e.includes('"srcVia":"pid"'))).toBe(true);
  });

  it("pool/a held sshd line whose address comes on the far side of a chunk cut", async () => {
    const lines: string[] = [];
    for (let i = 0; i < 200; i++) lines.push(kern(i, "198.51.100.9", 1000 + i));
    for (let i = 0; i < 300; i++) {
      const pid = 5000 + i;
      const t = `10:05:${String(i % 60).padStart(2, "0")}`;
      // The address comes one line later: the first line waits for it (held), across any cut.
      lines.push(
        `Nov 28 ${t} victim sshd[${pid}]: error: kex_exchange_identification: Connection closed by remote host`,
      );
      lines.push(
        `Nov 28 ${t} victim sshd[${pid}]: Connection closed by 198.51.100.${i % 250} port ${40000 + i} [preauth]`,
      );
      lines.push(kern(300 + i, "198.51.100.10", 22));
    }
    const p = join(dir, "held.log");
    await writeFile(p, lines.join("\n") + "\n");
    for (const chunkBytes of [997, 4096]) await expectSame([p], { chunkBytes });
  });

  it("pool/year rollover from the file's mtime is the same in every chunk", async () => {
    const lines: string[] = [];
    for (let d = 0; d < 400; d++) {
      const day = d < 200 ? `Dec 31 23:${String(Math.floor(d / 60) % 60).padStart(2, "0")}` : `Jan  1 00:00`;
      lines.push(
        `${day}:${String(d % 60).padStart(2, "0")} victim kernel: DROP IN=eth0 OUT= SRC=198.51.100.${d % 250} DST=203.0.113.10 LEN=40 TTL=49 ID=1 PROTO=TCP SPT=51515 DPT=${d + 1} WINDOW=1024 RES=0x00 SYN URGP=0 `,
      );
    }
    const p = join(dir, "rollover.log");
    await writeFile(p, lines.join("\n") + "\n");
    const jan2 = new Date("2027-01-02T00:00:00Z");
    await utimes(p, jan2, jan2);
    const r = await expectSame([p], { chunkBytes: 1500 }, "mtime");
    expect(r.events[0]).toContain('"ts":"2026-12-31T');
    expect(r.events.at(-1)).toContain('"ts":"2027-01-01T');
  });

  it("pool/several files, one of them gzip, merged by time as in the thread", async () => {
    const a = join(dir, "kern.log.1.gz");
    const b = join(dir, "kern.log");
    await writeFile(a, gzipSync(firewallLog(500)));
    await writeFile(b, firewallLog(700));
    const mixed = join(FIXTURES, "scenarios", "mixed");
    const r = await expectSame([a, b, join(mixed, "kern.log"), join(mixed, "auth.log")], {
      chunkBytes: 2048,
    });
    expect(r.bytes).toBeGreaterThan(0);
  });

  it("pool/one gzip file is parsed whole by one worker", async () => {
    const p = join(dir, "big.log.gz");
    await writeFile(p, gzipSync(firewallLog(2000) + (await fixtureLines(["sshd.log"]))));
    await expectSame([p], { chunkBytes: 1024 });
  });

  it("pool/more files than workers do not wait on each other", async () => {
    const paths: string[] = [];
    for (let i = 0; i < 5; i++) {
      const p = join(dir, `many-${i}.log`);
      await writeFile(p, firewallLog(300 + 50 * i));
      paths.push(p);
    }
    // A window of one batch: every worker waits for the main thread almost at once.
    const one = await parsed(paths);
    const two = await parsed(paths, { workers: 2, window: 1 });
    expect(two).toEqual(one);
  });

  it("pool/analyze alerts are identical with 1 and 2 workers", async () => {
    const rules = await loadRules(SHIPPED_RULES_DIR);
    const scenario = join(FIXTURES, "scenarios", "mixed");
    const big = join(dir, "scan.log");
    await writeFile(big, (await readFile(join(scenario, "kern.log"), "utf8")) + firewallLog(1500));
    const alertsOf = async (paths: string[], pool?: WorkerOptions) => {
      const alerts: Alert[] = [];
      const diagnostics = new Diagnostics();
      await runPipeline({
        source: batchSource(
          await openBatchFiles(paths),
          { zone: "UTC", year: 2026 },
          new ParseStats(),
          diagnostics,
          pool,
        ),
        engine: new Engine(rules, new MemoryStore(), { diagnostics }),
        sinks: [{ name: "test", write: async (a: Alert) => void alerts.push(a), close: async () => {} }],
      });
      return alerts.map((a) => JSON.stringify(a));
    };
    for (const paths of [[big], [join(scenario, "kern.log"), join(scenario, "auth.log")]]) {
      const one = await alertsOf(paths);
      expect(one.length).toBeGreaterThan(0);
      expect(await alertsOf(paths, { workers: 2, chunkBytes: 4096 })).toEqual(one);
    }
  });

  it.each([
    ["throws", "throw.log"],
    ["exits", "exit.log"],
  ])("pool/a worker that %s fails the run with a clear error", async (_how, name) => {
    const p = join(dir, name);
    await writeFile(p, firewallLog(10));
    const run = parsed([p], { workers: 2, workerScript: FAILING_WORKER });
    await expect(run).rejects.toBeInstanceOf(ParseWorkerError);
    await expect(run).rejects.toThrow(new RegExp(`parse worker for .*${name} failed`));
  });
});
