import type { Event, PacketEvent } from "../events/event.js";

/** How far apart in event time two lines of one packet may be stamped (a second boundary between). */
const WINDOW_MS = 2000;
/** Most packets remembered; beyond it the oldest are forgotten early. */
const MAX_ENTRIES = 50_000;

interface Seen {
  ms: number;
  /** The LOG prefixes this packet was logged under so far. */
  prefixes: string[];
}

/**
 * Drops the second line of a packet that two LOG rules logged. UFW at `logging medium` and above
 * logs a new connection under `[UFW AUDIT]` and again under its verdict (`[UFW ALLOW]`, `[UFW
 * BLOCK]`), one line after the other: counted twice, every packet rate doubles (a client's 60
 * connections a second read as 120, a SYN flood at half its rate).
 *
 * Two lines are one packet when they come from the same file and host within WINDOW_MS, carry
 * different prefixes, and agree on everything the kernel printed about the packet: addresses,
 * ports, IP ID, length, TTL, TCP flags, interfaces, ICMP fields. The same prefix again is another
 * packet (a retransmission, a flood of identical packets), never a copy. A file that has shown
 * one prefix only is passed through without this work.
 */
export class RuleCopies {
  private readonly seen = new Map<string, Seen>();
  /**
   * Per file, its latest packet line while it has shown one prefix only, or true once it has
   * shown two: before that, no line of it can be a copy.
   */
  private readonly single = new Map<string, PacketEvent | true>();
  dropped = 0;

  constructor(private readonly onCopy?: (e: Event) => void) {}

  filter(batch: readonly Event[]): Event[] {
    let out: Event[] | undefined;
    for (let i = 0; i < batch.length; i++) {
      const e = batch[i]!;
      if (this.isCopy(e)) {
        out ??= batch.slice(0, i);
        this.dropped++;
        this.onCopy?.(e);
      } else out?.push(e);
    }
    this.forget(batch.length ? batch[batch.length - 1]!.ms : -Infinity);
    return out ?? (batch as Event[]);
  }

  private isCopy(e: Event): boolean {
    if (e.type !== "packet" || e.prefix === undefined) return false;
    const file = e.source.file;
    const prev = this.single.get(file);
    if (prev !== true) {
      if (prev === undefined || prev.prefix === e.prefix) {
        this.single.set(file, e);
        return false;
      }
      // The file's second prefix: its previous line may be this packet's first.
      this.single.set(file, true);
      this.seen.set(packetKey(prev, file), { ms: prev.ms, prefixes: [prev.prefix!] });
    }
    const key = packetKey(e, file);
    const s = this.seen.get(key);
    if (!s || Math.abs(e.ms - s.ms) > WINDOW_MS || s.prefixes.includes(e.prefix)) {
      // A packet not seen yet (or seen again under a prefix it had: another packet).
      if (s) this.seen.delete(key);
      this.seen.set(key, { ms: e.ms, prefixes: [e.prefix] });
      return false;
    }
    s.prefixes.push(e.prefix);
    return true;
  }

  /** Forgets packets older than the window before `now`, and the oldest beyond MAX_ENTRIES. */
  private forget(now: number): void {
    for (const [k, s] of this.seen) {
      if (now - s.ms <= WINDOW_MS && this.seen.size <= MAX_ENTRIES) break;
      this.seen.delete(k);
    }
  }
}

/** What the kernel printed about the packet itself, not about the rule that logged it. */
function packetKey(e: PacketEvent, file: string): string {
  return [
    file,
    e.host,
    e.src,
    e.dst,
    e.proto,
    e.sport,
    e.dport,
    e.id,
    e.len,
    e.ttl,
    e.mask,
    e.cls,
    e.in,
    e.out,
    e.icmpType,
    e.icmpCode,
    e.icmpId,
    e.icmpSeq,
    e.window,
  ].join("|");
}
