/**
 * The sshd connection table and the held lines under a flood of distinct pids, measured:
 *   node --expose-gc --import tsx bench/pid-flood.ts [LINES]
 * Feeds LINES sshd lines (default 2,000,000), each from a new pid, half naming an address and
 * half naming none (they wait for one), and prints the table size, held lines and live heap
 * after a full collection at every tenth of the run. Both stay at their bounds, and the heap
 * with them.
 */
import { DEFAULT_MAX_HELD, LineParser } from "../src/parsers/line-parser.js";
import { DEFAULT_MAX_CONNECTIONS } from "../src/parsers/sshd-connections.js";

const N = Number(process.argv[2] ?? 2_000_000);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with node --expose-gc");

const heapMB = () => {
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
};

const p = new LineParser({ time: { zone: "UTC", year: 2026, referenceMs: Date.UTC(2026, 11, 1) } });
let outcomes = 0;
const take = () => void outcomes++;
const before = heapMB();
console.log(`table bound ${DEFAULT_MAX_CONNECTIONS} connections, held bound ${DEFAULT_MAX_HELD} lines`);
console.log("lines fed    connections   held   heap MB (live, after gc)");
const t0 = performance.now();
for (let i = 0; i < N; i++) {
  // 2000 new connections per second of event time.
  const sec = Math.floor(i / 2000);
  const hms = new Date(Date.UTC(2026, 10, 28) + sec * 1000).toISOString().slice(11, 19);
  const pid = 100_000 + i;
  const ip = `198.51.${(i >> 8) & 255}.${i & 255}`;
  const msg =
    i % 2 === 0
      ? `Failed password for root from ${ip} port ${1024 + (i % 60000)} ssh2`
      : "error: kex_exchange_identification: Connection closed by remote host";
  p.feed({ text: `Nov 28 ${hms} victim sshd[${pid}]: ${msg}`, file: "flood.log", line: i + 1 }, take);
  if ((i + 1) % (N / 10) === 0) {
    console.log(
      `${String(i + 1).padStart(9)} ${String(p.connections).padStart(13)} ${String(p.held).padStart(6)} ${(heapMB() - before).toFixed(1).padStart(9)}`,
    );
  }
}
p.flush(take);
const s = (performance.now() - t0) / 1000;
console.log(`${outcomes} outcomes for ${N} lines, ${Math.round(N / s).toLocaleString("en-US")} lines/s`);
