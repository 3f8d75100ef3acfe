import { describe, expect, it } from "vitest";
import type { Event, PacketEvent } from "../../src/events/event.js";
import { flagMaskOf, packetClass } from "../../src/events/packet-class.js";
import { RuleCopies } from "../../src/sources/rule-copies.js";

/* One packet logged by two LOG rules (UFW's [UFW AUDIT] and its verdict) counts once. */

const T0 = Date.UTC(2026, 10, 28, 9);

function pkt(over: Partial<PacketEvent> & { prefix: string; line: number; ms?: number }): PacketEvent {
  const mask = flagMaskOf(["SYN"]);
  const { line, ms, ...rest } = over;
  return {
    type: "packet",
    src: "198.51.100.9",
    dst: "203.0.113.21",
    proto: "tcp",
    sport: 40000,
    dport: 443,
    flags: ["SYN"],
    mask,
    cls: packetClass({ proto: "tcp" }, mask),
    action: "unknown",
    direction: "in",
    in: "eth0",
    id: 1000,
    len: 60,
    ttl: 58,
    ts: "",
    ms: ms ?? T0,
    host: "web1",
    source: { file: "kern.log", line },
    ...rest,
  };
}

const AUDIT = "[UFW AUDIT]";
const ALLOW = "[UFW ALLOW]";
const BLOCK = "[UFW BLOCK]";

/** Which lines of `events` pass, filtered in one batch and then one event per batch. */
function kept(events: Event[]): number[][] {
  const lines = (es: Event[]) => es.map((e) => e.source.line);
  const whole = lines(new RuleCopies().filter(events));
  const f = new RuleCopies();
  const oneByOne = events.flatMap((e) => lines(f.filter([e])));
  return [whole, oneByOne];
}

describe("rule-copies/one packet, two LOG rules", () => {
  it.each<[string, Event[], number[]]>([
    [
      "AUDIT then ALLOW of one packet: once",
      [pkt({ prefix: AUDIT, line: 1 }), pkt({ prefix: ALLOW, line: 2 })],
      [1],
    ],
    [
      "AUDIT then BLOCK across a second boundary: once",
      [pkt({ prefix: AUDIT, line: 1 }), pkt({ prefix: BLOCK, line: 2, ms: T0 + 1000 })],
      [1],
    ],
    [
      "two packets, each AUDIT then BLOCK: twice",
      [
        pkt({ prefix: AUDIT, line: 1 }),
        pkt({ prefix: BLOCK, line: 2 }),
        pkt({ prefix: AUDIT, line: 3, id: 1001 }),
        pkt({ prefix: BLOCK, line: 4, id: 1001 }),
      ],
      [1, 3],
    ],
    [
      "a retransmission with the same fields under the same rules: a packet each time",
      [
        pkt({ prefix: AUDIT, line: 1 }),
        pkt({ prefix: BLOCK, line: 2 }),
        pkt({ prefix: AUDIT, line: 3, ms: T0 + 1000 }),
        pkt({ prefix: BLOCK, line: 4, ms: T0 + 1000 }),
      ],
      [1, 3],
    ],
    [
      "identical packets under one rule (a flood): every one",
      [
        pkt({ prefix: AUDIT, line: 1 }),
        pkt({ prefix: BLOCK, line: 2, dport: 80 }),
        pkt({ prefix: BLOCK, line: 3, dport: 80 }),
      ],
      [1, 2, 3],
    ],
    [
      "another IP ID, port, length, TTL or interface: another packet",
      [
        pkt({ prefix: AUDIT, line: 1 }),
        pkt({ prefix: BLOCK, line: 2, id: 7 }),
        pkt({ prefix: BLOCK, line: 3, sport: 40001 }),
        pkt({ prefix: BLOCK, line: 4, len: 52 }),
        pkt({ prefix: BLOCK, line: 5, ttl: 57 }),
        pkt({ prefix: BLOCK, line: 6, in: undefined, out: "lo" }),
      ],
      [1, 2, 3, 4, 5, 6],
    ],
    [
      "more than the window apart: two packets",
      [pkt({ prefix: AUDIT, line: 1 }), pkt({ prefix: BLOCK, line: 2, ms: T0 + 2001 })],
      [1, 2],
    ],
    [
      "another file or host: not a copy (files are deduplicated elsewhere)",
      [
        pkt({ prefix: AUDIT, line: 1 }),
        pkt({ prefix: BLOCK, line: 2, source: { file: "ufw.log", line: 2 } }),
        pkt({ prefix: BLOCK, line: 3, host: "web2" }),
      ],
      [1, 2, 3],
    ],
    [
      "no prefix: never a copy",
      [pkt({ prefix: AUDIT, line: 1 }), { ...pkt({ prefix: "", line: 2 }), prefix: undefined }],
      [1, 2],
    ],
  ])("rule-copies/%s", (_name, events, expected) => {
    const [whole, oneByOne] = kept(events);
    expect(whole).toEqual(expected);
    expect(oneByOne).toEqual(expected);
  });

  it("rule-copies/counts what it drops and returns the batch itself when nothing is dropped", () => {
    const f = new RuleCopies();
    const clean = [pkt({ prefix: BLOCK, line: 1 }), pkt({ prefix: BLOCK, line: 2, id: 2 })];
    expect(f.filter(clean)).toBe(clean);
    f.filter([pkt({ prefix: AUDIT, line: 3, id: 3 }), pkt({ prefix: ALLOW, line: 4, id: 3 })]);
    expect(f.dropped).toBe(1);
  });
});
