import type { PacketClass } from "../../events/packet-class.js";
import { flagText } from "../../events/packet-class.js";
import type { StealthTechnique } from "../../rules/compiled-rule.js";
import type { DetectorModule } from "../detector.js";
import { isLateTcpReply } from "./fingerprint.js";

const WHAT: Record<StealthTechnique, string> = {
  fin: "FIN without ACK: no TCP stack sends it in a connection (nmap -sF)",
  xmas: "FIN+PSH+URG (xmas): never sent by a TCP stack (nmap -sX)",
  null: "no TCP flags at all: never sent by a TCP stack (nmap -sN)",
  ack: "bare ACKs without DF to ports never opened with a SYN (nmap -sA firewall mapping)",
  maimon: "FIN+ACK without DF to many ports (Maimon scan, nmap -sM)",
  other: "flag combinations no TCP stack sends",
};

const TECHNIQUE: Partial<Record<PacketClass, StealthTechnique>> = {
  null: "null",
  fin: "fin",
  xmas: "xmas",
  ack: "ack",
  finack: "maimon",
  "tcp-odd": "other",
};

const PORT = 0;
const HOST = 1;
const FLAGS = 2;

interface Params {
  techniques: ReadonlySet<StealthTechnique>;
}

/**
 * TCP probes with abnormal flags, one key per source and technique. ACK and FIN+ACK only count
 * without DF (OS stacks set DF) and never from a server's port to an ephemeral one (isLateTcpReply).
 */
export const stealthScan: DetectorModule<Params> = {
  name: "stealth-scan",
  params: {
    techniques: {
      type: "array",
      items: { enum: ["fin", "xmas", "null", "ack", "maimon", "other"] },
      uniqueItems: true,
      minItems: 1,
      description:
        "stealth-scan: which probe kinds this rule counts (fin: FIN alone; xmas: FIN+PSH+URG; null: no flags; ack: ACK alone; maimon: FIN+ACK; other: impossible combinations such as SYN+FIN).",
    },
  },
  requiredParams: ["techniques"],
  alertTypes: ["stealth-scan"],
  measure: {
    what: "distinct destination ports",
    max: 65536,
    of: (s) => Math.max(s.distinct("port"), s.events() > 0 ? 1 : 0),
  },
  accepts: ["null", "fin", "xmas", "ack", "finack", "tcp-odd"],
  dims: ["port", "host", "flags"],
  tags: [],
  compile: (spec) => ({ techniques: new Set(spec.techniques as StealthTechnique[]) }),
  stateKey: (rule) => [...rule.params.techniques].sort().join(","),
  feed(e, ctx, rule) {
    if (e.type !== "packet") return;
    const t = TECHNIQUE[e.cls];
    if (t === undefined || !rule.params.techniques.has(t)) return;
    // Stacks send ACK and FIN+ACK inside connections: only raw ones count, never a late segment
    // of a connection this host opened (see isLateTcpReply).
    if ((t === "ack" || t === "maimon") && (e.df || isLateTcpReply(e))) return;
    const k = ctx.touch(`${e.src}|${t}`, e, e.src, e.dst, "tcp", t);
    ctx.count(k, e);
    ctx.member(k, HOST, e.dst, e);
    if (t === "other") ctx.member(k, FLAGS, flagText(e.mask), e);
    // A probe without a port still counts as one port (the measure never stays at zero).
    ctx.check(k, e.dport !== undefined ? ctx.member(k, PORT, e.dport, e) : -1);
  },
  judge(s, rule) {
    const events = s.events();
    const ports = Math.max(s.distinct("port"), events > 0 ? 1 : 0);
    if (ports < rule.threshold) return undefined;
    const t = s.technique as StealthTechnique;
    return {
      measure: ports,
      type: "stealth-scan",
      technique: t,
      evidence: [`${events} probe(s) to ${ports} distinct port(s): ${WHAT[t]}`],
      dims: { ports: "port", hosts: "host" },
    };
  },
};
