import { describe, expect, it } from "vitest";
import type { Event } from "../../src/events/event.js";
import { CrossFileDedup } from "../../src/sources/dedup.js";

/*
 * Lines read from two files (UFW's kern.log and ufw.log), as a table: the sequence read, and
 * which of it is kept. `k3@10` is packet 3 at second 10 read from kern.log, `u3@10` the same
 * line from ufw.log, `a…` from auth.log.
 */
const FILES: Record<string, string> = {
  k: "/var/log/kern.log",
  u: "/var/log/ufw.log",
  a: "/var/log/auth.log",
};

function ev(code: string): Event {
  const m = /^([kua])(\d+)@(\d+)$/.exec(code)!;
  const ms = Date.parse("2026-11-28T16:00:00Z") + Number(m[3]) * 1000;
  return {
    type: "packet",
    ts: new Date(ms).toISOString(),
    ms,
    host: "web1",
    source: { file: FILES[m[1]!]!, line: 1 },
    src: "198.51.100.131",
    dst: "203.0.113.21",
    proto: "tcp",
    sport: 36552,
    dport: 1000 + Number(m[2]),
    flags: ["SYN"],
    mask: 2,
    cls: "syn",
    action: "drop",
    direction: "in",
  };
}

const name = (e: Event) =>
  `${Object.keys(FILES).find((k) => FILES[k] === e.source.file)}${(e as { dport: number }).dport - 1000}@${(e.ms - Date.parse("2026-11-28T16:00:00Z")) / 1000}`;

const cases: [string, string[][], string[]][] = [
  ["one line in both files is kept once", [["k1@0", "u1@0"]], ["k1@0"]],
  [
    "copies in later batches",
    [
      ["k1@0", "k2@0"],
      ["u1@0", "u2@0"],
    ],
    ["k1@0", "k2@0"],
  ],
  ["the ufw copy read first wins", [["u1@0"], ["k1@0"]], ["u1@0"]],
  ["a line logged twice in one file counts twice", [["k1@0", "k1@0"]], ["k1@0", "k1@0"]],
  [
    "twice in kern, three times in ufw: three",
    [["k1@0", "k1@0", "u1@0", "u1@0", "u1@0"]],
    ["k1@0", "k1@0", "u1@0"],
  ],
  ["interleaved", [["k1@0", "u1@0", "u1@0", "k1@0"]], ["k1@0", "u1@0"]],
  ["different lines are all kept", [["k1@0", "u2@0", "a3@0"]], ["k1@0", "u2@0", "a3@0"]],
  ["a copy after the window is not a copy", [["k1@0", "k2@6"], ["u1@0"]], ["k1@0", "k2@6", "u1@0"]],
  ["a copy inside the window is", [["k1@0", "k2@4"], ["u1@0"]], ["k1@0", "k2@4"]],
  [
    "after the first copy, the file that lags holds the window open (catch-up after a restart)",
    [
      ["k1@0", "u1@0", "u2@100", "u3@200"],
      ["k2@100", "k3@200"],
    ],
    ["k1@0", "u2@100", "u3@200"],
  ],
  [
    "an idle file does not hold the window open",
    [["a9@0", "k1@0", "u1@0"], ["k2@100", "u2@100"], ["k3@200"], ["u3@200"]],
    ["a9@0", "k1@0", "k2@100", "k3@200"],
  ],
];

describe("cross-file dedup", () => {
  it.each(cases)("dedup/%s", (_name, batches, kept) => {
    const d = new CrossFileDedup({ windowMs: 5000 });
    const out = batches.flatMap((b) => d.filter(b.map(ev)));
    expect(out.map(name)).toEqual(kept);
    expect(d.dropped).toBe(batches.flat().length - kept.length);
  });

  it("dedup/counts drops by the file the copy came from", () => {
    const d = new CrossFileDedup({ windowMs: 5000 });
    d.filter(["k1@0", "u1@0", "k2@1", "u2@1", "u3@1", "k3@1"].map(ev));
    expect(Object.fromEntries(d.droppedByFile)).toEqual({ [FILES.u!]: 2, [FILES.k!]: 1 });
  });

  it("dedup/memory is bounded", () => {
    const d = new CrossFileDedup({ windowMs: 60_000, maxEntries: 100 });
    d.filter(Array.from({ length: 1000 }, (_, i) => ev(`k${i}@0`)));
    // The oldest were forgotten to stay within the bound: their copies are counted again.
    expect(d.filter([ev("u0@0"), ev("u999@0")]).map(name)).toEqual(["u0@0"]);
  });
});
