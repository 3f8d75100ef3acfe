import type { DetectorModule } from "../detector.js";
import { minSources } from "./params.js";

const PORT = 0;
const SRC = 1;
/** Sources of the key's window that have since become scanners on their own. */
const TURNED = 2;

interface Params {
  minSources: number;
  minPortsPerSource: number;
}

/**
 * Many sources, each below the single-source tcp-scan threshold, covering many ports of one
 * host. A SYN from a source that is a scanner on its own (tcp-scan says so at that moment) is
 * left out, and a verdict needs `minSources` sources that are still not scanners on their own
 * when it is reached: four scanners one after another are four scans, not one distributed scan,
 * even though each one's first probes counted here before it crossed its own threshold.
 *
 * A public address also gets the internet's background: a source every few seconds, each trying
 * a port or two (telnet, SSH, SMB, RDP, a random one). At one source a second that is 30
 * distinct ports a minute from dozens of sources. A SYN counts here only once its source has
 * tried `minPortsPerSource` distinct ports (tcp-scan's own count, over its fast window): a
 * split scan gives each source a slice of several ports, and all but the first few of each
 * slice count. A botnet whose bots try a port or two each looks like that background and is
 * not told from it.
 */
export const distributedScan: DetectorModule<Params> = {
  name: "distributed-scan",
  params: {
    minSources: minSources("distributed-scan"),
    minPortsPerSource: {
      type: "integer",
      minimum: 1,
      maximum: 65536,
      description:
        "distributed-scan: a SYN counts once its source has tried this many distinct ports in the fast tcp-scan window (default 1: every SYN). The internet's background sends a port or two per source; a split scan gives each source a slice of several.",
    },
  },
  requiredParams: ["minSources"],
  alertTypes: ["distributed-scan"],
  measure: { what: "distinct destination ports", max: 65536, of: (s) => s.distinct("port") },
  accepts: ["syn"],
  needs: ["tcp-scan/scanner", "tcp-scan/ports"],
  dims: ["port", "src", "turned"],
  tags: [],
  compile: (spec) => ({
    minSources: spec.minSources as number,
    minPortsPerSource: (spec.minPortsPerSource as number | undefined) ?? 1,
  }),
  stateKey: () => "dst",
  feed(e, ctx, rule) {
    if (e.type !== "packet" || e.dport === undefined) return;
    if ((ctx.fact("tcp-scan/scanner", e.src) ?? 0) > 0) {
      // Its first probes counted here before it crossed its own threshold: remember it turned.
      const k = ctx.peek(e.dst, e);
      if (k) ctx.member(k, TURNED, e.src, e);
      return;
    }
    // The background's sources try a port or two each: a SYN counts from its source's
    // minPortsPerSource-th distinct port on (every SYN when no tcp-scan rule is loaded).
    if (rule.params.minPortsPerSource > 1) {
      const own = ctx.fact("tcp-scan/ports", e.src);
      if (own !== undefined && own < rule.params.minPortsPerSource) return;
    }
    const k = ctx.touch(e.dst, e, null, e.dst, "tcp");
    ctx.count(k, e);
    const grew = ctx.member(k, SRC, e.src, e);
    ctx.check(k, grew | ctx.member(k, PORT, e.dport, e));
  },
  judge(s, rule) {
    const ports = s.distinct("port");
    const sources = s.distinct("src");
    if (ports < rule.threshold || sources < rule.params.minSources) return undefined;
    const alone = Math.min(s.distinct("turned"), sources);
    const below = sources - alone;
    if (below < rule.params.minSources) return undefined;
    return {
      measure: ports,
      type: "distributed-scan",
      evidence: [
        `${ports} distinct ports of one host probed by ${sources} sources in ${rule.windowMs / 1000} s`,
        alone === 0
          ? "no source alone reached the single-source tcp-scan threshold"
          : `${below} of the sources stayed below the single-source tcp-scan threshold (${alone} reached it and are reported on their own)`,
        ...(rule.params.minPortsPerSource > 1
          ? [
              `a source's SYNs count once it has tried ${rule.params.minPortsPerSource} distinct ports (the internet's background tries a port or two per source)`,
            ]
          : []),
      ],
      dims: { ports: "port", sources: "src" },
    };
  },
};
