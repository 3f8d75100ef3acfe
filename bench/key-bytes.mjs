/* global gc */
/**
 * Bytes of heap per tracked key, by kind of key, on the compiled code:
 *   npm run build && node --expose-gc bench/key-bytes.mjs
 * Creates 100,000 keys of each kind holding what a spoofed flood leaves in them (one packet),
 * and prints the heap growth per key after a full GC.
 */
import { KeyWindow, WindowLayout } from "../dist/detect/window/key-window.js";
import { windowSpec } from "../dist/detect/window/window-spec.js";

if (typeof gc !== "function") throw new Error("run with node --expose-gc");
const N = 100_000;
const T0 = Date.UTC(2026, 10, 28);
const ref = { file: "kern.log", line: 1 };
const tcpScan = new WindowLayout(
  [windowSpec(60_000), windowSpec(3_600_000)],
  ["port", "host"],
  ["syn", "raw", "os", "rst", "ackrst", "ack", "sshd", "sportChange"],
);
const portSweep = new WindowLayout([windowSpec(60_000)], ["host", "port"], []);
const flood = new WindowLayout([windowSpec(10_000)], ["port"], ["syn", "raw", "os"]);

function measure(label, make) {
  gc();
  const before = process.memoryUsage().heapUsed;
  const keep = [];
  for (let i = 0; i < N; i++) keep.push(make(i));
  gc();
  const per = (process.memoryUsage().heapUsed - before) / N;
  console.log(`${label.padEnd(52)} ${Math.round(per).toString().padStart(5)} B/key`);
  return keep.length;
}

const src = (i) => `198.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
measure("tcp-scan key (fast + slow view), one SYN", (i) => {
  const k = new KeyWindow(tcpScan, src(i), src(i), "203.0.113.10", "tcp", "victim");
  k.advance(T0 + i, "2026-11-28T00:00:00.000+00:00");
  k.count(T0 + i, 1, ref);
  k.tag(0);
  k.tag(1);
  k.member(1, "203.0.113.10", T0 + i);
  k.member(0, 80, T0 + i);
  return k;
});
measure("port-sweep key, one SYN", (i) => {
  const k = new KeyWindow(portSweep, `${src(i)}|tcp`, src(i), null, "tcp", "victim");
  k.advance(T0 + i, "2026-11-28T00:00:00.000+00:00");
  k.count(T0 + i, 1, ref);
  k.member(1, 80, T0 + i);
  k.member(0, "203.0.113.10", T0 + i);
  return k;
});
measure("flood key (source|target), one SYN", (i) => {
  const k = new KeyWindow(flood, `${src(i)}|203.0.113.10`, src(i), "203.0.113.10", "tcp", "victim");
  k.advance(T0 + i, "2026-11-28T00:00:00.000+00:00");
  k.count(T0 + i, 1, ref);
  k.member(0, 80, T0 + i);
  k.tag(0);
  k.tag(1);
  return k;
});
measure("tcp-scan key, 20 SYNs to 20 ports over 20 s", (i) => {
  const k = new KeyWindow(tcpScan, src(i), src(i), "203.0.113.10", "tcp", "victim");
  for (let p = 0; p < 20; p++) {
    const t = T0 + i + p * 1000;
    k.advance(t, "2026-11-28T00:00:00.000+00:00");
    k.count(t, 1, ref);
    k.tag(0);
    k.member(1, "203.0.113.10", t);
    k.member(0, 1000 + p, t);
  }
  return k;
});

// Through the engine: a spoofed source's one SYN, parked in the tcp-scan, port-sweep and
// syn-flood states (three keys) until a second packet comes, parsed from a real log line so that
// its strings are what the parser makes.
const { Engine } = await import("../dist/detect/engine.js");
const { MemoryStore } = await import("../dist/detect/memory-store.js");
const { Diagnostics } = await import("../dist/diagnostics.js");
const { LineParser } = await import("../dist/parsers/line-parser.js");
const { loadRules, SHIPPED_RULES_DIR } = await import("../dist/rules/load-rules.js");
const rules = await loadRules(SHIPPED_RULES_DIR);
const parser = new LineParser({ time: { zone: "UTC", year: 2026, referenceMs: T0 } });
const line = (i) =>
  `Nov 28 00:00:00 victim kernel: [ 6000.000000] FW-IN: IN=eth0 OUT= MAC=52:54:00:12:34:56:52:54:00:65:43:21:08:00 SRC=${src(i)} DST=203.0.113.10 LEN=40 TOS=0x00 PREC=0x00 TTL=63 ID=${i & 65535} PROTO=TCP SPT=1024 DPT=443 WINDOW=512 RES=0x00 SYN URGP=0 `;
{
  // Bound high enough that nothing is evicted; the target's own ddos and distributed-scan keys
  // are two keys in all, not per source.
  const engine = new Engine(rules, new MemoryStore(), { diagnostics: new Diagnostics(), maxKeys: 40 * N });
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < N; i += 1000) {
    const batch = [];
    for (let j = i; j < i + 1000; j++) {
      const o = parser.parse(line(j), "kern.log", j + 1);
      if (o.ok) batch.push(o.event);
    }
    await engine.process(batch);
  }
  gc();
  const per = (process.memoryUsage().heapUsed - before) / N;
  console.log(
    `${"one spoofed SYN, parked in 3 states (per packet)".padEnd(52)} ${Math.round(per).toString().padStart(5)} B/packet  (${engine.keyCount.toLocaleString("en-US")} keys)`,
  );
}
