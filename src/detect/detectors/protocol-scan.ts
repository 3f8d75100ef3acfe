import type { DetectorModule } from "../detector.js";

const PROTO = 0;
const HOST = 1;

/**
 * An IP protocol scan (nmap -sO): one source sending packets of many IP protocols beyond TCP,
 * UDP and ICMP, to learn which ones a host or its firewall answers. A host's own traffic uses
 * a few of them at most (ESP and AH for IPsec, GRE for a tunnel, IGMP to its multicast
 * groups, SCTP); nmap -sO tries all 256. Multicast and broadcast destinations (IGMP reports)
 * are left out.
 */
export const protocolScan: DetectorModule<Record<string, never>> = {
  name: "protocol-scan",
  params: {},
  requiredParams: [],
  alertTypes: ["protocol-scan"],
  measure: {
    what: "distinct IP protocols other than TCP, UDP and ICMP",
    max: 256,
    of: (s) => s.distinct("proto"),
  },
  accepts: ["other"],
  dims: ["proto", "host"],
  tags: [],
  compile: () => ({}),
  stateKey: () => "src",
  feed(e, ctx) {
    if (e.type !== "packet" || e.toGroup || typeof e.proto !== "number") return;
    const k = ctx.touch(e.src, e, e.src, e.dst, "ip");
    ctx.count(k, e);
    ctx.member(k, HOST, e.dst, e);
    ctx.check(k, ctx.member(k, PROTO, e.proto, e));
  },
  judge(s, rule) {
    const protos = s.distinct("proto");
    if (protos < rule.threshold) return undefined;
    const some = (s.members("proto") ?? []).map(Number).sort((a, b) => a - b);
    const listed = some.length > 12 ? `${some.slice(0, 12).join(", ")}, ...` : some.join(", ");
    return {
      measure: protos,
      type: "protocol-scan",
      evidence: [
        `${protos} distinct IP protocols beyond TCP, UDP and ICMP from one source in ${rule.windowMs / 1000} s (${listed}): an IP protocol scan (nmap -sO)`,
      ],
      dims: { hosts: "host" },
    };
  },
};
