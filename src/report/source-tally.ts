import { HyperLogLog } from "../detect/hll.js";
import { detach } from "../util/detach.js";

/**
 * Ports and hosts kept per source: enough to say what an attacker touched. Before a source
 * raises an alert it keeps only a few (its alert brings its own sample of ports); measured on
 * V8, a source costs about 500 bytes with one port and 3 KB with a full set of 100.
 */
export const PORTS_PER_SOURCE = 100;
export const HOSTS_PER_SOURCE = 20;
export const PORTS_BEFORE_ALERT = 16;
export const HOSTS_BEFORE_ALERT = 4;
/** Attackers whose ports are counted bit by bit (8 KiB each: 32 MiB at most). */
export const MAX_PORT_BITMAPS = 4096;

/** Protocol bits in `SourceStats.protos`, in the order of PROTO_NAMES. */
export const PROTO_NAMES = ["tcp", "udp", "icmp", "icmpv6", "ip", "ssh"] as const;

export interface SourceStats {
  events: number;
  firstMs: number;
  lastMs: number;
  /** The ports seen (see portsOf): one inline, a Set from the second (most flood sources send one packet). */
  ports: Set<number> | number | undefined;
  /** A port was not kept because the set was full: the ports kept are a lower bound. */
  portsFull: boolean;
  /**
   * For an attacker past PORTS_PER_SOURCE ports: one bit per port, so that its distinct ports
   * are counted exactly from then on (`portCount`) where only a sample of them is listed. A scan
   * of every port otherwise showed as the count of its last alert (10,000: the top step).
   */
  portBits: Uint32Array | undefined;
  /** Distinct ports in `portBits` (0 without). */
  portCount: number;
  /** The hosts seen (see hostsOf), like `ports`. */
  hosts: Set<string> | string | undefined;
  hostsFull: boolean;
  protos: number;
  /** Sources that raised an alert are never forgotten. */
  pinned: boolean;
}

export interface TallyOptions {
  /** Sources held before the rarest are forgotten (default 20,000: 10 to 15 MB). */
  maxSources?: number;
}

/**
 * Per-source event counts, first/last time, ports and hosts, in bounded memory. A spoofed flood
 * brings a million sources that each send a packet or two: when more than `maxSources` are held,
 * the half with the fewest events is forgotten (attackers are pinned and stay). A forgotten source
 * that comes back starts again from zero, so after a prune counts are lower bounds, off by at most
 * `forgottenMax` (the largest count ever forgotten); the distinct count comes from a HyperLogLog.
 */
export class SourceTally {
  readonly sources = new Map<string, SourceStats>();
  private readonly hll = new HyperLogLog();
  private readonly max: number;
  /** Size at which the next prune runs: above `max` when pinned attackers alone fill the map. */
  private pruneAt: number;
  /** The most events any forgotten source had: the error bound on every count after a prune. */
  forgottenMax = 0;
  /** Distinct sources ever added while no prune had happened (exact until the first prune). */
  private inserted = 0;
  /** Port bitmaps handed out (see SourceStats.portBits). */
  private bitmaps = 0;

  constructor(opts: TallyOptions = {}) {
    this.max = opts.maxSources ?? 20_000;
    this.pruneAt = this.max;
  }

  /** The stats of `src`, created if new. */
  touch(src: string, ms: number): SourceStats {
    let s = this.sources.get(src);
    if (s === undefined) {
      s = this.create(src, ms);
    } else if (s.events === 0) {
      // Pinned before its first event (see pin).
      s.firstMs = s.lastMs = ms;
    } else {
      if (ms < s.firstMs) s.firstMs = ms;
      if (ms > s.lastMs) s.lastMs = ms;
    }
    if (s.events++ === 0) {
      this.hll.add(src);
      this.inserted++;
    }
    return s;
  }

  private create(src: string, ms: number): SourceStats {
    if (this.sources.size >= this.pruneAt) this.prune();
    const s: SourceStats = {
      events: 0,
      firstMs: ms,
      lastMs: ms,
      ports: undefined,
      portsFull: false,
      portBits: undefined,
      portCount: 0,
      hosts: undefined,
      hostsFull: false,
      protos: 0,
      pinned: false,
    };
    // A copy: an address sliced from a log line would keep the line alive as long as the source.
    this.sources.set(detach(src), s);
    return s;
  }

  /** Records a port of `s`: in its sample (addPort), and bit by bit once it is an attacker past the sample. */
  addPort(s: SourceStats, port: number): void {
    addPort(s, port);
    if (!s.portBits && s.portsFull && s.pinned && this.bitmaps < MAX_PORT_BITMAPS) {
      this.bitmaps++;
      s.portBits = new Uint32Array(65536 / 32);
      for (const p of portsOf(s)) markPort(s, p);
    }
    if (s.portBits) markPort(s, port);
  }

  /**
   * Keeps `src` whatever happens (it raised an alert), from now on with room for more of its
   * ports and hosts. An attacker pinned before its events are tallied starts with no events.
   */
  pin(src: string): void {
    const s = this.sources.get(src) ?? this.create(src, Infinity);
    if (s.events === 0) s.lastMs = -Infinity;
    s.pinned = true;
    // Not a source of the run until an event of it is tallied: not listed, not counted.
  }

  get exact(): boolean {
    return this.forgottenMax === 0;
  }

  get distinct(): number {
    return this.exact ? this.inserted : this.hll.count();
  }

  private prune(): void {
    const keep = this.max >> 1;
    const ranked = [...this.sources].filter(([, s]) => !s.pinned).sort((a, b) => b[1].events - a[1].events);
    const pinned = this.sources.size - ranked.length;
    for (let i = Math.max(0, keep - pinned); i < ranked.length; i++) {
      const [src, s] = ranked[i]!;
      if (s.events > this.forgottenMax) this.forgottenMax = s.events;
      this.sources.delete(src);
    }
    this.pruneAt = Math.max(this.max, this.sources.size + (this.max >> 1));
  }
}

/** Sets `port`'s bit in `s.portBits`, counting it when new. */
function markPort(s: SourceStats, port: number): void {
  const bits = s.portBits!;
  const w = port >>> 5;
  const b = 1 << (port & 31);
  if ((bits[w]! & b) === 0) {
    bits[w] = bits[w]! | b;
    s.portCount++;
  }
}

export function addPort(s: SourceStats, port: number): void {
  const p = s.ports;
  if (p === undefined) s.ports = port;
  else if (typeof p === "number") {
    if (p !== port) s.ports = new Set([p, port]);
  } else if (!p.has(port)) {
    if (p.size < (s.pinned ? PORTS_PER_SOURCE : PORTS_BEFORE_ALERT)) p.add(port);
    else s.portsFull = true;
  }
}

export function addHost(s: SourceStats, host: string): void {
  const h = s.hosts;
  if (h === undefined) s.hosts = detach(host);
  else if (typeof h === "string") {
    if (h !== host) s.hosts = new Set([h, detach(host)]);
  } else if (!h.has(host)) {
    if (h.size < (s.pinned ? HOSTS_PER_SOURCE : HOSTS_BEFORE_ALERT)) h.add(detach(host));
    else s.hostsFull = true;
  }
}

/** The ports kept for a source. */
export function portsOf(s: SourceStats | undefined): number[] {
  const p = s?.ports;
  return p === undefined ? [] : typeof p === "number" ? [p] : [...p];
}

/** The hosts kept for a source. */
export function hostsOf(s: SourceStats | undefined): string[] {
  const h = s?.hosts;
  return h === undefined ? [] : typeof h === "string" ? [h] : [...h];
}
