import type { EventClass, DetectorModule } from "../detector.js";
import { packets, type PacketKind } from "./params.js";

interface Params {
  packets: PacketKind;
  maxPorts: number;
}

const TYPE = { syn: "syn-flood", udp: "udp-flood", "icmp-echo": "icmp-flood", any: "flood" } as const;
const PORT = 0;

/** Packet classes a flood rule counts: SYNs, UDP datagrams, echo requests, or all three. */
export function floodClasses(p: PacketKind): EventClass[] {
  return p === "any" ? ["syn", "udp", "icmp-echo"] : [p];
}

/** A high packet rate from one source to one host, on few ports (more ports is a scan). */
export const flood: DetectorModule<Params> = {
  name: "flood",
  params: {
    packets: packets("flood"),
    maxPorts: {
      type: "integer",
      minimum: 1,
      maximum: 65536,
      description:
        "flood: most distinct destination ports a flood may touch; more ports is a scan, not a flood.",
    },
  },
  requiredParams: ["packets", "maxPorts"],
  alertTypes: ["syn-flood", "udp-flood", "icmp-flood", "flood"],
  measure: { what: "packets", max: Infinity, of: (s) => s.events() },
  accepts: (rule) => floodClasses(rule.params.packets),
  dims: ["port"],
  tags: [],
  compile: (spec) => ({ packets: spec.packets as PacketKind, maxPorts: spec.maxPorts as number }),
  stateKey: (rule) => rule.params.packets,
  feed(e, ctx, rule) {
    if (e.type !== "packet") return;
    const p = rule.params.packets;
    if (p !== "any" && e.cls !== p) return;
    const k = ctx.touch(`${e.src}|${e.dst}`, e, e.src, e.dst, String(e.proto));
    ctx.count(k, e);
    if (e.dport !== undefined) ctx.member(k, PORT, e.dport, e);
    ctx.check(k, -1);
  },
  judge(s, rule) {
    const events = s.events();
    const ports = s.distinct("port");
    if (events < rule.threshold || ports > rule.params.maxPorts) return undefined;
    const p = rule.params.packets;
    const rate = Math.round(events / (rule.windowMs / 1000));
    const what = p === "any" ? "packets" : p === "icmp-echo" ? "echo requests" : `${p.toUpperCase()} packets`;
    return {
      measure: events,
      type: TYPE[p],
      evidence: [
        `${events} ${what} from one source to one host within ${rule.windowMs / 1000} s (about ${rate}/s)`,
        ...(ports ? [`${ports} destination port(s): a flood, not a scan`] : []),
      ],
      dims: { ports: "port" },
    };
  },
};
