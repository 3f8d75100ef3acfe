import type { Direction, PacketAction, PacketEvent, Proto } from "../events/event.js";
import { flagMaskOf, packetClass } from "../events/packet-class.js";
import { canonicalIp, isGroupAddress } from "./ip.js";
import { RecentText } from "./recent-text.js";
import { FlagCollector, flagWordAt } from "./shared-lists.js";
import { decodeTcpOptions } from "./tcp-options.js";

/** The fields a netfilter LOG message carries, before time, host and source are attached. */
export type NetfilterFields = Omit<PacketEvent, "ts" | "ms" | "host" | "source" | "type">;

export type NetfilterResult = { ok: true; fields: PacketEvent } | { ok: false; reason: string };

const NO_SOURCE = { file: "", line: 0 };

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

/** LOG prefixes and interface names as the lines before named them (see RecentText). */
const PREFIXES = new RecentText();
const IN_IFS = new RecentText();
const OUT_IFS = new RecentText();

/** The current line's TCP flag words (parsing is synchronous: one line at a time). */
const FLAGS = new FlagCollector();

/** s[from, to) in upper case; the common names (already upper case) come back as constants. */
function upperAt(s: string, from: number, to: number): string {
  const n = to - from;
  if (n === 3 && s.startsWith("TCP", from)) return "TCP";
  if (n === 3 && s.startsWith("UDP", from)) return "UDP";
  if (n === 4 && s.startsWith("ICMP", from)) return "ICMP";
  return s.slice(from, to).toUpperCase();
}

/**
 * Index of the `IN=` field that starts the LOG payload, or -1: at the start, after a space, or
 * right after a prefix written without a trailing space (Shorewall's default log format gives
 * `Shorewall:net2fw:DROP:IN=eth0 OUT= ...`). Glued to a prefix, it counts only when the next
 * field is `OUT=`, as the kernel always writes them; `PHYSIN=` is followed by `PHYSOUT=`.
 */
export function findNetfilterStart(msg: string): number {
  // The next space after a glued `IN=`, found once for all the `IN=` before it: a word of many
  // (`xIN=xIN=...`) is then one pass, not one per occurrence.
  let sp = -1;
  for (let i = msg.indexOf("IN="); i >= 0; i = msg.indexOf("IN=", i + 1)) {
    if (i === 0 || msg.charCodeAt(i - 1) === 32) return i;
    if (sp < i) {
      sp = msg.indexOf(" ", i);
      if (sp < 0) return -1; // no space after: no OUT= after either
    }
    if (msg.startsWith("OUT=", sp + 1)) return i;
  }
  return -1;
}

/**
 * Parses the payload of a netfilter LOG message (`[prefix] IN=.. OUT=.. SRC=.. DST=.. ...`).
 * One left-to-right pass over space-separated tokens, no regular expressions on the hot path.
 * ICMP errors quote the offending packet in brackets (`[SRC=.. DST=.. PROTO=UDP ..]`): tokens inside
 * brackets never overwrite the outer packet's fields.
 */
export function parseNetfilter(
  msg: string,
  actionOf: (prefix: string | undefined) => PacketAction,
  ts = "",
  ms = 0,
  host = "",
  source: PacketEvent["source"] = NO_SOURCE,
  /** Where `IN=` starts, when the caller already looked (findNetfilterStart). */
  start = findNetfilterStart(msg),
): NetfilterResult {
  if (start < 0) return { ok: false, reason: "netfilter-no-fields" };
  let pe = start;
  while (pe > 0 && isTrimmed(msg.charCodeAt(pe - 1))) pe--;
  let ps = 0;
  while (ps < pe && isTrimmed(msg.charCodeAt(ps))) ps++;
  // Unicode white space at either end (a no-break space) is trimmed as String.trim does.
  const prefix =
    pe > ps && (msg.charCodeAt(ps) > 127 || msg.charCodeAt(pe - 1) > 127)
      ? msg.slice(0, start).trim() || undefined
      : pe > ps
        ? PREFIXES.at(msg, ps, pe)
        : undefined;

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
  let tcp = false;
  /**
   * The destination MAC (the first of MAC='s 14 bytes) is the broadcast ff:ff:ff:ff:ff:ff: a
   * subnet's directed broadcast (192.168.1.255). Multicast is told by its IP (isGroupAddress);
   * the MAC's group bit alone is not trusted, as anonymized logs (psad's test captures) carry
   * made-up MACs that have it.
   */
  let broadcastMac = false;
  // The kernel writes a TCP header as `SPT= DPT= ... WINDOW= RES= <flags> URGP=`: the flags are
  // known only once URGP= is seen (see packet-class.ts, "tcp-headerless").
  let tcpHeader = false;
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
    // Keys are short: look for "=" within the first 9 characters only.
    let eq = -1;
    const lim = end < pos + 9 ? end : pos + 9;
    for (let k = pos + 1; k < lim; k++) {
      if (msg.charCodeAt(k) === 61) {
        eq = k;
        break;
      }
    }
    if (eq < 0) {
      const wl = end - pos;
      if (wl === 2 && first === 68 && msg.charCodeAt(pos + 1) === 70)
        df = true; // DF
      else if (wl === 3 && first === 79 && msg.startsWith("OPT", pos)) expectOpt = true;
      else if (tcp && wl === 3) {
        const word = flagWordAt(msg, pos);
        if (word >= 0) FLAGS.add(word);
      }
      pos = end + 1;
      continue;
    }
    const vs = eq + 1;
    switch (eq - pos) {
      case 2:
        if (first === 73 && msg.charCodeAt(pos + 1) === 78)
          inIf = IN_IFS.at(msg, vs, end); // IN
        else if (first === 73 && msg.charCodeAt(pos + 1) === 68) {
          // ID: the IP ID before PROTO=, an ICMP echo's ID after TYPE=.
          if (protoText === undefined) id = intAt(msg, vs, end);
          else if (icmpType !== undefined && icmpId === undefined) icmpId = intAt(msg, vs, end);
        }
        break;
      case 3:
        if (first === 83) {
          if (msg.startsWith("SRC", pos)) src ??= msg.slice(vs, end);
          else if (msg.startsWith("SPT", pos)) sport ??= intAt(msg, vs, end);
          else if (msg.startsWith("SEQ", pos) && icmpType !== undefined) icmpSeq ??= intAt(msg, vs, end);
        } else if (first === 68) {
          if (msg.startsWith("DST", pos)) dst ??= msg.slice(vs, end);
          else if (msg.startsWith("DPT", pos)) dport ??= intAt(msg, vs, end);
        } else if (first === 79 && msg.startsWith("OUT", pos)) outIf = OUT_IFS.at(msg, vs, end);
        else if (first === 76 && msg.startsWith("LEN", pos)) len ??= intAt(msg, vs, end);
        else if (first === 84 && msg.startsWith("TTL", pos)) ttl ??= intAt(msg, vs, end);
        else if (first === 85 && msg.startsWith("UID", pos)) uid = intAt(msg, vs, end);
        else if (first === 71 && msg.startsWith("GID", pos)) gid = intAt(msg, vs, end);
        else if (first === 77 && msg.startsWith("MAC", pos))
          broadcastMac = msg.startsWith("ff:ff:ff:ff:ff:ff:", vs) || msg.startsWith("FF:FF:FF:FF:FF:FF:", vs);
        break;
      case 4:
        if (first === 84 && msg.startsWith("TYPE", pos)) icmpType ??= intAt(msg, vs, end);
        else if (first === 67 && msg.startsWith("CODE", pos)) icmpCode ??= intAt(msg, vs, end);
        else if (first === 77 && msg.startsWith("MARK", pos)) mark = msg.slice(vs, end);
        else if (tcp && first === 85 && msg.startsWith("URGP", pos)) tcpHeader = true;
        break;
      case 5:
        if (first === 80 && msg.startsWith("PROTO", pos) && protoText === undefined) {
          protoText = upperAt(msg, vs, end);
          if (protoText === "TCP" || protoText === "6") {
            tcp = true;
            FLAGS.reset();
          }
        }
        break;
      case 6:
        if (first === 87 && msg.startsWith("WINDOW", pos)) window ??= intAt(msg, vs, end);
        break;
      case 8:
        if (first === 72 && msg.startsWith("HOPLIMIT", pos)) ttl ??= intAt(msg, vs, end);
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

  const flags = tcp && tcpHeader ? FLAGS.list() : undefined;
  const mask = flags !== undefined ? flagMaskOf(flags) : 0;
  // One object literal in a fixed key order: fast to build and readable as NDJSON.
  const fields: PacketEvent = {
    type: "packet",
    ts,
    ms,
    host,
    src: s,
    dst: d,
    proto,
    mask,
    cls:
      proto === "tcp" && !tcpHeader
        ? "tcp-headerless"
        : packetClass(
            { proto, icmpType: icmpType !== undefined && icmpType <= 255 ? icmpType : undefined },
            mask,
          ),
    action: actionOf(prefix),
    direction: directionOf(inIf, outIf),
    source,
  };
  if (prefix !== undefined) fields.prefix = prefix;
  if (inIf) fields.in = inIf;
  if (outIf) fields.out = outIf;
  // A corrupted line ("SPT=99999") drops the field rather than emit a port no packet can carry.
  if (sport !== undefined && sport <= 65535) fields.sport = sport;
  if (dport !== undefined && dport <= 65535) fields.dport = dport;
  if (flags !== undefined) fields.flags = flags;
  if (len !== undefined) fields.len = len;
  if (ttl !== undefined) fields.ttl = ttl;
  if (id !== undefined) fields.id = id;
  if (proto === "tcp" || proto === "udp" || proto === "icmp") fields.df = df;
  if (window !== undefined) fields.window = window;
  if (optHex !== undefined && proto === "tcp") fields.tcpOptions = decodeTcpOptions(optHex);
  if (proto === "icmp" || proto === "icmpv6") {
    if (icmpType !== undefined && icmpType <= 255) fields.icmpType = icmpType;
    if (icmpCode !== undefined && icmpCode <= 255) fields.icmpCode = icmpCode;
    if (icmpId !== undefined) fields.icmpId = icmpId;
    if (icmpSeq !== undefined) fields.icmpSeq = icmpSeq;
  }
  if (mark !== undefined) fields.mark = mark;
  if (uid !== undefined) fields.uid = uid;
  if (gid !== undefined) fields.gid = gid;
  if (broadcastMac || isGroupAddress(d)) fields.toGroup = true;
  fields.source = source;
  return { ok: true, fields };
}

function protoOf(text: string): Proto | undefined {
  const named = PROTO_NAMES[text];
  if (named !== undefined) return named;
  const num = toInt(text);
  if (num === undefined || num > 255) return undefined;
  return PROTO_NUMBERS[num] ?? num;
}

/** Decimal integer in s[from, to), without allocating; undefined when not all digits or too long. */
function intAt(s: string, from: number, to: number): number | undefined {
  if (to <= from || to - from > 12) return from < to ? toInt(s.slice(from, to)) : undefined;
  let v = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return toInt(s.slice(from, to));
    v = v * 10 + c;
  }
  return v;
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

/**
 * Where a packet goes, from its IN= and OUT= interfaces. A packet from this host to itself (to
 * 127.0.0.1, or to one of its own addresses) goes over the loopback interface, `lo`: OUT=lo on
 * the OUTPUT chain, IN=lo on INPUT. A LOG rule without `-i` sees that traffic too, and a local
 * monitoring agent or exporter scraper touches many local ports a minute: it is `local`, not
 * `in`, so rules that look at traffic coming in never count it.
 */
export function directionOf(inIf: string, outIf: string): Direction {
  if (inIf === "lo" || outIf === "lo") return "local";
  return inIf && outIf ? "forward" : inIf ? "in" : outIf ? "out" : "unknown";
}

/** ASCII white space as String.trim takes it: tab, line feed, vertical tab, form feed, CR, space. */
function isTrimmed(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}
