/**
 * The big flood: 10,000,000 SYNs from random spoofed sources (about 1,000,000 distinct per
 * 330 s of log time) to one host, analyzed by the compiled CLI with the memory store.
 *   node --import tsx bench/flood-10m.ts [LINES] [HEAP_MB]
 * Prints the alerts (one ddos incident expected, plus its updates), time, and peak RSS.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeSpoofedFlood } from "./generate.js";

const lines = Number(process.argv[2] ?? 10_000_000);
const heap = process.argv[3] ?? "256";
const file = join(process.env.BENCH_DIR ?? join(tmpdir(), "scanwatch-bench"), `flood-${lines}-s44.log`);
if (!existsSync(file)) await writeSpoofedFlood(file, lines);
const t0 = performance.now();
const r = spawnSync(
  "/usr/bin/time",
  [
    "-f",
    "peak RSS %M KB",
    process.execPath,
    `--max-old-space-size=${heap}`,
    join(import.meta.dirname, "..", "bin", "scanwatch"),
    "analyze",
    "--tz",
    "UTC",
    "--year",
    "2026",
    "--format",
    "ndjson",
    file,
  ],
  { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 1 << 26 },
);
const out = r.stdout;
const summary = r.stderr.split("\n").filter((l) => /lines read|alerts:|peak RSS|store/.test(l));
const alerts = out
  .trim()
  .split("\n")
  .filter(Boolean)
  .map(
    (l) =>
      JSON.parse(l) as {
        type: string;
        status: string;
        distinctSources: number;
        estimate: boolean;
        events: number;
      },
  );
console.log(`${lines} lines, heap limit ${heap} MB, ${((performance.now() - t0) / 1000).toFixed(0)} s`);
for (const l of summary) console.log("  " + l.trim());
for (const a of alerts)
  console.log(
    `  ${a.status} ${a.type} distinctSources ${a.distinctSources} estimate ${a.estimate} events ${a.events}`,
  );
