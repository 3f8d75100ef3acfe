import { describe, expect, it } from "vitest";
import { canonicalIp, ipv6Net64, isGroupAddress, isIpv4, parseV6 } from "../../src/parsers/ip.js";

describe("canonicalIp", () => {
  it.each([
    // IPv4
    { name: "v4 plain", input: "198.51.100.7", out: "198.51.100.7" },
    { name: "v4 leading zeros", input: "198.051.100.007", out: "198.51.100.7" },
    { name: "v4 leading zero in first octet", input: "010.0.0.1", out: "10.0.0.1" },
    { name: "v4 all zeros written long", input: "000.00.0.00", out: "0.0.0.0" },
    { name: "v4 broadcast", input: "255.255.255.255", out: "255.255.255.255" },
    // IPv6, RFC 5952 text
    { name: "v6 already canonical", input: "2001:db8::1", out: "2001:db8::1" },
    { name: "v6 upper case", input: "2001:DB8::A", out: "2001:db8::a" },
    { name: "v6 fully written", input: "2001:0db8:0000:0000:0000:0000:0000:0001", out: "2001:db8::1" },
    { name: "v6 zeros written out", input: "2001:db8:0:0:0:0:2:1", out: "2001:db8::2:1" },
    { name: "v6 longest zero run wins", input: "2001:0:0:1:0:0:0:1", out: "2001:0:0:1::1" },
    { name: "v6 first of equal runs", input: "2001:db8:0:0:1:0:0:1", out: "2001:db8::1:0:0:1" },
    { name: "v6 single zero group stays", input: "2001:db8:0:1:1:1:1:1", out: "2001:db8:0:1:1:1:1:1" },
    { name: "v6 :: with one missing group", input: "1:2:3:4:5:6:7::", out: "1:2:3:4:5:6:7:0" },
    { name: "v6 unspecified", input: "::", out: "::" },
    { name: "v6 loopback written long", input: "0:0:0:0:0:0:0:1", out: "::1" },
    { name: "v6 trailing ::", input: "2001:db8::", out: "2001:db8::" },
    { name: "v6 leading zeros in groups", input: "2001:0db8:0001:0010::0100", out: "2001:db8:1:10::100" },
    { name: "v6 link-local with zone", input: "fe80::1%eth0", out: "fe80::1%eth0" },
    { name: "v6 zone is lower-cased", input: "FE80::0001%ETH0", out: "fe80::1%eth0" },
    { name: "v6 NAT64 with dotted tail", input: "64:ff9b::198.51.100.7", out: "64:ff9b::c633:6407" },
    // IPv4 seen through an IPv6 socket
    { name: "v4-mapped dotted", input: "::ffff:198.51.100.7", out: "198.51.100.7" },
    { name: "v4-mapped upper case", input: "::FFFF:198.51.100.7", out: "198.51.100.7" },
    { name: "v4-mapped hex", input: "::ffff:c633:6407", out: "198.51.100.7" },
    {
      name: "v4-mapped fully written",
      input: "0000:0000:0000:0000:0000:ffff:cb00:710a",
      out: "203.0.113.10",
    },
  ])("canonicalIp/$name", ({ input, out }) => {
    expect(canonicalIp(input)).toBe(out);
  });

  it.each([
    { name: "empty", input: "" },
    { name: "v4 octet above 255", input: "198.51.100.256" },
    { name: "v4 three octets", input: "198.51.100" },
    { name: "v4 five octets", input: "1.2.3.4.5" },
    { name: "v4 trailing dot", input: "1.2.3." },
    { name: "v4 leading dot", input: ".1.2.3" },
    { name: "v4 empty octet", input: "1..2.3" },
    { name: "v4 four-digit octet", input: "0001.2.3.4" },
    { name: "v4 hex octet", input: "0x7f.0.0.1" },
    { name: "v4 negative", input: "-1.2.3.4" },
    { name: "v4 trailing space", input: "1.2.3.4 " },
    { name: "v4 leading space", input: " 1.2.3.4" },
    { name: "v4 with port", input: "1.2.3.4:22" },
    { name: "v4 CIDR", input: "198.51.100.0/24" },
    { name: "v4 full-width digits", input: "１９８.５１.１００.７" },
    { name: "v4 Arabic-Indic digits", input: "١٩٨.٥١.١٠٠.٧" },
    { name: "host name", input: "attacker.example.com" },
    { name: "letters", input: "a.b.c.d" },
    { name: "v6 triple colon", input: "2001:db8:::1" },
    { name: "v6 two ::", input: "2001:db8::1::1" },
    { name: "v6 nine groups", input: "1:2:3:4:5:6:7:8:9" },
    { name: "v6 seven groups", input: "1:2:3:4:5:6:7" },
    { name: "v6 :: with nothing missing", input: "1:2:3:4:5:6:7:8::" },
    { name: "v6 five-digit group", input: "12345::1" },
    { name: "v6 non-hex", input: "g::1" },
    { name: "v6 lone leading colon", input: ":1:2:3:4:5:6:7" },
    { name: "v6 lone trailing colon", input: "1:2:3:4:5:6:7:" },
    { name: "v6 bad dotted tail", input: "::ffff:198.51.100.256" },
    { name: "v6 dotted in the middle", input: "1.2.3.4::" },
    { name: "v6 brackets", input: "[2001:db8::1]" },
    { name: "zone only", input: "%eth0" },
    { name: "too long", input: "1".repeat(65) },
    { name: "too long v6", input: "0000:".repeat(12) + "1" },
  ])("canonicalIp/invalid $name", ({ input }) => {
    expect(canonicalIp(input)).toBeUndefined();
  });
});

describe("isIpv4", () => {
  it.each([
    ["198.51.100.7", true],
    ["0.0.0.0", true],
    ["1.2.3", false],
    ["1.2.3.4.", false],
    ["", false],
  ] as const)("isIpv4/%s", (input, ok) => {
    expect(isIpv4(input)).toBe(ok);
  });
});

describe("parseV6", () => {
  it.each([
    { input: "::", groups: [0, 0, 0, 0, 0, 0, 0, 0] },
    { input: "2001:db8::1", groups: [0x2001, 0xdb8, 0, 0, 0, 0, 0, 1] },
    { input: "::ffff:1.2.3.4", groups: [0, 0, 0, 0, 0, 0xffff, 0x0102, 0x0304] },
    { input: "1::", groups: [1, 0, 0, 0, 0, 0, 0, 0] },
    { input: "1:2:3:4:5:6:7:8", groups: [1, 2, 3, 4, 5, 6, 7, 8] },
  ])("parseV6/$input", ({ input, groups }) => {
    expect(parseV6(input)).toEqual(groups);
  });

  it.each([":", ":::", "1", "1:2", "::1::", "1:2:3:4:5:6:7:8:9"])("parseV6/invalid %s", (input) => {
    expect(parseV6(input)).toBeUndefined();
  });
});

describe("ipv6Net64", () => {
  it.each<[string, string | undefined]>([
    ["2001:db8:1:2::1", "2001:db8:1:2::/64"],
    ["2001:db8:1:2:ffff:ee:dd:cc", "2001:db8:1:2::/64"],
    ["2001:db8::1", "2001:db8::/64"],
    ["2001:db8:0:1::5", "2001:db8:0:1::/64"],
    ["::1", "::/64"],
    // IPv4, and a link-local address with its zone: no /64 to group by.
    ["198.51.100.7", undefined],
    ["fe80::1%eth0", undefined],
    // NAT64 and Teredo: unrelated IPv4 clients behind one /64.
    ["64:ff9b::c633:6407", undefined],
    ["64:ff9b:1::c633:6407", undefined],
    ["2001:0:4136:e378:8000:63bf:3fff:fdd2", undefined],
  ])("ipv6Net64/%s", (addr, net) => {
    expect(ipv6Net64(addr)).toBe(net);
  });
});

describe("isGroupAddress", () => {
  it.each([
    ["mDNS 224.0.0.251", "224.0.0.251", true],
    ["SSDP 239.255.255.250", "239.255.255.250", true],
    ["the top of 224.0.0.0/4", "239.0.0.1", true],
    ["the limited broadcast", "255.255.255.255", true],
    ["IPv6 all-nodes ff02::1", "ff02::1", true],
    ["IPv6 mDNS ff02::fb", "ff02::fb", true],
    ["just below multicast: 223.255.255.255", "223.255.255.255", false],
    ["just above multicast: 240.0.0.1 (reserved, unicast-shaped)", "240.0.0.1", false],
    ["a subnet's .255: a host to anyone without the netmask", "192.168.1.255", false],
    ["a unicast host", "203.0.113.10", false],
    ["IPv6 unicast", "2001:db8::1", false],
    ["IPv6 link-local fe80::1", "fe80::1", false],
  ])("isGroupAddress/%s", (_name, ip, expected) => {
    expect(isGroupAddress(ip)).toBe(expected);
  });
});
