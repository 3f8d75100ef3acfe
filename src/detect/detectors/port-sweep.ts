import type { Event } from "../../events/event.js";
import type { CompiledRule } from "../../rules/compiled-rule.js";
import { member, type Aggregator, type KeyAgg } from "../aggregator.js";
import { count, type Detector, type Verdict } from "../detector.js";
import { isSyn } from "../tcp-flags.js";
import type { WindowSnapshot } from "../window-store.js";

/** One source probing the same port on many hosts (horizontal scan). */
export class PortSweep implements Detector {
  readonly phase = 0;
  constructor(readonly rule: CompiledRule) {}

  collect(e: Event, agg: Aggregator): void {
    if (e.type !== "packet" || e.dport === undefined) return;
    if (!(isSyn(e) || e.proto === "udp")) return;
    const proto = String(e.proto);
    const a = agg.add(`${e.src}|${proto}|${e.dport}`, e, () => ({ src: e.src, dst: null, proto, host: e.host }));
    member(a, "host", e.dst, e.ms);
  }

  judge(a: KeyAgg, s: WindowSnapshot): Verdict | undefined {
    const hosts = count(s, "host");
    if (hosts < this.rule.threshold) return undefined;
    const port = Number(a.key.slice(a.key.lastIndexOf("|") + 1));
    return {
      measure: hosts,
      type: "port-sweep",
      evidence: [`port ${port}/${a.info.proto} probed on ${hosts} distinct hosts by one source in ${this.rule.windowMs / 1000} s`],
      dims: { hosts: "host" },
      ports: [port],
    };
  }
}
