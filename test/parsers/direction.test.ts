import { describe, expect, it } from "vitest";
import { directionOf } from "../../src/parsers/netfilter.js";

describe("direction", () => {
  it.each([
    ["INPUT from outside", "eth0", "", "in"],
    ["OUTPUT to outside", "", "eth0", "out"],
    ["FORWARD through the host", "eth0", "eth1", "forward"],
    ["INPUT over loopback (to 127.0.0.1 or the host's own address)", "lo", "", "local"],
    ["OUTPUT over loopback", "", "lo", "local"],
    ["neither interface logged (a bridge or a format without them)", "", "", "unknown"],
    ["an interface merely starting with lo is not loopback", "lo1", "", "in"],
    ["a VPN interface", "wg0", "", "in"],
  ])("direction/%s: IN=%s OUT=%s is %s", (_name, inIf, outIf, expected) => {
    expect(directionOf(inIf, outIf)).toBe(expected);
  });
});
