import { ipv6Net64 } from "../../parsers/ip.js";
import type { DetectorModule } from "../detector.js";
import { minSources } from "./params.js";

const PORT = 0;
const SRC = 1;
const HOST = 2;

interface Params {
  minSources: number;
}

/**
 * SYNs to many ports from many addresses of one IPv6 /64. Every host and LAN gets a /64, and a
 * scanner on one can take a new source address for every probe: a hundred sources of one port
 * each, which every rule keyed by the source address misses. Keyed by the source's /64 (the
 * alert names it in its evidence, its addresses in `sources`; IPv4
 * sources are left to the other rules); a verdict needs `minSources` addresses, and a SYN from
 * an address that is a tcp-scan scanner on its own does not count here.
 */
export const prefixScan: DetectorModule<Params> = {
  name: "prefix-scan",
  params: { minSources: minSources("prefix-scan") },
  requiredParams: ["minSources"],
  alertTypes: ["prefix-scan"],
  measure: { what: "distinct destination ports", max: 65536, of: (s) => s.distinct("port") },
  accepts: ["syn"],
  needs: ["tcp-scan/scanner"],
  dims: ["port", "src", "host"],
  tags: [],
  compile: (spec) => ({ minSources: spec.minSources as number }),
  stateKey: () => "src/64",
  feed(e, ctx) {
    if (e.type !== "packet" || e.dport === undefined) return;
    const net = ipv6Net64(e.src);
    if (net === undefined) return;
    // An address scanning on its own is tcp-scan's to report (with its neighbours' browsing, it
    // would be raised twice).
    if ((ctx.fact("tcp-scan/scanner", e.src) ?? 0) > 0) return;
    // Many sources: the alert's src is null, its sources the addresses (as distributed-scan's).
    const k = ctx.touch(net, e, null, e.dst, "tcp");
    ctx.count(k, e);
    ctx.member(k, HOST, e.dst, e);
    const grew = ctx.member(k, SRC, e.src, e);
    ctx.check(k, grew | ctx.member(k, PORT, e.dport, e));
  },
  judge(s, rule) {
    const ports = s.distinct("port");
    const sources = s.distinct("src");
    if (ports < rule.threshold || sources < rule.params.minSources) return undefined;
    const net = ipv6Net64(s.members("src")?.[0] ?? "") ?? "one IPv6 /64";
    return {
      measure: ports,
      type: "prefix-scan",
      evidence: [
        `${ports} distinct TCP ports probed with SYNs from ${sources} addresses of ${net} in ${rule.windowMs / 1000} s`,
        "a scanner taking a new source address per probe: no single address reaches the per-address thresholds",
      ],
      dims: { ports: "port", sources: "src", hosts: "host" },
    };
  },
};
