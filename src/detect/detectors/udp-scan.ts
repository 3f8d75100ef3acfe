import type { DetectorModule } from "../detector.js";
import { isTracerouteProbe, isUdpReply } from "./fingerprint.js";
import { isScanner } from "./scanner-fact.js";

const PORT = 0;
const HOST = 1;

/**
 * UDP datagrams from one source to many ports; a fast and a slow rule share one key per source.
 * Replies from a service's port to an ephemeral one (isUdpReply), traceroute's probes
 * (isTracerouteProbe) and datagrams to a broadcast or multicast address (a LAN's discovery
 * chatter: mDNS, SSDP, NetBIOS, LLMNR, WS-Discovery) are left out.
 */
export const udpScan: DetectorModule<Record<string, never>> = {
  name: "udp-scan",
  params: {},
  requiredParams: [],
  alertTypes: ["udp-scan"],
  measure: { what: "distinct destination ports", max: 65536, of: (s) => s.distinct("port") },
  accepts: ["udp"],
  dims: ["port", "host"],
  tags: [],
  provides: {
    /** 1 when the source reached a fast udp-scan rule's threshold on its own. */
    "udp-scan/scanner": isScanner,
  },
  compile: () => ({}),
  stateKey: () => "src",
  feed(e, ctx) {
    // A service's reply to a client's ephemeral port, a traceroute and a LAN's broadcast chatter
    // are no probes (see fingerprint.ts and PacketEvent.toGroup).
    if (e.type !== "packet" || e.dport === undefined || e.toGroup || isUdpReply(e) || isTracerouteProbe(e))
      return;
    const k = ctx.touch(e.src, e, e.src, e.dst, "udp");
    ctx.count(k, e);
    ctx.member(k, HOST, e.dst, e);
    ctx.check(k, ctx.member(k, PORT, e.dport, e));
  },
  judge(s, rule) {
    const ports = s.distinct("port");
    if (ports < rule.threshold) return undefined;
    return {
      measure: ports,
      type: "udp-scan",
      evidence: [
        `${ports} distinct UDP ports probed by one source in ${rule.windowMs / 1000} s (${s.events()} datagrams)`,
      ],
      dims: { ports: "port", hosts: "host" },
    };
  },
};
