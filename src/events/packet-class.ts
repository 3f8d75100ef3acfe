import type { PacketEvent } from "./event.js";

/**
 * What a packet is, decided once in the parser so that no detector re-derives it. Every TCP
 * flag combination maps to exactly one class; the engine routes an event only to the rules
 * that accept its class.
 */
export type PacketClass =
  /** SYN alone: a connection attempt (a probe, a client, a flood). */
  | "syn"
  | "synack"
  /** RST alone: a kernel resetting an unexpected SYN/ACK, or a scanner's own reset. */
  | "rst"
  | "rstack"
  /** ACK alone: a handshake's last step, a keep-alive, or an ACK-scan probe. */
  | "ack"
  | "ackpsh"
  | "fin"
  | "finack"
  | "xmas"
  | "null"
  /** Flag sets a TCP stack sends inside connections that none of the above names. */
  | "tcp-normal"
  /** Flag sets no TCP stack sends (SYN+FIN, SYN+RST, ...). */
  | "tcp-odd"
  /**
   * A TCP packet logged without its TCP header, so its flags are unknown: a fragment after the
   * first (the kernel writes nothing after `PROTO=TCP`), a header it could not read (`INCOMPLETE
   * [8 bytes]`), or a line cut short. Never a NULL packet: no detector counts it.
   */
  | "tcp-headerless"
  | "udp"
  | "icmp-echo"
  | "icmp"
  | "other";

export const PACKET_CLASSES: readonly PacketClass[] = [
  "syn",
  "synack",
  "rst",
  "rstack",
  "ack",
  "ackpsh",
  "fin",
  "finack",
  "xmas",
  "null",
  "tcp-normal",
  "tcp-odd",
  "tcp-headerless",
  "udp",
  "icmp-echo",
  "icmp",
  "other",
];

/** TCP flag bits; ECN bits (ECE, CWR) say nothing about intent and are left out of the mask. */
export const F = { FIN: 1, SYN: 2, RST: 4, PSH: 8, ACK: 16, URG: 32 } as const;
const BIT: Record<string, number> = F;

export function flagMaskOf(flags: readonly string[]): number {
  let m = 0;
  for (const f of flags) m |= BIT[f] ?? 0;
  return m;
}

/** Flag sets a TCP stack sends inside normal connections, beyond the named classes. */
const NORMAL = new Set([F.ACK | F.FIN | F.PSH, F.ACK | F.URG, F.ACK | F.URG | F.PSH, F.ACK | F.RST | F.PSH]);

export function tcpClass(mask: number): PacketClass {
  switch (mask) {
    case F.SYN:
      return "syn";
    case F.SYN | F.ACK:
      return "synack";
    case F.RST:
      return "rst";
    case F.RST | F.ACK:
      return "rstack";
    case F.ACK:
      return "ack";
    case F.ACK | F.PSH:
      return "ackpsh";
    case F.FIN:
      return "fin";
    case F.FIN | F.ACK:
      return "finack";
    case F.FIN | F.PSH | F.URG:
      return "xmas";
    case 0:
      return "null";
    default:
      return NORMAL.has(mask) ? "tcp-normal" : "tcp-odd";
  }
}

/** The class of a parsed packet; `mask` is its TCP flag mask (ignored for other protocols). */
export function packetClass(e: Pick<PacketEvent, "proto" | "icmpType">, mask: number): PacketClass {
  switch (e.proto) {
    case "tcp":
      return tcpClass(mask);
    case "udp":
      return "udp";
    case "icmp":
      return e.icmpType === 8 ? "icmp-echo" : "icmp";
    case "icmpv6":
      return e.icmpType === 128 ? "icmp-echo" : "icmp";
    default:
      return "other";
  }
}

/** Flag names of a mask, "+"-joined, for evidence ("SYN+FIN"); "none" for a NULL packet. */
export function flagText(m: number): string {
  const names = Object.keys(BIT).filter((k) => (m & (BIT[k] ?? 0)) !== 0);
  return names.length ? names.join("+") : "none";
}
