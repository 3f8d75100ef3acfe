import { rng } from "../../../bench/generate.js";
import { describe, expect, it } from "vitest";
import { KeyWindow, keyWindowToJson, WindowLayout } from "../../../src/detect/window/key-window.js";
import { windowSpec, windowStart } from "../../../src/detect/window/window-spec.js";

const T0 = Date.UTC(2026, 10, 28, 12);
const layout = new WindowLayout([windowSpec(10_000)!, windowSpec(60_000)!], ["port", "host"], ["syn", "rst"]);

/** A scanner's packets: `n` SYNs `gap` ms apart to ports from `port0`, to two hosts. */
function feed(k: KeyWindow, n: number, t0: number, gap: number, port0: number): void {
  for (let i = 0; i < n; i++) {
    const t = t0 + i * gap;
    k.advance(t, new Date(t).toISOString());
    k.count(t, 1, { file: "kern.log", line: i + 1 });
    k.tag(0);
    k.member(0, port0 + i, t);
    k.member(1, i % 2 ? "203.0.113.10" : "203.0.113.11", t);
  }
}

/** Everything a key answers, per view, plus its JSON form without the identity. */
function answers(k: KeyWindow) {
  const views = [0, 1].map((v) => ({
    events: k.events(v),
    ports: k.distinct(0, v),
    hosts: k.distinct(1, v),
    syn: k.tagValue(0, v),
    rst: k.tagValue(1, v),
    samples: k.samples(v),
    members: k.members(0, v).sort(),
  }));
  const { k: _k, s: _s, d: _d, ...json } = keyWindowToJson(k);
  return { views, json };
}

describe("key-window/reuse", () => {
  it.each([
    ["one packet before", 1, 30_000],
    ["a scan before", 40, 100],
    ["a scan an hour before", 40, 3_600_000],
  ])("key-window/a reused key answers like a new one (%s)", (_name, n, before) => {
    const used = new KeyWindow(layout, "198.51.100.1", "198.51.100.1", "203.0.113.10", "tcp", "h");
    feed(used, n, T0 - before, 50, 1000);
    used.incidents = [undefined, undefined];
    used.lastSourcePort = 40000;
    used.reuse("198.51.100.2", "198.51.100.2", null, "tcp", "h");
    const fresh = new KeyWindow(layout, "198.51.100.2", "198.51.100.2", null, "tcp", "h");
    for (const k of [used, fresh]) feed(k, 12, T0, 700, 20);
    expect(answers(used)).toEqual(answers(fresh));
    expect([used.key, used.src, used.dst, used.incidents, used.lastSourcePort]).toEqual([
      "198.51.100.2",
      "198.51.100.2",
      null,
      undefined,
      -1,
    ]);
  });
});

describe("key-window/samples", () => {
  it("key-window/one packet is one sample in every view", () => {
    const k = new KeyWindow(layout, "a", "a", null, "tcp", "h");
    feed(k, 1, T0, 0, 1);
    expect(k.samples(0)).toEqual([{ file: "kern.log", line: 1 }]);
    expect(k.samples(1)).toEqual([{ file: "kern.log", line: 1 }]);
    expect(keyWindowToJson(k).r).toEqual([[{ file: "kern.log", line: 1 }], [{ file: "kern.log", line: 1 }]]);
  });

  it("key-window/a view that starts over after a quiet window drops its one sample, the other keeps it", () => {
    const k = new KeyWindow(layout, "a", "a", null, "tcp", "h");
    feed(k, 1, T0, 0, 1);
    k.advance(T0 + 20_000, new Date(T0 + 20_000).toISOString()); // quiet for the 10 s view only
    expect(k.samples(0)).toEqual([]);
    expect(k.samples(1)).toEqual([{ file: "kern.log", line: 1 }]);
    k.count(T0 + 20_000, 1, { file: "kern.log", line: 9 });
    expect(k.samples(0)).toEqual([{ file: "kern.log", line: 9 }]);
    expect(k.samples(1)).toEqual([
      { file: "kern.log", line: 1 },
      { file: "kern.log", line: 9 },
    ]);
  });

  it("key-window/at most MAX_SAMPLES samples per view", () => {
    const k = new KeyWindow(layout, "a", "a", null, "tcp", "h");
    feed(k, 9, T0, 10, 1);
    expect(k.samples(0).map((s) => s.line)).toEqual([1, 2, 3, 4, 5]);
  });
});

describe("key-window/a new episode", () => {
  it.each([
    // [gap after the last SYN, source port kept]: longer than every window (60 s) starts over.
    [59_999, 4242],
    [60_000, 4242],
    [60_001, -1],
    [3_600_000, -1],
  ])("key-window/quiet for %i ms keeps the last source port: %i", (gap, expected) => {
    const k = new KeyWindow(layout, "198.51.100.7", "198.51.100.7", null, "tcp", "victim");
    k.advance(T0, "t0");
    k.lastSourcePort = 4242;
    k.advance(T0 + gap, "t1");
    expect(k.lastSourcePort).toBe(expected);
  });
});

describe("key-window/a capped dimension", () => {
  it("key-window/counts exactly up to its cap, and the cap past it, on any stream of members", () => {
    const spec = windowSpec(10_000)!;
    const r = rng(11);
    const rnd = (n: number) => Math.floor(r() * n);
    for (const cap of [2, 4, 6]) {
      for (let round = 0; round < 40; round++) {
        const layout = new WindowLayout([spec], ["port"], [], undefined, [cap]);
        const k = new KeyWindow(layout, "k", "198.51.100.7", null, "tcp", "h");
        const seen = new Map<number, number>(); // brute force: each member's last time
        let t = Date.UTC(2026, 10, 28, 12);
        for (let i = 0; i < 600; i++) {
          // Phases of few members and of many (past the point where the key drops some).
          const many = i % 200 >= 100;
          t += rnd(4) * (many ? 40 : 500);
          // Now and then a little out of order, as a log's lines are.
          const at = t - (rnd(8) === 0 ? rnd(3) * 400 : 0);
          const port = rnd(many ? 400 : 12);
          k.advance(at, "");
          k.member(0, port, at);
          seen.set(port, Math.max(seen.get(port) ?? -Infinity, at));
          const from = windowStart(spec, k.clock);
          const exact = [...seen.values()].filter((x) => x >= from).length;
          expect(k.distinct(0, 0)).toBe(Math.min(exact, cap));
          expect(k.members(0, 0).length).toBeLessThanOrEqual(Math.max(2 * cap, 64));
        }
      }
    }
  });
});
