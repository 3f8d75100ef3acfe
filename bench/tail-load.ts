/**
 * Load and latency of `scanwatch tail` as a real process following a real file.
 *
 *   node --import tsx bench/tail-load.ts [--rate LINES_PER_S] [--seconds S] [--store URL]
 *
 * A writer appends kernel LOG lines at the given rate (every 10 ms a slice), mostly benign SYNs
 * from 1000 clients, plus every 0.5 s a new source sending a 15-port half-open scan; the time the
 * 15th probe is written is the start of that alert's latency, its arrival on scanwatch's stdout
 * the end. Every 5 s it samples lines read (from /metrics), how far behind scanwatch is, and its
 * RSS (/proc/PID/status). Prints p50/p99/max alert latency, the lag, and the RSS curve.
 * Defaults: 10,000 lines/s for 60 s (the latency target: p99 < 200 ms).
 */
import { spawn } from "node:child_process";
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : dflt;
};
const rate = Number(arg("rate", "10000"));
const seconds = Number(arg("seconds", "60"));
const store = arg("store", "memory");

const dir = mkdtempSync(join(tmpdir(), "scanwatch-tail-load-"));
const log = join(dir, "kern.log");
writeFileSync(log, "");
const root = join(import.meta.dirname, "..");
const child = spawn(
  process.execPath,
  [
    join(root, "bin", "scanwatch"),
    "tail",
    "--format",
    "ndjson",
    "--state",
    join(dir, "state.json"),
    "--metrics",
    "127.0.0.1:0",
    "--store",
    store,
    log,
  ],
  { stdio: ["ignore", "pipe", "pipe"] },
);
let metricsUrl = "";
child.stderr.setEncoding("utf8");
child.stderr.on("data", (d: string) => {
  const m = /metrics on (http:\/\/\S+)/.exec(d);
  if (m) metricsUrl = m[1]!;
});
const pending = new Map<string, number>();
const latencies: number[] = [];
createInterface({ input: child.stdout }).on("line", (line) => {
  const a = JSON.parse(line) as { src: string; status: string };
  const t = pending.get(a.src);
  if (t !== undefined && a.status === "new") {
    latencies.push(performance.now() - t);
    pending.delete(a.src);
  }
});
while (!metricsUrl) await new Promise((r) => setTimeout(r, 50));

const pad = (n: number) => String(n).padStart(2, "0");
function line(src: string, dport: number, sport: number, raw: boolean): string {
  const d = new Date();
  const stamp = `Nov ${String(d.getUTCDate()).padStart(2, " ")} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  const tcp = raw
    ? `LEN=44 TOS=0x00 PREC=0x00 TTL=44 ID=4242 PROTO=TCP SPT=${sport} DPT=${dport} WINDOW=1024 RES=0x00 SYN URGP=0 OPT (020405B4) `
    : `LEN=60 TOS=0x00 PREC=0x00 TTL=63 ID=4242 DF PROTO=TCP SPT=${sport} DPT=${dport} WINDOW=64240 RES=0x00 SYN URGP=0 OPT (020405B40402080A0000000000000000001030307) `;
  return `${stamp} victim kernel: [ 100.000000] FW-IN: IN=eth0 OUT= MAC=52:54:00:12:34:56:52:54:00:65:43:21:08:00 SRC=${src} DST=203.0.113.10 ${tcp}\n`;
}

async function metric(name: string): Promise<number> {
  const text = await (await fetch(metricsUrl)).text();
  let sum = 0;
  for (const l of text.split("\n")) if (l.startsWith(name)) sum += Number(l.slice(l.lastIndexOf(" ") + 1));
  return sum;
}
function rssMB(): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"));
  return m ? Math.round(Number(m[1]) / 1024) : 0;
}

const start = performance.now();
let written = 0;
let scanner = 0;
let nextScan = 0;
const samples: string[] = [];
let nextSample = 5000;
let maxLag = 0;
while (performance.now() - start < seconds * 1000) {
  const elapsed = performance.now() - start;
  const due = Math.floor((elapsed / 1000) * rate);
  let text = "";
  while (written < due) {
    text += line(
      `198.51.${(written >> 8) & 3}.${written % 250}`,
      [22, 80, 443][written % 3]!,
      32768 + (written % 28000),
      false,
    );
    written++;
  }
  if (elapsed >= nextScan) {
    nextScan += 500;
    const src = `192.0.${(scanner >> 8) & 255}.${scanner & 255}`;
    scanner++;
    for (let p = 1; p <= 15; p++) text += line(src, 1000 + p, 40000, true);
    written += 15;
    appendFileSync(log, text);
    pending.set(src, performance.now());
    text = "";
  }
  if (text) appendFileSync(log, text);
  if (elapsed >= nextSample) {
    nextSample += 5000;
    const read = await metric("scanwatch_lines_read_total");
    maxLag = Math.max(maxLag, written - read);
    samples.push(
      `${Math.round(elapsed / 1000)}s read ${read} written ${written} behind ${written - read} rss ${rssMB()} MB`,
    );
  }
  await new Promise((r) => setTimeout(r, 10));
}
await new Promise((r) => setTimeout(r, 2000));
const finalRead = await metric("scanwatch_lines_read_total");
child.kill("SIGTERM");
await new Promise((r) => child.once("exit", r));
rmSync(dir, { recursive: true, force: true });

latencies.sort((a, b) => a - b);
const q = (p: number) =>
  latencies.length
    ? latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!.toFixed(1)
    : "n/a";
console.log(`scanwatch tail load: ${rate} lines/s for ${seconds} s, store ${store}`);
for (const s of samples) console.log("  " + s);
console.log(
  `lines written ${written}, read ${finalRead} (2 s after the writer stopped); most behind at a sample: ${maxLag} lines`,
);
console.log(
  `alerts: ${latencies.length} of ${scanner} scans; latency p50 ${q(0.5)} ms, p99 ${q(0.99)} ms, max ${q(1)} ms`,
);
