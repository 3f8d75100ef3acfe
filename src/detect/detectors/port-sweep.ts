import type { Event } from "../../events/event.js";
import type { CompiledRule } from "../../rules/compiled-rule.js";
import { member, type Aggregator, type KeyAgg } from "../aggregator.js";
import { count, type Detector, type Verdict } from "../detector.js";
import { isSyn } from "../tcp-flags.js";
import type { WindowSnapshot } from "../window-store.js";

/**
 * One source probing many hosts (horizontal scan), on the same port or a few. Keyed by source and
 * protocol, not by port: a vertical scanner touching thousands of ports of one host costs one key.
 */
export class PortSweep implements Detector {
  readonly phase = 0;
  constructor(readonly rule: CompiledRule) {}

  collect(e: Event, agg: Aggregator): void {
    if (e.type !== "packet" || e.dport === undefined) return;
    if (!(isSyn(e) || e.proto === "udp")) return;
    const proto = e.proto === "tcp" ? "tcp" : "udp";
    const a = agg.add(`${e.src}|${proto}`, e, e.src, null, proto);
    member(a, "host", e.dst, e.ms);
    member(a, "port", String(e.dport), e.ms);
  }

  judge(a: KeyAgg, s: WindowSnapshot): Verdict | undefined {
    const hosts = count(s, "host");
    if (hosts < this.rule.threshold) return undefined;
    const ports = count(s, "port");
    return {
      measure: hosts,
      type: "port-sweep",
      evidence: [
        `${hosts} distinct hosts probed by one source on ${ports} ${a.info.proto.toUpperCase()} port(s) in ${this.rule.windowMs / 1000} s`,
      ],
      dims: { hosts: "host", ports: "port" },
    };
  }
}
