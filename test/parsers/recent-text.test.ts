import { describe, expect, it } from "vitest";
import { parseNetfilter } from "../../src/parsers/netfilter.js";
import { RecentText } from "../../src/parsers/recent-text.js";

describe("RecentText", () => {
  it("hands out one string object while lines repeat the text, a new one when it changes", () => {
    const r = new RecentText();
    const a = r.at("host1 kernel: x", 0, 5);
    const b = r.at("xx host1 sshd: y", 3, 8);
    expect(a).toBe("host1");
    expect(b).toBe(a);
    const c = r.at("host2 kernel: x", 0, 5);
    expect(c).toBe("host2");
    // A longer text that starts like the last one is not mistaken for it, nor a shorter one.
    expect(r.at("host22 x", 0, 6)).toBe("host22");
    expect(r.at("host2", 0, 4)).toBe("host");
    expect(r.at("abc", 1, 1)).toBe("");
  });
});

describe("netfilter LOG prefix", () => {
  const payload =
    "IN=eth0 OUT= SRC=198.51.100.7 DST=203.0.113.10 LEN=40 TTL=50 ID=1 PROTO=TCP SPT=1 DPT=22 WINDOW=1024 RES=0x00 SYN URGP=0";
  it.each([
    ["FW-IN: ", "FW-IN:"],
    ["  [UFW BLOCK] ", "[UFW BLOCK]"],
    ["\tDROP\t", "DROP"],
    ["\u00a0FW-IN:\u00a0 ", "FW-IN:"],
    ["\u0001DROP\u001f ", "\u0001DROP\u001f"],
    ["", undefined],
    ["   ", undefined],
  ])("%j is read as String.trim reads it: %j", (prefix, want) => {
    const r = parseNetfilter(prefix + payload, () => "drop");
    expect(r.ok && r.fields.prefix).toBe(want ?? undefined);
    if (want !== undefined) expect(want).toBe(prefix.trim());
  });
});
