import type { AnyDetector } from "./detector.js";
import { ddos } from "./detectors/ddos.js";
import { distributedScan } from "./detectors/distributed-scan.js";
import { flood } from "./detectors/flood.js";
import { craftedIcmp } from "./detectors/crafted-icmp.js";
import { icmpSweep } from "./detectors/icmp-sweep.js";
import { portSweep } from "./detectors/port-sweep.js";
import { prefixScan } from "./detectors/prefix-scan.js";
import { protocolScan } from "./detectors/protocol-scan.js";
import { sshBruteforce } from "./detectors/ssh-bruteforce.js";
import { stealthScan } from "./detectors/stealth-scan.js";
import { tcpScan } from "./detectors/tcp-scan.js";
import { udpScan } from "./detectors/udp-scan.js";

/**
 * Every detector module. The rule schema (rules/rule.schema.json), the detector names a rule may
 * name and the alert types an alert may carry are all assembled from this list; a new behaviour
 * is a module here, a rule file and a scenario.
 */
export const DETECTORS: readonly AnyDetector[] = [
  tcpScan,
  udpScan,
  stealthScan,
  portSweep,
  icmpSweep,
  craftedIcmp,
  protocolScan,
  distributedScan,
  prefixScan,
  flood,
  ddos,
  sshBruteforce,
];

export const DETECTOR_NAMES: readonly string[] = DETECTORS.map((d) => d.name);

export function detectorNamed(name: string): AnyDetector | undefined {
  return DETECTORS.find((d) => d.name === name);
}

/** Every alert type some detector can raise, sorted. */
export function alertTypes(): string[] {
  return [...new Set(DETECTORS.flatMap((d) => d.alertTypes))].sort();
}
