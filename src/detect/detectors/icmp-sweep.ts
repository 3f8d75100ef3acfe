import type { Event } from "../../events/event.js";
import type { CompiledRule } from "../../rules/compiled-rule.js";
import { member, type Aggregator, type KeyAgg } from "../aggregator.js";
import { count, type Detector, type Verdict } from "../detector.js";
import type { WindowSnapshot } from "../window-store.js";

export function isEchoRequest(e: Event): boolean {
  return (
    e.type === "packet" &&
    ((e.proto === "icmp" && e.icmpType === 8) || (e.proto === "icmpv6" && e.icmpType === 128))
  );
}

/** Echo requests from one source to many hosts (ping sweep). */
export class IcmpSweep implements Detector {
  readonly phase = 0;
  constructor(readonly rule: CompiledRule) {}

  collect(e: Event, agg: Aggregator): void {
    if (e.type !== "packet" || !isEchoRequest(e)) return;
    const a = agg.add(e.src, e, e.src, null, String(e.proto));
    member(a, "host", e.dst, e.ms);
  }

  judge(_a: KeyAgg, s: WindowSnapshot): Verdict | undefined {
    const hosts = count(s, "host");
    if (hosts < this.rule.threshold) return undefined;
    return {
      measure: hosts,
      type: "icmp-sweep",
      evidence: [
        `echo requests to ${hosts} distinct hosts from one source in ${this.rule.windowMs / 1000} s`,
      ],
      dims: { hosts: "host" },
    };
  }
}
