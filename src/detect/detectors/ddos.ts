import type { DetectorModule } from "../detector.js";
import { floodClasses } from "./flood.js";
import { minSources, packets, type PacketKind } from "./params.js";

interface Params {
  packets: PacketKind;
  minSources: number;
}

const SRC = 0;
const PORT = 1;
const TAGS = ["syn", "udp", "icmp-echo"] as const;
const TECHNIQUE = { syn: "syn-flood", udp: "udp-flood", "icmp-echo": "icmp-flood" } as const;

/**
 * A high packet rate to one host from many sources, spoofed or real. Keyed by target, so a flood
 * from a million random sources is one incident; the source count becomes an estimate past the
 * exact bound. Replies and established traffic are not a flood's signature: only probes and
 * datagrams count.
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
  compile: (spec) => ({ packets: spec.packets as PacketKind, minSources: spec.minSources as number }),
  stateKey: (rule) => rule.params.packets,
  feed(e, ctx, rule) {
    if (e.type !== "packet") return;
    const p = rule.params.packets;
    if (p !== "any" && e.cls !== p) return;
    const k = ctx.touch(e.dst, e, null, e.dst, String(e.proto));
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
        `by kind: ${classes.map(([k, v]) => `${k} ${v}`).join(", ")}`,
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
