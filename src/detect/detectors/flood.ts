import type { Event, PacketEvent } from "../../events/event.js";
import type { CompiledRule } from "../../rules/compiled-rule.js";
import { member, type Aggregator, type KeyAgg } from "../aggregator.js";
import { count, type Detector, type Verdict } from "../detector.js";
import { isSyn } from "../tcp-flags.js";
import type { WindowSnapshot } from "../window-store.js";
import { isEchoRequest } from "./icmp-sweep.js";

export function packetClass(e: PacketEvent): "syn" | "udp" | "icmp-echo" | "other" {
  if (isSyn(e)) return "syn";
  if (e.proto === "udp") return "udp";
  if (isEchoRequest(e)) return "icmp-echo";
  return "other";
}

const TYPE = { syn: "syn-flood", udp: "udp-flood", "icmp-echo": "icmp-flood", any: "flood" } as const;

/** A high packet rate from one source to one host, on few ports (more ports is a scan). */
export class Flood implements Detector {
  readonly phase = 0;
  constructor(readonly rule: CompiledRule) {}

  collect(e: Event, agg: Aggregator): void {
    if (e.type !== "packet") return;
    if (this.rule.packets !== "any" && packetClass(e) !== this.rule.packets) return;
    const a = agg.add(`${e.src}|${e.dst}`, e, e.src, e.dst, String(e.proto));
    if (e.dport !== undefined) member(a, "port", String(e.dport), e.ms);
  }

  judge(_a: KeyAgg, s: WindowSnapshot): Verdict | undefined {
    const ports = count(s, "port");
    if (s.events < this.rule.threshold || ports > this.rule.maxPorts) return undefined;
    const rate = Math.round(s.events / (this.rule.windowMs / 1000));
    return {
      measure: s.events,
      type: TYPE[this.rule.packets],
      evidence: [
        `${s.events} ${this.rule.packets === "any" ? "packets" : this.rule.packets === "icmp-echo" ? "echo requests" : this.rule.packets.toUpperCase() + " packets"} from one source to one host within ${this.rule.windowMs / 1000} s (about ${rate}/s)`,
        ports ? `${ports} destination port(s): a flood, not a scan` : "",
      ].filter(Boolean),
      dims: { ports: "port" },
    };
  }
}
