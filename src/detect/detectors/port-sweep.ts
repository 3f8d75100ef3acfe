import type { DetectorModule } from "../detector.js";
import { isUdpReply } from "./fingerprint.js";

const HOST = 0;
const PORT = 1;

/**
 * One source probing many hosts (horizontal scan), on the same port or a few. Keyed by source
 * and protocol, not by port: a vertical scanner touching thousands of ports of one host costs
 * one key.
 */
export const portSweep: DetectorModule<Record<string, never>> = {
  name: "port-sweep",
  params: {},
  requiredParams: [],
  alertTypes: ["port-sweep"],
  measure: { what: "distinct destination hosts", max: Infinity, of: (s) => s.distinct("host") },
  accepts: ["syn", "udp"],
  dims: ["host", "port"],
  tags: [],
  compile: () => ({}),
  stateKey: () => "src+proto",
  feed(e, ctx) {
    // A UDP service's replies to many clients are no sweep (see isUdpReply), nor is a LAN's
    // broadcast and multicast chatter (each group address would count as a host).
    if (e.type !== "packet" || e.dport === undefined || e.toGroup || isUdpReply(e)) return;
    const proto = e.cls === "syn" ? "tcp" : "udp";
    const k = ctx.touch(`${e.src}|${proto}`, e, e.src, null, proto);
    ctx.count(k, e);
    ctx.member(k, PORT, e.dport, e);
    ctx.check(k, ctx.member(k, HOST, e.dst, e));
  },
  judge(s, rule) {
    const hosts = s.distinct("host");
    if (hosts < rule.threshold) return undefined;
    const ports = s.distinct("port");
    return {
      measure: hosts,
      type: "port-sweep",
      evidence: [
        `${hosts} distinct hosts probed by one source on ${ports} ${s.proto.toUpperCase()} port(s) in ${rule.windowMs / 1000} s`,
      ],
      dims: { hosts: "host", ports: "port" },
    };
  },
};
