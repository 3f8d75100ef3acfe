import { describe, expect, it } from "vitest";
import {
  isCraftedIcmp,
  isLateTcpReply,
  isOsSyn,
  isRawSyn,
  isTracerouteProbe,
  isUdpReply,
} from "../../src/detect/detectors/fingerprint.js";
import type { PacketEvent, TcpOptions } from "../../src/events/event.js";
import { OS_SYN_OPTIONS } from "../support/events.js";

const OS: TcpOptions = OS_SYN_OPTIONS;
const MSS_ONLY: TcpOptions = { mss: 1460, kinds: [2] };

function syn(
  src: string,
  p: { df?: boolean; window?: number; tcpOptions?: TcpOptions; len?: number },
): PacketEvent {
  return {
    type: "packet",
    ts: "2026-11-28T12:00:00.000+00:00",
    ms: 0,
    host: "h",
    source: { file: "f", line: 1 },
    src,
    dst: src.includes(":") ? "2001:db8::10" : "203.0.113.10",
    proto: "tcp",
    mask: 2,
    cls: "syn",
    action: "drop",
    direction: "in",
    ...(src.includes(":") ? {} : { df: p.df ?? false }),
    ...(p.window !== undefined ? { window: p.window } : {}),
    ...(p.tcpOptions ? { tcpOptions: p.tcpOptions } : {}),
    ...(p.len !== undefined ? { len: p.len } : {}),
  };
}

describe("fingerprint", () => {
  it.each([
    [
      "ipv4/nmap -sS: window 1024, MSS only, no DF",
      syn("198.51.100.7", { window: 1024, tcpOptions: MSS_ONLY }),
      true,
      false,
    ],
    ["ipv4/masscan: window 1024, no options", syn("198.51.100.7", { window: 1024 }), true, false],
    [
      "ipv6/Topera: extension headers make a 132-byte SYN (no options logged)",
      syn("2001:db8::66", { window: 8192, len: 132 }),
      true,
      false,
    ],
    [
      "ipv4/hping3 -S -d 120: a SYN carrying data, DF, OS window",
      syn("198.51.100.7", { df: true, window: 64240, len: 160 }),
      true,
      false,
    ],
    [
      "ipv4/connect() at the longest a TCP header allows (80 bytes): not overlong",
      syn("198.51.100.7", { df: true, window: 64240, tcpOptions: OS, len: 80 }),
      false,
      true,
    ],
    [
      "ipv6/connect() with OS options (80 bytes with the 40-byte header)",
      syn("2001:db8::66", { window: 64800, tcpOptions: OS, len: 80 }),
      false,
      true,
    ],
    [
      "ipv4/connect(): DF, OS options",
      syn("198.51.100.7", { df: true, window: 64240, tcpOptions: OS }),
      false,
      true,
    ],
    [
      "ipv4/connect() logged without options: DF",
      syn("198.51.100.7", { df: true, window: 64240 }),
      false,
      false,
    ],
    ["ipv4/no DF and no options logged", syn("198.51.100.7", { window: 64240 }), true, false],
    [
      "ipv6/nmap -sS: window 1024, MSS only",
      syn("2001:db8::66", { window: 1024, tcpOptions: MSS_ONLY }),
      true,
      false,
    ],
    [
      "ipv6/raw SYN with an OS window but MSS only",
      syn("2001:db8::66", { window: 64800, tcpOptions: MSS_ONLY }),
      true,
      false,
    ],
    [
      "ipv6/connect(): OS options (no DF bit in IPv6)",
      syn("2001:db8::66", { window: 64800, tcpOptions: OS }),
      false,
      true,
    ],
    ["ipv6/connect() logged without options", syn("2001:db8::66", { window: 64800 }), false, false],
  ])("fingerprint/%s", (_name, e, raw, os) => {
    expect(isRawSyn(e)).toBe(raw);
    expect(isOsSyn(e)).toBe(os);
  });
});

describe("fingerprint/replies and traceroute", () => {
  const udp = (
    sport: number | undefined,
    dport: number | undefined,
    proto: "udp" | "tcp" = "udp",
  ): PacketEvent => ({
    type: "packet",
    ts: "2026-11-28T12:00:00.000+00:00",
    ms: 0,
    host: "h",
    source: { file: "f", line: 1 },
    src: "198.51.100.53",
    dst: "203.0.113.10",
    proto,
    ...(sport !== undefined ? { sport } : {}),
    ...(dport !== undefined ? { dport } : {}),
    mask: 0,
    cls: proto === "udp" ? "udp" : "tcp-normal",
    action: "drop",
    direction: "in",
  });
  it.each<[string, PacketEvent, boolean]>([
    ["a late DNS answer (53 -> 48213)", udp(53, 48213), true],
    ["an NTP answer to an ephemeral port (123 -> 40000)", udp(123, 40000), true],
    ["a QUIC server's packet (443 -> 55555)", udp(443, 55555), true],
    ["the edge: 1023 -> 1024", udp(1023, 1024), true],
    ["nmap -sU probe (41234 -> 161)", udp(41234, 161), false],
    ["nmap -sU probe to a high port (41234 -> 5060)", udp(41234, 5060), false],
    ["nmap -sU -g 53 to a low port (53 -> 161)", udp(53, 161), false],
    ["ntpd to ntpd (123 -> 123)", udp(123, 123), false],
    ["1024 -> 2000 (neither a service port)", udp(1024, 2000), false],
    ["no ports logged (a fragment)", udp(undefined, undefined), false],
    ["TCP is not UDP", udp(53, 48213, "tcp"), false],
  ])("fingerprint/a UDP reply or not: %s", (_name, e, expected) => {
    expect(isUdpReply(e)).toBe(expected);
  });
  it.each<[string, PacketEvent, boolean]>([
    ["a late ACK of an HTTPS download (443 -> 51234)", udp(443, 51234, "tcp"), true],
    ["a late FIN+ACK from an API on 8443 (8443 -> 40000)", udp(8443, 40000, "tcp"), true],
    ["from a service port to a low ephemeral port (80 -> 1024)", udp(80, 1024, "tcp"), true],
    ["the edge: 32767 -> 32768", udp(32767, 32768, "tcp"), true],
    ["nmap -sA probe (41234 -> 80)", udp(41234, 80, "tcp"), false],
    ["nmap -sA probe to a registered port (41234 -> 8080)", udp(41234, 8080, "tcp"), false],
    ["nmap -sA -g 80 to a low port (80 -> 443)", udp(80, 443, "tcp"), false],
    ["a client's late ACK to this server (51234 -> 443)", udp(51234, 443, "tcp"), false],
    ["ephemeral to ephemeral (40000 -> 50000)", udp(40000, 50000, "tcp"), false],
    ["no ports logged (a fragment)", udp(undefined, undefined, "tcp"), false],
    ["UDP is not TCP", udp(443, 51234), false],
  ])("fingerprint/a late TCP reply or not: %s", (_name, e, expected) => {
    expect(isLateTcpReply(e)).toBe(expected);
  });
  const probe = (
    dport: number | undefined,
    ttl: number | undefined,
    proto: "udp" | "tcp" = "udp",
  ): PacketEvent => ({
    ...udp(45000, dport, proto),
    ...(ttl !== undefined ? { ttl } : {}),
  });
  it.each<[string, PacketEvent, boolean]>([
    ["the first probe to arrive, 12 hops away (33467, TTL 1)", probe(33467, 1), true],
    ["the last probe of 30 hops (33523, TTL 19)", probe(33523, 19), true],
    ["the bottom edge: 33434 with TTL 30", probe(33434, 30), true],
    ["the top edge: 33534", probe(33534, 1), true],
    ["a scan's datagram to 33440 (TTL 52)", probe(33440, 52), false],
    ["TTL 31: more than traceroute's 30 hops", probe(33440, 31), false],
    ["below the range (33433)", probe(33433, 1), false],
    ["above the range (33535)", probe(33535, 1), false],
    ["a low TTL to a service port (161, TTL 3)", probe(161, 3), false],
    ["no TTL logged", probe(33440, undefined), false],
    ["TCP traceroute is not counted here", probe(33440, 1, "tcp"), false],
  ])("fingerprint/a traceroute probe or not: %s", (_name, e, expected) => {
    expect(isTracerouteProbe(e)).toBe(expected);
  });
  const icmp = (proto: "icmp" | "icmpv6", type: number | undefined, code?: number): PacketEvent => ({
    ...udp(undefined, undefined),
    proto,
    cls: "icmp",
    ...(type !== undefined ? { icmpType: type } : {}),
    ...(code !== undefined ? { icmpCode: code } : {}),
  });
  it.each<[string, PacketEvent, boolean]>([
    ["an echo request with code 2 (hping3 --icmp-code 2)", icmp("icmp", 8, 2), true],
    ["nmap -O's first echo probe, code 9", icmp("icmp", 8, 9), true],
    ["an echo reply with a code", icmp("icmp", 0, 1), true],
    ["an unassigned type (1)", icmp("icmp", 1, 0), true],
    ["an unassigned type (19)", icmp("icmp", 19, 0), true],
    ["an unassigned type (250)", icmp("icmp", 250, 0), true],
    ["ICMPv6 echo request with code 1", icmp("icmpv6", 128, 1), true],
    ["ICMPv6 unassigned type 50", icmp("icmpv6", 50, 0), true],
    ["a plain ping (8/0)", icmp("icmp", 8, 0), false],
    ["a ping whose code was not logged", icmp("icmp", 8), false],
    ["port unreachable (3/3)", icmp("icmp", 3, 3), false],
    ["time exceeded (11/0)", icmp("icmp", 11, 0), false],
    ["a timestamp request (13/0, nmap -PP)", icmp("icmp", 13, 0), false],
    ["experimental types 253 and 254 (RFC 4727)", icmp("icmp", 253, 0), false],
    ["ICMPv6 ping (128/0)", icmp("icmpv6", 128, 0), false],
    ["ICMPv6 neighbor solicitation (135/0)", icmp("icmpv6", 135, 0), false],
    ["ICMPv6 packet too big (2/0)", icmp("icmpv6", 2, 0), false],
    ["no type logged", icmp("icmp", undefined), false],
  ])("fingerprint/crafted ICMP or not: %s", (_name, e, expected) => {
    expect(isCraftedIcmp(e)).toBe(expected);
  });
});
