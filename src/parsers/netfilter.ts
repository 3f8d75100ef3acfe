import type { PacketAction, PacketEvent, Proto } from "../events/event.js";
import { canonicalIp } from "./ip.js";
import { decodeTcpOptions } from "./tcp-options.js";

/** The fields a netfilter LOG message carries, before time, host and source are attached. */
export type NetfilterFields = Omit<PacketEvent, "ts" | "ms" | "host" | "source" | "type">;

export type NetfilterResult = { ok: true; fields: NetfilterFields } | { ok: false; reason: string };

const PROTO_NAMES: Record<string, Proto> = {
  TCP: "tcp",
  UDP: "udp",
  ICMP: "icmp",
  ICMPV6: "icmpv6",
  "IPV6-ICMP": "icmpv6",
  IGMP: 2,
  GRE: 47,
  ESP: 50,
  AH: 51,
  SCTP: 132,
  UDPLITE: 136,
};
const PROTO_NUMBERS: Record<number, Proto> = { 6: "tcp", 17: "udp", 1: "icmp", 58: "icmpv6" };

const TCP_FLAGS = new Set(["CWR", "ECE", "URG", "ACK", "PSH", "RST", "SYN", "FIN"]);

/** Index of the `IN=` field that starts the LOG payload (at the start or after a space), or -1. */
export function findNetfilterStart(msg: string): number {
  let i = msg.indexOf("IN=");
  while (i > 0 && msg.charCodeAt(i - 1) !== 32) i = msg.indexOf("IN=", i + 1);
  return i;
}

/**
 * Parses the payload of a netfilter LOG message (`[prefix] IN=.. OUT=.. SRC=.. DST=.. ...`).
 * One left-to-right pass over space-separated tokens, no regular expressions on the hot path.
 * ICMP errors quote the offending packet in brackets (`[SRC=.. DST=.. PROTO=UDP ..]`): tokens inside
 * brackets never overwrite the outer packet's fields.
 */
export function parseNetfilter(msg: string, actionOf: (prefix: string | undefined) => PacketAction): NetfilterResult {
  const start = findNetfilterStart(msg);
  if (start < 0) return { ok: false, reason: "netfilter-no-fields" };
  const rawPrefix = msg.slice(0, start).trim();
  const prefix = rawPrefix.length > 0 ? rawPrefix : undefined;

  let inIf = "";
  let outIf = "";
  let src: string | undefined;
  let dst: string | undefined;
  let protoText: string | undefined;
  let sport: number | undefined;
  let dport: number | undefined;
  let len: number | undefined;
  let ttl: number | undefined;
  let id: number | undefined;
  let df = false;
  let window: number | undefined;
  let optHex: string | undefined;
  let icmpType: number | undefined;
  let icmpCode: number | undefined;
  let icmpId: number | undefined;
  let icmpSeq: number | undefined;
  let mark: string | undefined;
  let uid: number | undefined;
  let gid: number | undefined;
  let flags: string[] | undefined;
  let depth = 0;
  let expectOpt = false;

  const n = msg.length;
  let pos = start;
  while (pos < n) {
    let end = msg.indexOf(" ", pos);
    if (end < 0) end = n;
    if (end === pos) {
      pos++;
      continue;
    }
    const first = msg.charCodeAt(pos);
    if (depth > 0 || first === 91 /* [ */) {
      // Inside an ICMP error's quoted packet: only track nesting.
      for (let k = pos; k < end; k++) {
        const c = msg.charCodeAt(k);
        if (c === 91) depth++;
        else if (c === 93 && depth > 0) depth--;
      }
      pos = end + 1;
      continue;
    }
    if (expectOpt) {
      expectOpt = false;
      if (first === 40 /* ( */ && msg.charCodeAt(end - 1) === 41) {
        // IP options come before PROTO=, TCP options after it; only TCP options are decoded.
        if (protoText !== undefined) optHex = msg.slice(pos + 1, end - 1);
        pos = end + 1;
        continue;
      }
    }
    const eq = msg.indexOf("=", pos);
    if (eq < 0 || eq >= end) {
      const word = msg.slice(pos, end);
      if (word === "DF") df = true;
      else if (word === "OPT") expectOpt = true;
      else if (protoText === "TCP" && TCP_FLAGS.has(word)) (flags ??= []).push(word);
      pos = end + 1;
      continue;
    }
    const key = msg.slice(pos, eq);
    const val = msg.slice(eq + 1, end);
    switch (key) {
      case "IN":
        inIf = val;
        break;
      case "OUT":
        outIf = val;
        break;
      case "SRC":
        if (src === undefined) src = val;
        break;
      case "DST":
        if (dst === undefined) dst = val;
        break;
      case "PROTO":
        if (protoText === undefined) {
          protoText = val.toUpperCase();
          if (protoText === "TCP") flags = [];
        }
        break;
      case "SPT":
        if (sport === undefined) sport = toInt(val);
        break;
      case "DPT":
        if (dport === undefined) dport = toInt(val);
        break;
      case "LEN":
        if (len === undefined) len = toInt(val);
        break;
      case "TTL":
      case "HOPLIMIT":
        if (ttl === undefined) ttl = toInt(val);
        break;
      case "ID":
        // ICMP echo carries its own ID= after PROTO=ICMP TYPE= CODE=.
        if (protoText === undefined) id = toInt(val);
        else if (icmpType !== undefined && icmpId === undefined) icmpId = toInt(val);
        break;
      case "WINDOW":
        if (window === undefined) window = toInt(val);
        break;
      case "TYPE":
        if (icmpType === undefined) icmpType = toInt(val);
        break;
      case "CODE":
        if (icmpCode === undefined) icmpCode = toInt(val);
        break;
      case "SEQ":
        if (icmpType !== undefined && icmpSeq === undefined) icmpSeq = toInt(val);
        break;
      case "MARK":
        mark = val;
        break;
      case "UID":
        uid = toInt(val);
        break;
      case "GID":
        gid = toInt(val);
        break;
      default:
        break;
    }
    pos = end + 1;
  }

  if (src === undefined || dst === undefined || protoText === undefined) {
    return { ok: false, reason: "netfilter-incomplete" };
  }
  const s = canonicalIp(src);
  const d = canonicalIp(dst);
  if (s === undefined || d === undefined) return { ok: false, reason: "netfilter-bad-address" };
  const proto = protoOf(protoText);
  if (proto === undefined) return { ok: false, reason: "netfilter-bad-proto" };

  const fields: NetfilterFields = {
    src: s,
    dst: d,
    proto,
    action: actionOf(prefix),
    direction: inIf && outIf ? "forward" : inIf ? "in" : outIf ? "out" : "unknown",
  };
  if (prefix !== undefined) fields.prefix = prefix;
  if (inIf) fields.in = inIf;
  if (outIf) fields.out = outIf;
  if (sport !== undefined) fields.sport = sport;
  if (dport !== undefined) fields.dport = dport;
  if (flags !== undefined) fields.flags = flags;
  if (len !== undefined) fields.len = len;
  if (ttl !== undefined) fields.ttl = ttl;
  if (id !== undefined) fields.id = id;
  if (proto === "tcp" || proto === "udp" || proto === "icmp") fields.df = df;
  if (window !== undefined) fields.window = window;
  if (optHex !== undefined && proto === "tcp") fields.tcpOptions = decodeTcpOptions(optHex);
  if (proto === "icmp" || proto === "icmpv6") {
    if (icmpType !== undefined) fields.icmpType = icmpType;
    if (icmpCode !== undefined) fields.icmpCode = icmpCode;
    if (icmpId !== undefined) fields.icmpId = icmpId;
    if (icmpSeq !== undefined) fields.icmpSeq = icmpSeq;
  }
  if (mark !== undefined) fields.mark = mark;
  if (uid !== undefined) fields.uid = uid;
  if (gid !== undefined) fields.gid = gid;
  return { ok: true, fields };
}

function protoOf(text: string): Proto | undefined {
  const named = PROTO_NAMES[text];
  if (named !== undefined) return named;
  const num = toInt(text);
  if (num === undefined || num > 255) return undefined;
  return PROTO_NUMBERS[num] ?? num;
}

/** Decimal (or 0x hex) non-negative integer, or undefined; bounded length so it never loops long. */
function toInt(s: string): number | undefined {
  if (s.length === 0 || s.length > 12) return undefined;
  if (s.length > 2 && s.charCodeAt(0) === 48 && (s.charCodeAt(1) | 32) === 120) {
    const v = parseInt(s.slice(2), 16);
    return Number.isFinite(v) ? v : undefined;
  }
  let v = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return undefined;
    v = v * 10 + c;
  }
  return v;
}
