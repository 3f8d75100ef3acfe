import type { CompiledRule, DetectorName } from "../rules/compiled-rule.js";
import type { Detector } from "./detector.js";
import { Ddos } from "./detectors/ddos.js";
import { DistributedScan } from "./detectors/distributed-scan.js";
import { Flood } from "./detectors/flood.js";
import { IcmpSweep } from "./detectors/icmp-sweep.js";
import { PortSweep } from "./detectors/port-sweep.js";
import { SshBruteforce } from "./detectors/ssh-bruteforce.js";
import { StealthScan } from "./detectors/stealth-scan.js";
import { TcpScan } from "./detectors/tcp-scan.js";
import { UdpScan } from "./detectors/udp-scan.js";

/** Joins rules (data) to detectors (code): a new behaviour is a detector file plus an entry here. */
const REGISTRY: Record<DetectorName, new (rule: CompiledRule) => Detector> = {
  "tcp-scan": TcpScan,
  "udp-scan": UdpScan,
  "stealth-scan": StealthScan,
  "port-sweep": PortSweep,
  "icmp-sweep": IcmpSweep,
  "distributed-scan": DistributedScan,
  flood: Flood,
  ddos: Ddos,
  "ssh-bruteforce": SshBruteforce,
};

export function buildDetectors(rules: readonly CompiledRule[]): Detector[] {
  // Fast rules first: a slow rule sharing their incident group must see the fast rule's incident.
  const ordered = [...rules].sort((a, b) => Number(a.slow) - Number(b.slow));
  return ordered.map((r) => new REGISTRY[r.detector](r));
}
