import type { Event } from "../../events/event.js";
import type { CompiledRule, StealthTechnique } from "../../rules/compiled-rule.js";
import { member, type Aggregator, type KeyAgg } from "../aggregator.js";
import { count, type Detector, type Verdict } from "../detector.js";
import { flagMask, flagText, stealthTechnique } from "../tcp-flags.js";
import type { WindowSnapshot } from "../window-store.js";

const WHAT: Record<StealthTechnique, string> = {
  fin: "FIN without ACK: no TCP stack sends it in a connection (nmap -sF)",
  xmas: "FIN+PSH+URG (xmas): never sent by a TCP stack (nmap -sX)",
  null: "no TCP flags at all: never sent by a TCP stack (nmap -sN)",
  ack: "bare ACKs without DF to ports never opened with a SYN (nmap -sA firewall mapping)",
  maimon: "FIN+ACK without DF to many ports (Maimon scan, nmap -sM)",
  other: "flag combinations no TCP stack sends",
};

/** TCP probes with abnormal flags. ACK and FIN+ACK only count without DF (OS stacks set DF). */
export class StealthScan implements Detector {
  readonly phase = 0;
  constructor(readonly rule: CompiledRule) {}

  collect(e: Event, agg: Aggregator): void {
    if (e.type !== "packet") return;
    const t = stealthTechnique(e);
    if (t === undefined || !this.rule.techniques.has(t)) return;
    if ((t === "ack" || t === "maimon") && e.df) return;
    const a = agg.add(`${e.src}|${t}`, e, e.src, e.dst, "tcp", 1, t);
    if (e.dport !== undefined) member(a, "port", String(e.dport), e.ms);
    member(a, "host", e.dst, e.ms);
    if (t === "other") member(a, "flags", flagText(flagMask(e)), e.ms);
  }

  judge(a: KeyAgg, s: WindowSnapshot): Verdict | undefined {
    const ports = Math.max(count(s, "port"), s.events > 0 ? 1 : 0);
    if (ports < this.rule.threshold) return undefined;
    const t = a.info.technique as StealthTechnique;
    return {
      measure: ports,
      type: "stealth-scan",
      technique: t,
      evidence: [`${s.events} probe(s) to ${ports} distinct port(s): ${WHAT[t]}`],
      dims: { ports: "port", hosts: "host" },
    };
  }
}
