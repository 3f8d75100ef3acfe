import { spawnSync } from "node:child_process";
import { mkdtemp, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Diagnostics } from "../../src/diagnostics.js";
import { ParseStats } from "../../src/parsers/parse-stats.js";
import { parseFiles } from "../../src/pipeline.js";
import { openBatchFiles, readLines } from "../../src/sources/file-batch.js";
import { LineSplitter } from "../../src/sources/line-splitter.js";
import { MAX_LINE_BYTES } from "../../src/sources/line.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "scanwatch-batch-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const kern = (time: string, src: string, dport: number) =>
  `Nov 28 ${time} victim kernel: [ 1.000000] FW-IN: IN=eth0 OUT= SRC=${src} DST=203.0.113.10 LEN=44 TTL=44 ID=1 PROTO=TCP SPT=4000 DPT=${dport} WINDOW=1024 RES=0x00 SYN URGP=0 `;
const auth = (time: string, src: string) =>
  `Nov 28 ${time} victim sshd[7]: Failed password for root from ${src} port 5000 ssh2`;

async function all(paths: string[], diagnostics = new Diagnostics()) {
  const files = await openBatchFiles(paths);
  const stats = new ParseStats();
  const events = [];
  for await (const b of parseFiles(files, { zone: "UTC", year: 2026 }, stats, diagnostics)) events.push(...b);
  return { events, stats, diagnostics };
}

describe("batch source", () => {
  it("batch/gzip is recognized by magic bytes, not by name", async () => {
    const text =
      [kern("10:00:00", "198.51.100.1", 22), kern("10:00:01", "198.51.100.1", 23)].join("\n") + "\n";
    await writeFile(join(dir, "plain.gz"), text); // named .gz but plain
    await writeFile(join(dir, "packed.log"), gzipSync(text)); // gzip without the name
    const a = await all([join(dir, "plain.gz")]);
    const b = await all([join(dir, "packed.log")]);
    expect(a.events.map((e) => e.type === "packet" && e.dport)).toEqual([22, 23]);
    expect(b.events.map((e) => e.type === "packet" && e.dport)).toEqual([22, 23]);
  });

  it("batch/kern.log and auth.log of one host interleave by event time", async () => {
    await writeFile(
      join(dir, "kern.log"),
      [kern("10:00:00", "198.51.100.1", 22), kern("10:00:05", "198.51.100.1", 80)].join("\n") + "\n",
    );
    await writeFile(
      join(dir, "auth.log"),
      [auth("10:00:02", "198.51.100.2"), auth("10:00:07", "198.51.100.2")].join("\n") + "\n",
    );
    const { events } = await all([join(dir, "kern.log"), join(dir, "auth.log")]);
    expect(events.map((e) => e.ts.slice(11, 19))).toEqual(["10:00:00", "10:00:02", "10:00:05", "10:00:07"]);
  });

  it("batch/an archive set given in any order reads as one history", async () => {
    await writeFile(join(dir, "kern.log.2.gz"), gzipSync(kern("08:00:00", "198.51.100.1", 1) + "\n"));
    await writeFile(join(dir, "kern.log.1"), kern("09:00:00", "198.51.100.1", 2) + "\n");
    await writeFile(join(dir, "kern.log"), kern("10:00:00", "198.51.100.1", 3) + "\n");
    const { events } = await all(["kern.log", "kern.log.2.gz", "kern.log.1"].map((f) => join(dir, f)));
    expect(events.map((e) => e.type === "packet" && e.dport)).toEqual([1, 2, 3]);
  });

  it("batch/a line over 64 KiB is counted and skipped, the next line is read", async () => {
    const long = "x".repeat(MAX_LINE_BYTES + 10);
    await writeFile(
      join(dir, "k.log"),
      [kern("10:00:00", "198.51.100.1", 22), long, kern("10:00:01", "198.51.100.1", 23)].join("\n") + "\n",
    );
    const { events, diagnostics } = await all([join(dir, "k.log")]);
    expect(events).toHaveLength(2);
    expect(events[1]!.source.line).toBe(3);
    expect(diagnostics.get("scanwatch_lines_rejected_total", { reason: "too-long" })).toBe(1);
  });

  it("batch/time going backwards inside a file is kept and counted", async () => {
    await writeFile(
      join(dir, "k.log"),
      [
        kern("10:00:05", "198.51.100.1", 22),
        kern("10:00:01", "198.51.100.1", 23),
        kern("10:00:06", "198.51.100.1", 24),
      ].join("\n"),
    );
    const { events, stats } = await all([join(dir, "k.log")]);
    expect(events).toHaveLength(3);
    expect(stats.backwards).toBe(1);
  });

  it("batch/year-less stamps take their year from the file's mtime", async () => {
    // A file whose last write was in January 2027: its December lines belong to 2026.
    await writeFile(
      join(dir, "k.log"),
      [
        `Dec 31 23:59:59 victim kernel: IN=eth0 OUT= SRC=198.51.100.1 DST=203.0.113.10 PROTO=UDP SPT=1 DPT=2 `,
        `Jan  1 00:00:01 victim kernel: IN=eth0 OUT= SRC=198.51.100.1 DST=203.0.113.10 PROTO=UDP SPT=1 DPT=3 `,
      ].join("\n"),
    );
    const jan = new Date(Date.UTC(2027, 0, 1, 0, 5));
    await utimes(join(dir, "k.log"), jan, jan);
    const files = await openBatchFiles([join(dir, "k.log")]);
    const events = [];
    for await (const b of parseFiles(files, { zone: "UTC" }, new ParseStats(), new Diagnostics()))
      events.push(...b);
    expect(events.map((e) => e.ts)).toEqual([
      "2026-12-31T23:59:59.000+00:00",
      "2027-01-01T00:00:01.000+00:00",
    ]);
  });

  it("batch/a missing file is an error naming it before any work", async () => {
    await expect(openBatchFiles([join(dir, "nope.log")])).rejects.toThrow(
      /cannot read .*nope\.log: no such file/,
    );
  });

  it("batch/a truncated gzip keeps what was read and reports the file", async () => {
    const lines = Array.from({ length: 2000 }, (_, i) => kern("10:00:00", "198.51.100.1", i % 65535)).join(
      "\n",
    );
    const gz = gzipSync(lines);
    await writeFile(join(dir, "cut.gz"), gz.subarray(0, Math.floor(gz.length * 0.6)));
    const messages: string[] = [];
    const d = new Diagnostics();
    d.onReport((m) => messages.push(m.message));
    const files = await openBatchFiles([join(dir, "cut.gz")]);
    let n = 0;
    for await (const b of readLines(files[0]!, d)) n += b.length;
    expect(n).toBeGreaterThan(0);
    expect(n).toBeLessThan(2000);
    expect(messages.join()).toMatch(/cut\.gz/);
  });

  it("batch/stdin is read with -", () => {
    const r = spawnSync(
      process.execPath,
      ["bin/scanwatch", "parse", "--format", "ndjson", "--tz", "UTC", "--year", "2026", "-"],
      {
        input: kern("10:00:00", "198.51.100.1", 22) + "\n",
        encoding: "utf8",
      },
    );
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout.trim())).toMatchObject({
      type: "packet",
      src: "198.51.100.1",
      dport: 22,
      source: { file: "-", line: 1 },
    });
  });
});

describe("line splitter", () => {
  it.each([
    ["CRLF", ["a\r\nb\r\n"], ["a", "b"]],
    ["split across chunks", ["ab", "c\nd", "e\n"], ["abc", "de"]],
    ["no final newline", ["a\nb"], ["a", "b"]],
    ["empty lines", ["\n\n\n"], ["", "", ""]],
    ["invalid UTF-8 becomes U+FFFD", [Buffer.from([0x61, 0xff, 0x62, 0x0a])], ["a\ufffdb"]],
  ])("splitter/%s", (_name, chunks, want) => {
    const s = new LineSplitter();
    const got: (string | null)[] = [];
    for (const c of chunks) got.push(...s.push(Buffer.isBuffer(c) ? c : Buffer.from(c)));
    got.push(...s.end());
    expect(got).toEqual(want);
  });

  it("splitter/an overlong line spanning many chunks is never held whole", () => {
    const s = new LineSplitter();
    const chunk = Buffer.alloc(16 * 1024, 0x3d); // '='
    for (let i = 0; i < 64; i++) expect(s.push(chunk)).toEqual([]); // 1 MiB without newline
    expect(s.tooLong).toBe(1);
    expect(s.push(Buffer.from("\nok\n"))).toEqual([null, "ok"]);
  });
});
