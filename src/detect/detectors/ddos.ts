import type { Event } from "../../events/event.js";
import type { CompiledRule } from "../../rules/compiled-rule.js";
import { member, tag, type Aggregator, type KeyAgg } from "../aggregator.js";
import { count, isEstimate, type Detector, type Verdict } from "../detector.js";
import type { WindowSnapshot } from "../window-store.js";
import { packetClass } from "./flood.js";

/**
 * A high packet rate to one host from many sources, spoofed or real. Keyed by target, so a
 * flood from a million random sources is one incident; the source count becomes an estimate
 * past the store's exact bound.
 */
export class Ddos implements Detector {
  readonly phase = 0;
  constructor(readonly rule: CompiledRule) {}

  collect(e: Event, agg: Aggregator): void {
    if (e.type !== "packet") return;
    const cls = packetClass(e);
    if (this.rule.packets !== "any" && cls !== this.rule.packets) return;
    // Replies and established traffic are not a flood's signature: only count probes and datagrams.
    if (this.rule.packets === "any" && cls === "other") return;
    const a = agg.add(e.dst, e, null, e.dst, String(e.proto));
    member(a, "src", e.src, e.ms);
    if (e.dport !== undefined) member(a, "port", String(e.dport), e.ms);
    tag(a, cls);
  }

  judge(_a: KeyAgg, s: WindowSnapshot): Verdict | undefined {
    const sources = count(s, "src");
    if (s.events < this.rule.threshold || sources < this.rule.minSources) return undefined;
    const classes = Object.entries(s.tags).sort((x, y) => y[1] - x[1]);
    const top = classes[0]?.[0] ?? "syn";
    const technique =
      top === "syn"
        ? "syn-flood"
        : top === "udp"
          ? "udp-flood"
          : top === "icmp-echo"
            ? "icmp-flood"
            : "mixed";
    const approx = isEstimate(s, "src") ? "about " : "";
    return {
      measure: s.events,
      type: "ddos",
      technique,
      evidence: [
        `${s.events} packets to one host within ${this.rule.windowMs / 1000} s (about ${Math.round(s.events / (this.rule.windowMs / 1000))}/s) from ${approx}${sources} distinct sources`,
        `by kind: ${classes.map(([k, v]) => `${k} ${v}`).join(", ")}`,
        ...(isEstimate(s, "src")
          ? [
              "source count estimated (HyperLogLog): too many sources to track exactly, typical of spoofed random sources",
            ]
          : []),
      ],
      dims: { sources: "src", ports: "port" },
    };
  }
}
