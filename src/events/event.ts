/**
 * The normalized event union: what every parser produces and every detector reads.
 * A JSON Schema of the serialized form lives beside this file (event.schema.json).
 */

import type { PacketClass } from "./packet-class.js";

/** Where an event came from: the file as given on the command line and the 1-based line number in it. */
export interface SourceRef {
  file: string;
  line: number;
}

export type PacketAction = "drop" | "reject" | "accept" | "audit" | "unknown";
/**
 * in: to this host (IN= only); out: from it (OUT= only); forward: through it (both); local: over
 * the loopback interface, from this host to itself (IN=lo or OUT=lo); unknown: neither logged.
 */
export type Direction = "in" | "out" | "forward" | "local" | "unknown";
export type Proto = "tcp" | "udp" | "icmp" | "icmpv6" | number;

/** Which TCP options a packet carried, decoded from the kernel's `OPT (hex)` dump. */
export interface TcpOptions {
  mss?: number;
  wscale?: number;
  sackPermitted?: boolean;
  timestamps?: boolean;
  /** Option kinds in wire order, e.g. [2, 4, 8, 1, 3]. */
  kinds: number[];
}

interface EventBase {
  /** Event time, ISO 8601 with offset, from the log line. */
  ts: string;
  /** Event time in epoch milliseconds (the same instant as `ts`). */
  ms: number;
  /** The host that wrote the log line. */
  host: string;
  source: SourceRef;
}

export interface PacketEvent extends EventBase {
  type: "packet";
  src: string;
  dst: string;
  proto: Proto;
  sport?: number;
  dport?: number;
  /** Upper-case TCP flag names present; an empty array is a NULL packet. Absent for non-TCP. */
  flags?: string[];
  /** The TCP flags as a bit mask (packet-class.ts `F`, ECN bits left out); 0 for non-TCP. */
  mask: number;
  /** What the packet is, decided once by the parser (packet-class.ts). */
  cls: PacketClass;
  action: PacketAction;
  direction: Direction;
  prefix?: string;
  in?: string;
  out?: string;
  len?: number;
  ttl?: number;
  id?: number;
  df?: boolean;
  window?: number;
  tcpOptions?: TcpOptions;
  icmpType?: number;
  icmpCode?: number;
  icmpId?: number;
  icmpSeq?: number;
  mark?: string;
  uid?: number;
  gid?: number;
  /**
   * Sent to a broadcast or multicast address (IPv4 224.0.0.0/4 or 255.255.255.255, IPv6
   * ff00::/8, or the broadcast MAC ff:ff:ff:ff:ff:ff): a LAN's discovery chatter, never a probe
   * of this host.
   */
  toGroup?: true;
}

export type AuthKind =
  | "failure"
  | "invalid-user"
  | "success"
  | "preauth-close"
  | "no-ident"
  | "negotiation-failure"
  | "refused"
  | "connect"
  | "timeout"
  | "max-auth";

export interface AuthEvent extends EventBase {
  type: "auth";
  service: "sshd";
  kind: AuthKind;
  src: string;
  sport?: number;
  user?: string;
  /** Authentication method for failure/success lines (password, publickey, ...). */
  method?: string;
  /**
   * How many occurrences this event stands for: rsyslog's `message repeated 5 times: [ Failed
   * password ...]` and BSD syslogd's `last message repeated 5 times` are one event with count 5.
   * Absent means 1.
   */
  count?: number;
  /**
   * "name" when `src` is a host name, not an address: sshd with `UseDNS yes` writes names into PAM's
   * `rhost=`, `not allowed because` and `PAM: ... from` lines, and no line of the same connection
   * gave its address. Absent: `src` is a canonical IPv4 or IPv6 address.
   */
  srcKind?: "name";
  /**
   * "pid" when the address came from another line of the same `sshd[PID]` connection on the same
   * host (the line itself names none, names a host name, or reads two ways and the connection's
   * address picked one), not from this line.
   */
  srcVia?: "pid";
  /** sshd's process id from the line's header, when it has one. */
  pid?: number;
}

/**
 * The kernel said it dropped log messages (`net_ratelimit: N callbacks suppressed`,
 * `kernel: [..] N callbacks suppressed`): counts seen in this window are lower bounds.
 */
export interface SuppressedEvent extends EventBase {
  type: "suppressed";
  count: number;
}

export type Event = PacketEvent | AuthEvent | SuppressedEvent;
