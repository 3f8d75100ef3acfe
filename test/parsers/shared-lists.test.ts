import { describe, expect, it } from "vitest";
import { FlagCollector, flagWordAt, kindList } from "../../src/parsers/shared-lists.js";
import { parseNetfilter } from "../../src/parsers/netfilter.js";

/* Flag and option-kind lists shared between events: the same words in the same order as the line. */

function flagsOf(words: string): string[] {
  const c = new FlagCollector();
  c.reset();
  for (const w of words.split(" ").filter(Boolean)) {
    const i = flagWordAt(w, 0);
    if (i >= 0) c.add(i);
  }
  return c.list();
}

describe("shared-lists/flags", () => {
  it.each([
    ["SYN", ["SYN"]],
    ["ACK SYN", ["ACK", "SYN"]],
    ["CWR ECE SYN", ["CWR", "ECE", "SYN"]],
    ["URG PSH FIN", ["URG", "PSH", "FIN"]],
    ["", []],
    // Out of the kernel's order or repeated: word for word, never reordered or merged.
    ["SYN ACK", ["SYN", "ACK"]],
    ["SYN SYN", ["SYN", "SYN"]],
    ["FIN SYN RST SYN", ["FIN", "SYN", "RST", "SYN"]],
    ["SYN XYZ ACK", ["SYN", "ACK"]],
  ])("shared-lists/%j gives %j", (words, expected) => {
    expect(flagsOf(words)).toEqual(expected);
  });

  it("shared-lists/equal flags in kernel order are one frozen list; odd ones are fresh", () => {
    expect(flagsOf("ACK SYN")).toBe(flagsOf("ACK SYN"));
    expect(Object.isFrozen(flagsOf("ACK SYN"))).toBe(true);
    expect(flagsOf("SYN SYN")).not.toBe(flagsOf("SYN SYN"));
  });
});

describe("shared-lists/option kinds", () => {
  it("shared-lists/up to six kinds share one list per contents; longer lists are copies", () => {
    const a = kindList([2, 4, 8, 1, 3, 99, 99], 5);
    expect(a).toEqual([2, 4, 8, 1, 3]);
    expect(kindList([2, 4, 8, 1, 3], 5)).toBe(a);
    expect(kindList([2, 4, 8, 1], 4)).not.toBe(a);
    expect(kindList([], 0)).toEqual([]);
    const long = [1, 1, 1, 1, 1, 1, 1, 2];
    expect(kindList(long, 8)).toEqual(long);
    expect(kindList(long, 8)).not.toBe(kindList(long, 8));
    // No two contents share a code: [0, 2] against [2] (a leading zero), [1, 0] against [1].
    expect(kindList([0, 2], 2)).toEqual([0, 2]);
    expect(kindList([2], 1)).toEqual([2]);
    expect(kindList([1, 0], 2)).toEqual([1, 0]);
    expect(kindList([1], 1)).toEqual([1]);
  });

  it("shared-lists/two parsed SYNs from one stack share their lists", () => {
    const line = (id: number) =>
      `FW-IN: IN=eth0 OUT= SRC=198.51.2.77 DST=203.0.113.10 LEN=60 TTL=63 ID=${id} DF PROTO=TCP SPT=4${id} DPT=443 WINDOW=64240 RES=0x00 SYN URGP=0 OPT (020405B40402080A03a3bbc9000000000103030${id % 8})`;
    const [ra, rb] = [parseNetfilter(line(1), () => "drop"), parseNetfilter(line(9), () => "drop")];
    if (!ra.ok || !rb.ok) throw new Error("not parsed");
    const [a, b] = [ra.fields, rb.fields];
    expect(a.flags).toEqual(["SYN"]);
    expect(a.flags).toBe(b.flags);
    expect(a.tcpOptions?.kinds).toEqual([2, 4, 8, 1, 3]);
    expect(a.tcpOptions?.kinds).toBe(b.tcpOptions?.kinds);
    expect(a.tcpOptions?.wscale).toBe(1);
  });
});
