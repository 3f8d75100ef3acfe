/**
 * What the log said so far about one sshd connection: one `sshd[PID]` on one host handles one
 * client from its first line to its last, so a line that names no address (`Disconnecting: Too
 * many authentication failures`, `kex_exchange_identification: ...`, PAM's `rhost=` with a host
 * name) belongs to the address another line of the same pid named.
 */
export class SshdConnection<W> {
  /*
   * Every field is a small integer, a boolean or a reference written only when it changes: a
   * busy table is written on most sshd lines, and a field holding a fresh number box or string
   * per write would keep one young object per connection alive between collections.
   */
  /** The client's IPv4 address in two 16-bit halves (hi -1: none), else `v6`. */
  private hi = -1;
  private lo = 0;
  private v6: string | undefined = undefined;
  port: number | undefined = undefined;
  /** The line that named the address (for `parse --explain`). */
  fromLine = 0;
  /** An `Accepted` line: what follows is a session, no longer an attempt to get in. */
  authenticated = false;
  /** A failure, invalid user, refusal or too-many-failures line was seen. */
  failed = false;
  /**
   * `error: PAM: ...` lines not yet followed by their `Failed keyboard-interactive/pam` line: that
   * line, when sshd writes it, is the same attempt again.
   */
  pamErrors = 0;
  /** Lines waiting for this connection's address, oldest first (at most `maxWaiting`). */
  waiting: W[] | undefined = undefined;
  /** When its last words were written (`seen` then), or -1: see SshdConnections.close. */
  closedAt = -1;

  /** `seen`: event time of the connection's latest line, in seconds from the table's first line. */
  constructor(public seen: number) {}

  /** The canonical address, or undefined while no line of this pid named it. */
  get addr(): string | undefined {
    if (this.hi >= 0) return `${this.hi >> 8}.${this.hi & 255}.${this.lo >> 8}.${this.lo & 255}`;
    return this.v6;
  }

  get known(): boolean {
    return this.hi >= 0 || this.v6 !== undefined;
  }

  /**
   * A line names the address `addr` (canonical) with `port`: records it. Another client than the
   * one recorded, or another port, means the pid was reused: what the connection knew goes first.
   */
  record(addr: string, port: number | undefined): void {
    const n = ipv4Number(addr);
    const hi = n >= 0 ? Math.floor(n / 65536) : -1;
    const lo = n >= 0 ? n % 65536 : 0;
    if (this.hi >= 0 || this.v6 !== undefined) {
      const same = n >= 0 ? hi === this.hi && lo === this.lo : addr === this.v6;
      if (!same || (port !== undefined && this.port !== undefined && this.port !== port)) this.reset();
    }
    this.hi = hi;
    this.lo = lo;
    if (n >= 0) this.v6 = undefined;
    else if (this.v6 !== addr) this.v6 = addr;
    if (port !== undefined) this.port = port;
  }

  /** Forgets everything: the pid now serves another client. */
  reset(): void {
    this.hi = -1;
    this.lo = 0;
    this.v6 = undefined;
    this.port = undefined;
    this.fromLine = 0;
    this.authenticated = false;
    this.failed = false;
    this.pamErrors = 0;
    this.closedAt = -1;
  }
}

export interface SshdConnectionsOptions {
  /**
   * Most connections remembered. sshd's MaxStartups (default 10:30:100) keeps at most 100
   * unauthenticated connections per server, so the default leaves room for a log server
   * collecting a hundred hosts under attack; beyond it the oldest one is forgotten.
   */
  maxEntries?: number;
  /**
   * A connection whose latest line is older than this (event time) is forgotten: sshd ends an
   * unauthenticated connection after LoginGraceTime (120 s by default), and a pid may be reused.
   */
  idleMs?: number;
  /** Lines of one connection that may wait for its address at once. */
  maxWaiting?: number;
}

export const DEFAULT_MAX_CONNECTIONS = 16_384;
/**
 * How long after its last words (`Connection closed by`, `Disconnected from`) a connection's
 * own lines may still come, in seconds: sshd's monitor writes PAM's summary (`PAM 2 more
 * authentication failures`) and session lines right after. A line of the pid later than that
 * is a new client's, whose address is still to come.
 */
export const CLOSE_GRACE_S = 5;
export const DEFAULT_CONNECTION_IDLE_MS = 300_000;
/** Distinct host names remembered for keys; past it the table starts over (a log of many hosts). */
const MAX_HOSTS = 4096;
/** A key is host index × 2^32 + pid: exact in a double for pids below 2^32 and 2^21 hosts. */
const PID_SPAN = 2 ** 32;

/**
 * The open sshd connections of one log file, keyed by host and pid: bounded in entries, and
 * expired by event time only (never the wall clock), so `analyze` of an archive and `tail` of a
 * live file see the same links. A lookup is one Map access on a number (the host is interned:
 * one file rarely names more than one host). An idle entry is reset when its pid comes back, and
 * reused; when the table is full the oldest entry goes. Nothing sweeps: the bound is the size
 * (at about 170 bytes an entry, 16,384 entries are under 3 MB), and sweeping a Map while a busy log
 * opens connections cost more than it saved.
 */
export class SshdConnections<W> {
  readonly maxEntries: number;
  readonly idleMs: number;
  readonly maxWaiting: number;
  private readonly map = new Map<number, SshdConnection<W>>();
  private readonly ring: number[] = [];
  private ringHead = 0;
  private ringCount = 0;
  private readonly hosts = new Map<string, number>();
  private lastHost = "";
  private lastHostIndex = -1;
  /** Event time of the table's first line: times are kept as whole seconds from it. */
  private baseMs: number | undefined = undefined;
  /** Entries dropped because the table was full (not because they went idle). */
  evicted = 0;

  constructor(opts: SshdConnectionsOptions = {}) {
    this.maxEntries = opts.maxEntries ?? DEFAULT_MAX_CONNECTIONS;
    this.idleMs = opts.idleMs ?? DEFAULT_CONNECTION_IDLE_MS;
    this.maxWaiting = opts.maxWaiting ?? 32;
    if (!(this.maxEntries >= 1) || !(this.idleMs >= 0) || !(this.maxWaiting >= 1)) {
      throw new RangeError("SshdConnections: maxEntries and maxWaiting must be ≥ 1, idleMs ≥ 0");
    }
  }

  get size(): number {
    return this.map.size;
  }

  /**
   * The connection of `host` `sshd[pid]` at event time `ms`, created when unknown, and reset when
   * its latest line is older than `idleMs`. Undefined for a pid that is no process id.
   */
  open(host: string, pid: number, ms: number): SshdConnection<W> | undefined {
    if (!(pid >= 0 && pid < PID_SPAN)) return undefined;
    if (this.baseMs === undefined) this.baseMs = ms;
    const sec = Math.floor((ms - this.baseMs) / 1000) | 0;
    const h = this.hostIndex(host);
    // One host (the usual file) keeps keys small integers: no number is allocated per lookup.
    const key = h === 0 ? pid : h * PID_SPAN + pid;
    let c = this.map.get(key);
    if (c !== undefined) {
      if ((sec - c.seen) * 1000 > this.idleMs || (c.closedAt >= 0 && sec - c.closedAt > CLOSE_GRACE_S)) {
        c.reset();
        c.waiting = undefined;
      }
      if (sec > c.seen) c.seen = sec;
      return c;
    }
    // Keys in insertion order, in a ring: the oldest is at `ringHead`. (Iterating the Map for its
    // first key instead scans every entry deleted before it: quadratic under a flood of pids.)
    if (this.ringCount === this.maxEntries) {
      this.map.delete(this.ring[this.ringHead]!);
      this.evicted++;
      this.ring[this.ringHead] = key;
      this.ringHead = (this.ringHead + 1) % this.maxEntries;
    } else {
      this.ring[(this.ringHead + this.ringCount) % this.maxEntries] = key;
      this.ringCount++;
    }
    c = new SshdConnection<W>(sec);
    this.map.set(key, c);
    return c;
  }

  /**
   * `c` (just returned by `open`) wrote its last words: a line of its pid more than
   * CLOSE_GRACE_S later belongs to the next process with that pid, not to this client. A pid
   * comes round in minutes where pid_max is 32,768 and a brute force forks hundreds a second.
   */
  close(c: SshdConnection<W>): void {
    c.closedAt = c.seen;
  }

  private hostIndex(host: string): number {
    if (host === this.lastHost && this.lastHostIndex >= 0) return this.lastHostIndex;
    let i = this.hosts.get(host);
    if (i === undefined) {
      if (this.hosts.size >= MAX_HOSTS) {
        this.hosts.clear();
        this.evicted += this.map.size;
        this.map.clear();
        this.ring.length = 0;
        this.ringHead = 0;
        this.ringCount = 0;
      }
      i = this.hosts.size;
      this.hosts.set(host, i);
    }
    this.lastHost = host;
    this.lastHostIndex = i;
    return i;
  }
}

/** A canonical dotted IPv4 address as a 32-bit number, or -1. */
function ipv4Number(s: string): number {
  let n = 0;
  let part = 0;
  let dots = 0;
  let digits = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || ++dots > 3) return -1;
      n = n * 256 + part;
      part = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57 && digits < 3) {
      part = part * 10 + c - 48;
      digits++;
    } else return -1;
  }
  if (dots !== 3 || digits === 0 || part > 255) return -1;
  return n * 256 + part;
}
