import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { findNetfilterStart } from "../../src/parsers/netfilter.js";

/** The definition, one occurrence at a time (quadratic on a word of many `IN=`). */
function reference(msg: string): number {
  for (let i = msg.indexOf("IN="); i >= 0; i = msg.indexOf("IN=", i + 1)) {
    if (i === 0 || msg.charCodeAt(i - 1) === 32) return i;
    const sp = msg.indexOf(" ", i);
    if (sp > 0 && msg.startsWith("OUT=", sp + 1)) return i;
  }
  return -1;
}

describe("findNetfilterStart", () => {
  it.each<[string, number]>([
    ["IN=eth0 OUT= SRC=1.2.3.4", 0],
    ["FW-IN: IN=eth0 OUT=", 7],
    ["Shorewall:net2fw:DROP:IN=eth0 OUT= MAC=", 22],
    ["IN=br0 OUT=br0 PHYSIN=eth0 PHYSOUT=eth1", 0],
    ["PHYSIN=a PHYSOUT=b", -1],
    ["xIN=a xIN=b OUT=", 7],
    ["aIN=bIN=c OUT=", 1],
    ["xIN=xIN=xIN=", -1],
    ["xIN=a", -1],
    ["no fields here", -1],
    ["", -1],
  ])("%j → %i", (msg, want) => {
    expect(findNetfilterStart(msg)).toBe(want);
    expect(reference(msg)).toBe(want);
  });

  it("agrees with the definition on text made of its own words", () => {
    const word = fc.constantFrom("IN=", "OUT=", " ", "x", "eth0", "PHYS", "=", "IN");
    fc.assert(
      fc.property(fc.array(word, { maxLength: 40 }), (ws) => {
        const msg = ws.join("");
        expect(findNetfilterStart(msg)).toBe(reference(msg));
      }),
      { numRuns: 5000 },
    );
  });
});
