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
const flood = new WindowLayout([windowSpec(10_000)], ["port"], []);

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
