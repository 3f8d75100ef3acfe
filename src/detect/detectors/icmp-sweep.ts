import type { DetectorModule } from "../detector.js";

const HOST = 0;

/** Echo requests from one source to many hosts (ping sweep). */
export const icmpSweep: DetectorModule<Record<string, never>> = {
  name: "icmp-sweep",
  params: {},
  requiredParams: [],
  alertTypes: ["icmp-sweep"],
  measure: { what: "distinct destination hosts", max: Infinity, of: (s) => s.distinct("host") },
  accepts: ["icmp-echo"],
  dims: ["host"],
  tags: [],
  compile: () => ({}),
  stateKey: () => "src",
  feed(e, ctx) {
    if (e.type !== "packet") return;
    const k = ctx.touch(e.src, e, e.src, null, String(e.proto));
    ctx.count(k, e);
    ctx.check(k, ctx.member(k, HOST, e.dst, e));
  },
  judge(s, rule) {
    const hosts = s.distinct("host");
    if (hosts < rule.threshold) return undefined;
    return {
      measure: hosts,
      type: "icmp-sweep",
      evidence: [`echo requests to ${hosts} distinct hosts from one source in ${rule.windowMs / 1000} s`],
      dims: { hosts: "host" },
    };
  },
};
