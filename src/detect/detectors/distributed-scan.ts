import type { Event } from "../../events/event.js";
import type { CompiledRule } from "../../rules/compiled-rule.js";
import { member, type Aggregator, type KeyAgg } from "../aggregator.js";
import { count, type BatchContext, type Detector, type Verdict } from "../detector.js";
import { isSyn } from "../tcp-flags.js";
import type { WindowSnapshot } from "../window-store.js";

/**
 * Many sources, each below the single-source tcp-scan threshold, covering many ports of one
 * host. Runs after tcp-scan in each batch and skips sources that are scanners on their own
 * (they get their own alert), so three separate scanners are not reported as one distributed scan.
 */
export class DistributedScan implements Detector {
  readonly phase = 1;
  constructor(readonly rule: CompiledRule) {}

  collect(e: Event, agg: Aggregator, ctx: BatchContext): void {
    if (e.type !== "packet" || !isSyn(e) || e.dport === undefined) return;
    if ((ctx.srcPorts.get(e.src) ?? 0) >= ctx.tcpScanThreshold) return;
    const a = agg.add(e.dst, e, null, e.dst, "tcp");
    member(a, "port", String(e.dport), e.ms);
    member(a, "src", e.src, e.ms);
  }

  judge(_a: KeyAgg, s: WindowSnapshot): Verdict | undefined {
    const ports = count(s, "port");
    const sources = count(s, "src");
    if (ports < this.rule.threshold || sources < this.rule.minSources) return undefined;
    return {
      measure: ports,
      type: "distributed-scan",
      evidence: [
        `${ports} distinct ports of one host probed by ${sources} sources in ${this.rule.windowMs / 1000} s`,
        "no source alone reached the single-source tcp-scan threshold",
      ],
      dims: { ports: "port", sources: "src" },
    };
  }
}
