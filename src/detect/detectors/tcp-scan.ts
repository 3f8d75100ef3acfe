import type { Event } from "../../events/event.js";
import type { CompiledRule } from "../../rules/compiled-rule.js";
import type { DetectorModule, FactSource, Verdict, WindowView } from "../detector.js";
import { isOsSyn, isRawSyn } from "./fingerprint.js";
import { isScanner } from "./scanner-fact.js";

/** sshd messages that mean a TCP connection was completed and dropped before authentication. */
const SSHD_CONNECT_KINDS = new Set([
  "preauth-close",
  "no-ident",
  "connect",
  "timeout",
  "negotiation-failure",
]);

const DIMS = ["port", "host"] as const;
const PORT = 0;
const HOST = 1;
const TAGS = ["syn", "raw", "os", "rst", "ackrst", "ack", "sshd", "sportChange"] as const;
const SYN = 0;
const RAW = 1;
const OS = 2;
const RST = 3;
const ACKRST = 4;
const ACK = 5;
const SSHD = 6;
const SPORT_CHANGE = 7;

/**
 * SYNs from one source to many TCP ports. Classifies the scan as half-open (SYN, then RST, never
 * a handshake: nmap -sS, masscan) or full-connect (the OS completes each handshake: nmap -sT,
 * connect() scanners) from every clue the logs carry, each recorded as evidence. A fast and a
 * slow rule (60 s, 1 h) share one key per source and differ only in window.
 */
export const tcpScan: DetectorModule<Record<string, never>> = {
  name: "tcp-scan",
  params: {},
  requiredParams: [],
  alertTypes: ["half-open-scan", "full-connect-scan"],
  measure: { what: "distinct destination ports", max: 65536, of: (s) => s.distinct("port") },
  accepts: ["syn", "rst", "rstack", "ack", "ackpsh", "auth"],
  dims: DIMS,
  tags: TAGS,
  provides: {
    /** 1 when the source reached a fast tcp-scan rule's threshold on its own. */
    "tcp-scan/scanner": isScanner,
    /**
     * Distinct ports the source probed in the shortest fast tcp-scan window (any host). A key
     * still parked on its first event (parking.ts) reads 0, not 1: exact for a reader that asks
     * for 2 or more, as distributed-scan does.
     */
    "tcp-scan/ports": portsOf,
  },
  compile: () => ({}),
  stateKey: () => "src",
  feed(e: Event, ctx) {
    if (e.type === "auth") {
      if (!SSHD_CONNECT_KINDS.has(e.kind)) return;
      const k = ctx.touch(e.src, e, e.src, null, "tcp");
      ctx.tag(k, SSHD);
      return;
    }
    if (e.type !== "packet") return;
    if (e.cls !== "syn") {
      // Clues from the packets that follow a SYN, for sources already probing (a key is only
      // judged on its ports, so replies of ordinary clients need no key of their own).
      const k = ctx.peek(e.src, e);
      if (k) ctx.tag(k, e.cls === "rst" ? RST : e.cls === "rstack" ? ACKRST : ACK);
      return;
    }
    const k = ctx.touch(e.src, e, e.src, e.dst, "tcp");
    ctx.count(k, e);
    // Source-port changes between consecutive SYNs: ~0 for a raw scanner that keeps one port,
    // ~every SYN for connect(), which takes a fresh ephemeral port per probe.
    if (e.sport !== undefined) {
      if (k.lastSourcePort >= 0 && k.lastSourcePort !== e.sport) ctx.tag(k, SPORT_CHANGE);
      k.lastSourcePort = e.sport;
    }
    ctx.tag(k, SYN);
    if (isRawSyn(e)) ctx.tag(k, RAW);
    else if (isOsSyn(e)) ctx.tag(k, OS);
    ctx.member(k, HOST, e.dst, e);
    if (e.dport !== undefined) ctx.check(k, ctx.member(k, PORT, e.dport, e));
  },
  judge(s, rule) {
    const ports = s.distinct("port");
    if (ports < rule.threshold) return undefined;
    return { ...classify(s), measure: ports, dims: { ports: "port", hosts: "host" } };
  },
};

function portsOf(state: FactSource, key: string): number {
  for (let r = 0; r < state.rules.length; r++) {
    if (state.rules[r]!.slow) continue;
    return state.view(key, r)?.distinct("port") ?? 0;
  }
  return 0;
}

/**
 * Weighs half-open against full-connect clues. The clue counters (SYNs, RSTs, ...) run for the
 * scan's whole episode and the ports over the window, so no line of evidence sets one beside
 * the other. Exported for tests.
 */
export function classify(s: WindowView): Pick<Verdict, "type" | "confidence" | "evidence"> {
  const syn = s.tag("syn");
  const raw = s.tag("raw");
  const os = s.tag("os");
  const rst = s.tag("rst");
  const acks = s.tag("ack") + s.tag("ackrst");
  const sshd = s.tag("sshd");
  const changes = Math.min(Math.max(syn - 1, 0), s.tag("sportChange"));
  const ports = s.distinct("port");
  const half: string[] = [];
  const full: string[] = [];
  let halfScore = 0;
  let fullScore = 0;
  if (syn > 0 && raw > 0) {
    halfScore += (2 * raw) / syn;
    half.push(
      `${raw} of ${syn} SYNs carry a raw-packet scanner fingerprint (scanner window 1024-4096, or MSS-only or no TCP options, without DF, or longer than their headers can be)`,
    );
  }
  if (syn >= 4 && (changes + 1) * 4 <= syn) {
    halfScore += 1;
    half.push(
      changes === 0
        ? `one source port for all ${syn} SYNs (a raw scanner keeps one source port)`
        : `the source port changed only ${changes} ${changes === 1 ? "time" : "times"} across ${syn} SYNs (a raw scanner keeps one source port)`,
    );
  }
  if (rst > 0) {
    halfScore += 1;
    half.push(`${rst} bare RST(s) from the source: its kernel resetting SYN/ACKs it never asked for`);
  }
  if (syn > 0 && os > 0) {
    fullScore += (2 * os) / syn;
    full.push(
      `${os} of ${syn} SYNs carry an operating system's TCP options (MSS, SACK, timestamps, window scale)`,
    );
  }
  if (syn >= 4 && changes + 1 >= syn * 0.8) {
    fullScore += 1;
    full.push(
      `a fresh source port for nearly every probe (${changes} changes in ${syn} SYNs), as connect() does`,
    );
  }
  if (acks > 0) {
    fullScore += 1;
    full.push(`${acks} handshake-completing ACK(s) from the source`);
  }
  if (sshd > 0) {
    fullScore += 0.5;
    full.push(`sshd saw ${sshd} connection(s) from the source end before authentication`);
  }
  const total = halfScore + fullScore;
  if (total === 0) {
    return {
      type: "half-open-scan",
      confidence: 0.5,
      evidence: [
        `${ports} distinct TCP ports probed with SYNs`,
        "unconfirmed: no clue tells a half-open from a full-connect scan; half-open is the more common",
      ],
    };
  }
  const isHalf = halfScore >= fullScore;
  const confidence = Math.round(((isHalf ? halfScore : fullScore) / total) * 100) / 100;
  const evidence = [`${ports} distinct TCP ports probed with SYNs`, ...(isHalf ? half : full)];
  const against = isHalf ? full : half;
  if (against.length) evidence.push(`against: ${against.join("; ")}`);
  return { type: isHalf ? "half-open-scan" : "full-connect-scan", confidence, evidence };
}

export type TcpScanRule = CompiledRule<Record<string, never>>;
