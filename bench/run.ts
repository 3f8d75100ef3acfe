/**
 * npm run bench: generates logs from a fixed seed, then measures each stage in its own process.
 * Every rate is printed beside the floor (the same file only read and split into lines with
 * split2, nothing parsed) measured in the same run, so a slow or busy machine shows in both and
 * the ratio stays meaningful. scanwatch's own splitter (byte positions for exact resume) is
 * printed beside it.
 *
 * parse and analyze run in the main thread (`analyze --workers 1`), then with 2 parse workers
 * (`--workers 2`: the file cut into chunks parsed at once, or, for an auth.log whose sshd
 * context forbids the cuts, parsed whole by one worker beside the engine), in the same run.
 *
 * Files: a kernel log (benign traffic, scans, UDP, ICMP), an auth log, a spoofed-source SYN
 * flood, and full-port scans on a busy host (windows past their exact member bound).
 *
 * Environment: BENCH_LINES (default 1000000), BENCH_DIR (default os tmpdir), BENCH_REDIS=0 to skip
 * the Redis stage (it starts a private redis-server on a free port).
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeAuthLog, writeFullPortScans, writeKernelLog, writeSpoofedFlood } from "./generate.js";
import { hostileLineTimings, hostileRegexTimings } from "./regex-worst-case.js";

const N = Number(process.env.BENCH_LINES ?? 1_000_000);
const dir = process.env.BENCH_DIR ?? join(tmpdir(), "scanwatch-bench");
mkdirSync(dir, { recursive: true });
const kern = join(dir, `kern-${N}-s42.log`);
const auth = join(dir, `auth-${N}-s43.log`);
const flood = join(dir, `flood-${N}-s44.log`);
const scans = join(dir, `scans-${N}-s45.log`);

if (!existsSync(kern)) await writeKernelLog(kern, N);
if (!existsSync(auth)) await writeAuthLog(auth, N);
if (!existsSync(flood)) await writeSpoofedFlood(flood, N);
if (!existsSync(scans)) await writeFullPortScans(scans, N);

interface Row {
  lines: number;
  events: number;
  seconds: number;
  maxRssMB: number;
  alerts?: number;
  roundTrips?: number;
  redisCommands?: number;
  redisScriptCalls?: number;
  redisKeys?: number;
  storeKeys?: number;
  redisUsedMemoryMB?: number;
  redisBytesPerWindowKey?: number;
}

function stage(name: string, file: string, extra: string[] = []): Row {
  const out = execFileSync(
    process.execPath,
    [join(import.meta.dirname, "stage-main.mjs"), name, file, ...extra],
    {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  return JSON.parse(out.trim().split("\n").pop()!) as Row;
}

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
const rate = (r: Row) => r.lines / r.seconds;

console.log(`scanwatch bench: ${fmt(N)} lines per file, node ${process.version}, ${dir}`);
console.log(
  "stage                      file    lines/s      events/s   vs floor   peak RSS   alerts  round trips/1000 ev",
);
/** Each rate is compared with the split2 floor of the same file, measured in the same run. */
function print(name: string, file: string, r: Row, fl: Row): void {
  const ratio = rate(r) / rate(fl);
  const rt = r.roundTrips !== undefined ? (r.roundTrips / (r.events / 1000)).toFixed(2) : "";
  console.log(
    `${name.padEnd(26)} ${file.padEnd(6)} ${fmt(rate(r)).padStart(10)} ${fmt(r.events / r.seconds).padStart(12)} ${(ratio * 100).toFixed(0).padStart(8)}% ${String(r.maxRssMB).padStart(7)} MB ${String(r.alerts ?? "").padStart(8)} ${rt.padStart(12)}`,
  );
}

const memoryRuns = new Map<string, Row>();
/** 2 parse workers against 1 (the main thread), per file: the rates' ratio. */
const workerRatios: string[] = [];
const speedup = (two: Row, one: Row) => `${(rate(two) / rate(one)).toFixed(2)}x`;
for (const [label, file] of [
  ["kern", kern],
  ["auth", auth],
] as const) {
  stage("floor", file); // warm-up: bring the file into the page cache so the floor measures CPU, not the disk
  const fl = stage("floor-split2", file);
  print("floor: read+split2", label, fl, fl);
  print("read+own splitter", label, stage("floor", file), fl);
  const p1 = stage("parse", file);
  print("parse", label, p1, fl);
  const p2 = stage("parse-workers", file, ["2"]);
  print("parse, 2 workers", label, p2, fl);
  const m = stage("analyze", file);
  memoryRuns.set(label, m);
  print("analyze (memory store)", label, m, fl);
  const m2 = stage("analyze-workers", file, ["2"]);
  print("analyze, 2 workers", label, m2, fl);
  workerRatios.push(`${label}: parse ${speedup(p2, p1)}, analyze ${speedup(m2, m)}`);
}
stage("floor", flood);
const ffl = stage("floor-split2", flood);
print("floor: read+split2", "flood", ffl, ffl);
const floodMemory = stage("analyze", flood);
memoryRuns.set("flood", floodMemory);
print("analyze (memory store)", "flood", floodMemory, ffl);
const flood2 = stage("analyze-workers", flood, ["2"]);
print("analyze, 2 workers", "flood", flood2, ffl);
workerRatios.push(`flood: analyze ${speedup(flood2, floodMemory)}`);
// Full-port scans: the windows of sets past their exact bound (HyperLogLog) at work.
stage("floor", scans);
const sfl = stage("floor-split2", scans);
print("floor: read+split2", "scans", sfl, sfl);
print("analyze (memory store)", "scans", stage("analyze", scans), sfl);
console.log(`  2 parse workers against 1: ${workerRatios.join("; ")}`);

if (process.env.BENCH_REDIS !== "0") {
  const { startRedis } = await import("../test/redis-server.js");
  const redis = await startRedis();
  try {
    const fl = stage("floor-split2", kern);
    const rows: [string, Row][] = [
      ["kern", stage("analyze-redis", kern, [redis.url])],
      ["flood", stage("analyze-redis", flood, [redis.url])],
    ];
    for (const [label, r] of rows) print("analyze (redis store)", label, r, label === "kern" ? fl : ffl);
    // Server-side counts come from INFO commandstats before and after (stage-main.mjs).
    for (const [label, r] of rows) {
      const per = (n = 0) => ((n / r.events) * 1000).toFixed(2);
      const mem = memoryRuns.get(label)!;
      console.log(
        `  redis ${label}: ${fmt(rate(r))} lines/s = ${(rate(r) / rate(mem)).toFixed(2)} x memory store (${fmt(rate(mem))}); ` +
          `per 1000 events: ${per(r.redisScriptCalls)} script calls, ${per(r.redisCommands)} Redis commands, ${per(r.roundTrips)} round trips; ` +
          `${fmt(r.storeKeys ?? 0)} window keys in ${fmt(r.redisKeys ?? 0)} Redis keys, used_memory ${r.redisUsedMemoryMB} MB (${r.redisBytesPerWindowKey} B per window key)`,
      );
    }
  } finally {
    await redis.stop();
  }
}

console.log(
  "\nregex worst cases (sshd patterns on hostile lines; linear time means ~4x time for 4x length):",
);
for (const t of hostileRegexTimings())
  console.log(
    `  ${t.name.padEnd(40)} 16 KiB ${t.small.toFixed(3)} ms   64 KiB ${t.large.toFixed(3)} ms   ratio ${(t.large / t.small).toFixed(1)}`,
  );
console.log("\nwhole lines through the parser on hostile words (linear time means ~4x time for 4x length):");
for (const t of hostileLineTimings())
  console.log(
    `  ${t.name.padEnd(40)} 12 KiB ${t.small.toFixed(3)} ms   48 KiB ${t.large.toFixed(3)} ms   ratio ${(t.large / t.small).toFixed(1)}`,
  );
