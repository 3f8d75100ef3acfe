import type { Event } from "../../events/event.js";
import type { CompiledRule } from "../../rules/compiled-rule.js";
import { member, tag, type Aggregator, type KeyAgg } from "../aggregator.js";
import { count, type Detector, type Verdict } from "../detector.js";
import { F, flagMask } from "../tcp-flags.js";
import type { WindowSnapshot } from "../window-store.js";
import { isOsSyn, isRawSyn } from "./fingerprint.js";

/** sshd messages that mean a TCP connection was completed and dropped before authentication. */
const SSHD_CONNECT_KINDS = new Set([
  "preauth-close",
  "no-ident",
  "connect",
  "timeout",
  "negotiation-failure",
]);

/**
 * SYNs from one source to many TCP ports. Classifies the scan as half-open (SYN, then RST, never a
 * handshake: nmap -sS, masscan) or full-connect (the OS completes each handshake: nmap -sT,
 * connect() scanners) from every clue the logs carry, each recorded as evidence.
 */
export class TcpScan implements Detector {
  readonly phase = 0;
  constructor(readonly rule: CompiledRule) {}

  collect(e: Event, agg: Aggregator): void {
    if (e.type === "auth") {
      if (SSHD_CONNECT_KINDS.has(e.kind)) tag(agg.add(e.src, e, e.src, null, "tcp", 0), "sshd");
      return;
    }
    if (e.type !== "packet" || e.proto !== "tcp") return;
    const m = flagMask(e);
    if (m === F.SYN) {
      const a = agg.add(e.src, e, e.src, e.dst, "tcp");
      if (e.dport !== undefined) member(a, "port", String(e.dport), e.ms);
      // Source-port changes between consecutive SYNs: ~0 for a raw scanner that keeps one port,
      // ~every SYN for connect(), which takes a fresh ephemeral port per probe. A counter, not a
      // set of ports: it costs nothing per port in the store.
      if (e.sport !== undefined) {
        if (a.scratch !== undefined && a.scratch !== e.sport) tag(a, "sportChange");
        a.scratch = e.sport;
      }
      member(a, "host", e.dst, e.ms);
      tag(a, "syn");
      if (isRawSyn(e)) tag(a, "raw");
      else if (isOsSyn(e)) tag(a, "os");
      return;
    }
    // Clues from the packets that follow a SYN (the key is only judged once it has enough ports).
    if (m === F.RST) tag(agg.add(e.src, e, e.src, e.dst, "tcp", 0), "rst");
    else if (m === (F.RST | F.ACK)) tag(agg.add(e.src, e, e.src, e.dst, "tcp", 0), "ackrst");
    else if (m === F.ACK || m === (F.ACK | F.PSH)) tag(agg.add(e.src, e, e.src, e.dst, "tcp", 0), "ack");
  }

  judge(a: KeyAgg, s: WindowSnapshot): Verdict | undefined {
    const ports = count(s, "port");
    if (ports < this.rule.threshold) return undefined;
    return { ...classify(s), measure: ports, dims: { ports: "port", hosts: "host" } };
  }
}

/** Weighs half-open against full-connect clues. Exported for tests. */
export function classify(s: WindowSnapshot): Pick<Verdict, "type" | "confidence" | "evidence"> {
  const t = s.tags;
  const syn = t.syn ?? 0;
  const raw = t.raw ?? 0;
  const os = t.os ?? 0;
  const rst = t.rst ?? 0;
  const acks = (t.ack ?? 0) + (t.ackrst ?? 0);
  const sshd = t.sshd ?? 0;
  // Distinct source ports, approximated by how often the port changed between SYNs (+1).
  const sports = Math.min(syn, (t.sportChange ?? 0) + 1);
  const ports = count(s, "port");
  const half: string[] = [];
  const full: string[] = [];
  let halfScore = 0;
  let fullScore = 0;
  if (syn > 0 && raw > 0) {
    halfScore += (2 * raw) / syn;
    half.push(
      `${raw} of ${syn} SYNs carry a raw-packet scanner fingerprint (no DF; window 1024-4096, or MSS-only or no TCP options)`,
    );
  }
  if (syn >= 4 && sports * 4 <= syn) {
    halfScore += 1;
    half.push(
      `the source port changed only ${sports - 1} time(s) across ${syn} SYNs to ${ports} ports (a raw scanner keeps one source port)`,
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
  if (syn >= 4 && sports >= syn * 0.8) {
    fullScore += 1;
    full.push(
      `a fresh source port for nearly every probe (changed ${sports - 1} times in ${syn} SYNs), as connect() does`,
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
