import type { Event } from "../../events/event.js";
import type { CompiledRule } from "../../rules/compiled-rule.js";
import { member, type Aggregator, type KeyAgg } from "../aggregator.js";
import { count, type Detector, type Verdict } from "../detector.js";
import type { WindowSnapshot } from "../window-store.js";

/** UDP datagrams from one source to many ports. */
export class UdpScan implements Detector {
  readonly phase = 0;
  constructor(readonly rule: CompiledRule) {}

  collect(e: Event, agg: Aggregator): void {
    if (e.type !== "packet" || e.proto !== "udp" || e.dport === undefined) return;
    const a = agg.add(e.src, e, e.src, e.dst, "udp");
    member(a, "port", String(e.dport), e.ms);
    member(a, "host", e.dst, e.ms);
  }

  judge(_a: KeyAgg, s: WindowSnapshot): Verdict | undefined {
    const ports = count(s, "port");
    if (ports < this.rule.threshold) return undefined;
    return {
      measure: ports,
      type: "udp-scan",
      evidence: [
        `${ports} distinct UDP ports probed by one source in ${this.rule.windowMs / 1000} s (${s.events} datagrams)`,
      ],
      dims: { ports: "port", hosts: "host" },
    };
  }
}
