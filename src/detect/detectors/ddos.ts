import type { DetectorModule } from "../detector.js";
import { floodClasses } from "./flood.js";
import { kindsEvidence } from "./kinds-evidence.js";
import { minSources, packets, type PacketKind } from "./params.js";

interface Params {
  packets: PacketKind;
  minSources: number;
}

const SRC = 0;
const PORT = 1;
/**
 * The technique of a target's second key: packets from sources that scan on their own (a
 * tcp-scan or udp-scan scanner at that moment), counted apart from the target's other traffic.
 */
const FROM_SCANNERS = "from-scanners";
const SCANNER_FACT = { syn: "tcp-scan/scanner", udp: "udp-scan/scanner" } as const;
const TAGS = ["syn", "udp", "icmp-echo"] as const;
const TECHNIQUE = { syn: "syn-flood", udp: "udp-flood", "icmp-echo": "icmp-flood" } as const;
const KIND_NAMES = { syn: "SYNs", udp: "UDP datagrams", "icmp-echo": "echo requests" } as const;

/**
 * A high packet rate to one host from many sources, spoofed or real. Keyed by target, so a flood
 * from a million random sources is one incident; the source count becomes an estimate past the
 * exact bound. Replies and established traffic are not a flood's signature: only probes and
 * datagrams count. A source that is scanning on its own is counted under a second key of the
 * target (FROM_SCANNERS): one fast scanner among a server's clients is a scan, not a DDoS.
 */
export const ddos: DetectorModule<Params> = {
  name: "ddos",
  params: { packets: packets("ddos"), minSources: minSources("ddos") },
  requiredParams: ["packets", "minSources"],
  alertTypes: ["ddos"],
  measure: { what: "packets", max: Infinity, of: (s) => s.events() },
  accepts: (rule) => floodClasses(rule.params.packets),
  dims: ["src", "port"],
  tags: TAGS,
  needs: ["tcp-scan/scanner", "udp-scan/scanner"],
  compile: (spec) => ({ packets: spec.packets as PacketKind, minSources: spec.minSources as number }),
  stateKey: (rule) => rule.params.packets,
  feed(e, ctx, rule) {
    if (e.type !== "packet") return;
    const p = rule.params.packets;
    if (p !== "any" && e.cls !== p) return;
    // A fast scanner's SYNs to a busy server are no flood from many sources, however many
    // clients the server also has: they go to a key of their own, which floods only when
    // enough sources send them (bots flooding random ports, each a scanner by its port count).
    const fact = e.cls === "syn" || e.cls === "udp" ? SCANNER_FACT[e.cls] : undefined;
    const scanning = fact !== undefined && (ctx.fact(fact, e.src) ?? 0) > 0;
    const k = scanning
      ? ctx.touch(`${e.dst}|${FROM_SCANNERS}`, e, null, e.dst, String(e.proto), FROM_SCANNERS)
      : ctx.touch(e.dst, e, null, e.dst, String(e.proto));
    ctx.count(k, e);
    ctx.member(k, SRC, e.src, e);
    if (e.dport !== undefined) ctx.member(k, PORT, e.dport, e);
    ctx.tag(k, e.cls === "syn" ? 0 : e.cls === "udp" ? 1 : 2);
    ctx.check(k, -1);
  },
  judge(s, rule) {
    const events = s.events();
    if (events < rule.threshold) return undefined;
    const sources = s.distinct("src");
    if (sources < rule.params.minSources) return undefined;
    const classes = TAGS.map((t) => [t, s.tag(t)] as const)
      .filter(([, n]) => n > 0)
      .sort((x, y) => y[1] - x[1]);
    const top = classes[0]?.[0];
    const estimated = s.estimate("src");
    return {
      measure: events,
      type: "ddos",
      technique: top === undefined ? "mixed" : TECHNIQUE[top],
      evidence: [
        `${events} packets to one host within ${rule.windowMs / 1000} s (about ${Math.round(events / (rule.windowMs / 1000))}/s) from ${estimated ? "about " : ""}${sources} distinct sources`,
        ...kindsEvidence(classes, KIND_NAMES, "the flood began"),
        ...(s.technique === FROM_SCANNERS
          ? [
              `every one of these sources also probes many ports on its own (a flood to random ports): counted apart from the host's other traffic`,
            ]
          : []),
        ...(estimated
          ? [
              "source count estimated (HyperLogLog): too many sources to track exactly, typical of spoofed random sources",
            ]
          : []),
      ],
      dims: { sources: "src", ports: "port" },
    };
  },
};
