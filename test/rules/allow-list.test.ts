import { describe, expect, it } from "vitest";
import type { Event } from "../../src/events/event.js";
import { AllowList } from "../../src/rules/allow-list.js";

const base = { ts: "2026-11-28T16:00:00.000Z", ms: 0, host: "fw1", source: { file: "k", line: 1 } };
const packet = (src: string): Event => ({
  ...base,
  type: "packet",
  src,
  dst: "203.0.113.10",
  proto: "tcp",
  dport: 22,
  flags: ["SYN"],
  mask: 2,
  cls: "syn",
  action: "drop",
  direction: "in",
});
const auth = (src: string): Event => ({ ...base, type: "auth", service: "sshd", kind: "failure", src });
const notice: Event = { ...base, type: "suppressed", count: 12 };

const cases: [string, string[], Event, boolean][] = [
  ["an address in a v4 range", ["192.0.2.0/24"], packet("192.0.2.77"), false],
  ["an address outside it", ["192.0.2.0/24"], packet("192.0.3.1"), true],
  ["a bare address", ["198.51.100.9"], packet("198.51.100.9"), false],
  ["a v6 range", ["2001:db8::/32"], packet("2001:db8:bad:1::66"), false],
  ["v6 outside", ["2001:db8::/32"], packet("2001:db9::1"), true],
  ["a v4 range does not take v6", ["0.0.0.0/0"], packet("2001:db8::1"), true],
  ["an sshd event by its source", ["198.51.100.0/24"], auth("198.51.100.74"), false],
  ["a kernel notice has no source and always passes", ["0.0.0.0/0", "::/0"], notice, true],
];

describe("global allow-list", () => {
  it.each(cases)("allow/%s", (_name, entries, event, kept) => {
    const list = AllowList.compile(entries);
    if (typeof list === "string") throw new Error(list);
    expect(list.filter([event])).toEqual(kept ? [event] : []);
    expect(list.allowed).toBe(kept ? 0 : 1);
  });

  it.each([
    ["not an address", "office", `"office" is not an IPv4 or IPv6 address or CIDR`],
    ["a prefix too long", "10.0.0.0/33", `"10.0.0.0/33": prefix length must be 0-32`],
  ])("allow/bad entry: %s", (_name, entry, message) => {
    expect(AllowList.compile([entry])).toBe(message);
  });
});
