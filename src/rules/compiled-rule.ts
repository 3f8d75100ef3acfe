import type { PacketEvent } from "../events/event.js";
import type { Severity } from "../events/alert.js";
import type { AddressSet } from "./cidr.js";

export type DetectorName =
  | "tcp-scan"
  | "udp-scan"
  | "stealth-scan"
  | "port-sweep"
  | "icmp-sweep"
  | "distributed-scan"
  | "flood"
  | "ddos"
  | "ssh-bruteforce";

export type StealthTechnique = "fin" | "xmas" | "null" | "ack" | "maimon" | "other";

/** A rule as the engine uses it: durations in ms, defaults filled, filters compiled. */
export interface CompiledRule {
  id: string;
  file: string;
  enabled: boolean;
  detector: DetectorName;
  windowMs: number;
  threshold: number;
  minSources: number;
  maxPorts: number;
  packets: "syn" | "udp" | "icmp-echo" | "any";
  techniques: ReadonlySet<StealthTechnique>;
  groupBy: "src" | "user";
  slow: boolean;
  incidentGroup: string;
  /** Ascending measures at which each severity starts; index = level. */
  ladder: { severity: Severity; at: number }[];
  cooldownMs: number;
  /** Packet filter from `match`, applied before counting. */
  matches: (e: PacketEvent) => boolean;
  allowSrc: AddressSet;
  allowDst: AddressSet;
}
