import { describe, expect, it } from "vitest";
import { renderAlertSummary, renderLate } from "../../src/cli/summary.js";
import { formatAlertText } from "../../src/sinks/stdout.js";
import { hostPort } from "../../src/util/address.js";
import { visibleLength, wrapUnits } from "../../src/util/wrap.js";
import { makeAlert } from "./http-endpoint.js";

const scan = makeAlert(1, {
  id: "984a39ad5c1e2f3a4b5c6d7e",
  type: "half-open-scan",
  rule: "tcp-scan",
  severity: "medium",
  src: "2001:db8:bad:1::66",
  dst: "2001:db8:10::10",
  ports: Array.from({ length: 100 }, (_, i) => i + 1),
  distinctPorts: 1000,
  events: 12345,
  confidence: 0.8,
  lastSeen: "2026-11-28T16:03:42.000Z",
  evidence: [
    "101 of 101 SYNs carry a raw-packet scanner fingerprint (no DF; window 1024-4096, or MSS-only or no TCP options)",
    "6 bare RST(s) from the source: its kernel resetting SYN/ACKs it never asked for",
  ],
});

describe("terminal", () => {
  it("alert/one line per header when no width is known (a pipe)", () => {
    const [head] = formatAlertText(scan, false).split("\n");
    expect(head).toBe(
      "2026-11-28 16:03:42 MEDIUM   half-open-scan/syn 2001:db8:bad:1::66 → 2001:db8:10::10 1,000 ports (1,2,3,4,5,6,7,8,…), 12,345 events confidence 0.8  [new tcp-scan 984a39ad]",
    );
  });

  it.each([40, 60, 80, 120])("alert/fits %i columns, wrapping at words, never inside the tag", (width) => {
    for (const color of [false, true]) {
      const lines = formatAlertText(scan, color, width).trimEnd().split("\n");
      for (const l of lines) expect(visibleLength(l), l).toBeLessThanOrEqual(width);
      expect(lines.some((l) => l.includes("[new tcp-scan 984a39ad]"))).toBe(true);
      expect(lines.some((l) => l.includes("2026-11-28 16:03:42"))).toBe(true);
      expect(lines.slice(1).every((l) => l.startsWith("    "))).toBe(true);
    }
  });

  it("wrap/a unit wider than the line is kept whole on its own line", () => {
    expect(wrapUnits(["a", "0123456789", "b"], 5, " ")).toEqual(["a", " 0123456789", " b"]);
  });

  it("summary/alert types most first, ties by name, with thousands separators", () => {
    const byType = new Map([
      ["ssh-bruteforce", 1],
      ["half-open-scan", 1200],
      ["full-connect-scan", 1],
    ]);
    expect(renderAlertSummary({ alerts: 1202, byType, store: "memory", seconds: 2, lines: 3_494_000 })).toBe(
      "alerts: 1,202 (half-open-scan 1,200, full-connect-scan 1, ssh-bruteforce 1)   store: memory   2.00 s, 1,747,000 lines/s\n",
    );
  });

  it.each([
    [0, ""],
    [
      1,
      "  1 event came more than 5 s behind the newest time already read (files out of step, or a clock set back). It still counts in windows that had not moved past it, so alerts may be late or missing; if the files are expected to lag each other, raise --disorder (now 5 s).\n",
    ],
    [1234, "  1,234 events came more than 5 s behind"],
  ])("summary/late events in words (%i)", (n, start) => {
    const text = renderLate(n, 5000);
    expect(text.startsWith(start)).toBe(true);
    if (n === 0) expect(text).toBe("");
  });

  it.each([
    ["203.0.113.5", 4000, "203.0.113.5:4000"],
    ["2001:db8::66", 4000, "[2001:db8::66]:4000"],
    ["::1", "9464", "[::1]:9464"],
  ])("address/%s port %s", (addr, port, want) => {
    expect(hostPort(addr, port)).toBe(want);
  });
});
