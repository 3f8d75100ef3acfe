import { describe, expect, it } from "vitest";
import type { Event } from "../../../src/events/event.js";
import { BatchEncoder, decodeBatch } from "../../../src/sources/parse-pool/event-codec.js";

const packet = (i: number, extra: Record<string, unknown> = {}): Event =>
  ({
    type: "packet",
    ts: "2026-11-28T10:00:00.000+00:00",
    ms: 1795860000000 + i,
    host: "victim",
    src: `198.51.100.${i}`,
    dst: "203.0.113.10",
    proto: i % 2 ? "tcp" : 47,
    mask: 2,
    cls: "syn",
    action: "drop",
    direction: "in",
    source: { file: "/var/log/kern.log", line: i + 1 },
    ...extra,
  }) as Event;

describe("event codec", () => {
  it("codec/round trip keeps values, kinds and key order", () => {
    const events: Event[] = [
      packet(1, {
        flags: ["SYN", "ECE"],
        df: true,
        tcpOptions: { mss: 1460, kinds: [2, 4, 8], sackPermitted: true },
      }),
      packet(2, { flags: [], df: false, len: -0, ttl: undefined }),
      packet(3, { prefix: "FW-IN:", in: "eth0", odd: [1, "x", null], nothing: null }),
      {
        type: "auth",
        ts: "2026-11-28T10:00:01.000+00:00",
        ms: 1,
        host: "",
        source: { file: "a", line: 9 },
        service: "sshd",
        kind: "failure",
        src: "héllo ✓",
        srcVia: "pid",
      } as Event,
      packet(1, { df: true, flags: ["SYN", "ECE"] }), // the same keys in another order
    ];
    const enc = new BatchEncoder();
    for (const e of events) enc.add(e);
    const out = decodeBatch(enc.take());
    expect(out.map((e) => Object.keys(e))).toEqual(events.map((e) => Object.keys(e)));
    expect(out).toEqual(events);
    expect(Object.is((out[1] as { len?: number }).len, -0)).toBe(true);
    expect(out[0]!.source).not.toBe(out[4]!.source);
  });

  it("codec/batches are independent: strings and shapes start over after take", () => {
    const enc = new BatchEncoder();
    enc.add(packet(1));
    const first = enc.take();
    enc.add(packet(2, { prefix: "X" }));
    enc.add(packet(3));
    const second = enc.take();
    expect(first.count).toBe(1);
    expect(decodeBatch(second)).toEqual([packet(2, { prefix: "X" }), packet(3)]);
    expect(decodeBatch(first)).toEqual([packet(1)]);
    expect(enc.count).toBe(0);
  });
});
