import type { EventClass, DetectorModule } from "../detector.js";
import { isOsSyn, isRawSyn } from "./fingerprint.js";
import { packets, type PacketKind } from "./params.js";

interface Params {
  packets: PacketKind;
  maxPorts: number;
}

const TYPE = { syn: "syn-flood", udp: "udp-flood", "icmp-echo": "icmp-flood", any: "flood" } as const;
const PORT = 0;
/** A SYN flood's SYNs, and those with a raw-packet or an operating system's fingerprint. */
const TAGS = ["syn", "raw", "os"] as const;
const SYN = 0;
const RAW = 1;
const OS = 2;

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
  // More than maxPorts ports is a scan: one more than that is all judge tells apart.
  distinctUpTo: (rule) => ({ port: rule.params.maxPorts + 1 }),
  tags: TAGS,
  compile: (spec) => ({ packets: spec.packets as PacketKind, maxPorts: spec.maxPorts as number }),
  stateKey: (rule) => rule.params.packets,
  feed(e, ctx, rule) {
    if (e.type !== "packet") return;
    const p = rule.params.packets;
    if (p !== "any" && e.cls !== p) return;
    const k = ctx.touch(`${e.src}|${e.dst}`, e, e.src, e.dst, String(e.proto));
    ctx.count(k, e);
    if (e.dport !== undefined) ctx.member(k, PORT, e.dport, e);
    if (e.cls === "syn") {
      ctx.tag(k, SYN);
      if (isRawSyn(e)) ctx.tag(k, RAW);
      else if (isOsSyn(e)) ctx.tag(k, OS);
    }
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
        ...synSource(s.tag("syn"), s.tag("raw"), s.tag("os")),
      ],
      dims: { ports: "port" },
    };
  },
};

/**
 * What sent a SYN flood's SYNs, from their fingerprints since the flood began (episode counts):
 * a tool crafting raw packets, or an operating system's connect(), which is a connection flood
 * or a busy client (a proxy, a load test) on a host that logs every new connection. Exported
 * for tests.
 */
export function synSource(syn: number, raw: number, os: number): string[] {
  if (syn === 0) return [];
  if (raw * 2 > syn)
    return [
      `${raw} of ${syn} SYNs since the flood began carry a raw-packet fingerprint: a flood tool (hping3 and the like)`,
    ];
  if (os * 2 > syn)
    return [
      `${os} of ${syn} SYNs since the flood began carry an operating system's TCP options: real connection attempts, a connection flood or a busy client (a proxy, a load test)`,
    ];
  return [];
}
