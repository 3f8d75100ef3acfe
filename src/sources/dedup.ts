import type { Event } from "../events/event.js";

export interface CrossFileDedupOptions {
  /** How far apart in event time two copies of one line may be read (the disorder bound), ms. */
  windowMs: number;
  /** Most lines remembered; beyond it the oldest are forgotten early. Default 200 000 (about 16 MB). */
  maxEntries?: number;
  /** Told of every copy dropped (for a metric). */
  onCopy?: (e: Event) => void;
}

interface Seen {
  ms: number;
  /** The first file the line came from, and how often it came from there. */
  file: string;
  n: number;
  /** How often it came from each other file, once it did. */
  others?: Map<string, number>;
}

/**
 * Drops lines that reach us from two files. Ubuntu's UFW logs each packet to kern.log *and*
 * ufw.log, and both are followed by default: every packet counted twice halves every threshold.
 *
 * Two events are the same line when they are equal in everything but their source (host, time
 * and message parse alike). A line is a copy when it came from another file within `windowMs` of
 * event time: of n identical lines from one file and m from another, max(n, m) are kept, so a
 * packet the kernel really logged twice in one file still counts twice. Lines from one file are
 * never dropped.
 *
 * Memory is bounded by `maxEntries`: a file read more than that many lines ahead of its twin
 * (a long catch-up after a restart) has its oldest lines forgotten early, and their copies
 * counted again. Identity is a 53-bit hash of the event, not the event itself, to bound memory: two different
 * lines from different files would have to share a hash within one window to be confused.
 * `filter` is pure apart from this object's memory, and can run on any batch of events in any
 * loop. Drops are counted in `dropped`, per file the copy came from in `droppedByFile`.
 */
export class CrossFileDedup {
  private readonly seen = new Map<number, Seen>();
  private readonly windowMs: number;
  private readonly maxEntries: number;
  private readonly onCopy: ((e: Event) => void) | undefined;
  /** Per file, the latest event time read from it. */
  private readonly watermarks = new Map<string, number>();
  /** Files a copy was found between: lines are remembered until each of them has moved past. */
  private readonly linked = new Set<string>();
  dropped = 0;
  readonly droppedByFile = new Map<string, number>();

  constructor(options: CrossFileDedupOptions) {
    if (!(options.windowMs >= 0))
      throw new RangeError(`dedup: windowMs must be >= 0, got ${options.windowMs}`);
    this.windowMs = options.windowMs;
    this.maxEntries = options.maxEntries ?? 200_000;
    this.onCopy = options.onCopy;
  }

  /** The events of `batch` that are not copies of lines already read from another file, in order. */
  filter(batch: readonly Event[]): Event[] {
    return this.pass(batch, true);
  }

  /**
   * Takes in lines read before (a restarted tail's last lines before its saved positions): they
   * are remembered as `filter` would, so their copies still to come are dropped, but nothing is
   * counted or returned.
   */
  remember(batch: readonly Event[]): void {
    this.pass(batch, false);
  }

  private pass(batch: readonly Event[], count: boolean): Event[] {
    const out: Event[] = [];
    for (const e of batch) {
      const file = e.source.file;
      if (e.ms > (this.watermarks.get(file) ?? -Infinity)) this.watermarks.set(file, e.ms);
      if (this.isCopy(e)) {
        if (!count) continue;
        this.dropped++;
        this.droppedByFile.set(file, (this.droppedByFile.get(file) ?? 0) + 1);
        this.onCopy?.(e);
      } else out.push(e);
    }
    this.forget();
    return out;
  }

  private isCopy(e: Event): boolean {
    const key = identity(e);
    const file = e.source.file;
    const s = this.seen.get(key);
    if (s === undefined) {
      this.seen.set(key, { ms: e.ms, file, n: 1 });
      return false;
    }
    if (s.file === file) {
      s.n++;
      return s.n <= maxOf(s.others);
    }
    s.others ??= new Map();
    this.linked.add(s.file).add(file);
    const n = (s.others.get(file) ?? 0) + 1;
    s.others.set(file, n);
    let most = s.n;
    for (const [f, m] of s.others) if (f !== file && m > most) most = m;
    return n <= most;
  }

  /**
   * Forgets lines older than the window. "Now" is the least advanced of the files copies were
   * found between (so while one of them catches up after a restart, the other's lines wait for
   * it), or the most advanced file before any copy was found. Insertion order is event order,
   * give or take the disorder, so the oldest lines are at the front.
   */
  private forget(): void {
    let now = -Infinity;
    if (this.linked.size) {
      now = Infinity;
      for (const f of this.linked) now = Math.min(now, this.watermarks.get(f) ?? -Infinity);
    } else for (const ms of this.watermarks.values()) now = Math.max(now, ms);
    const horizon = now - this.windowMs;
    for (const [k, s] of this.seen) {
      if (s.ms >= horizon && this.seen.size <= this.maxEntries) break;
      this.seen.delete(k);
    }
  }
}

function maxOf(m: Map<string, number> | undefined): number {
  let most = 0;
  if (m) for (const v of m.values()) if (v > most) most = v;
  return most;
}

/** A 53-bit hash (cyrb53) of the event without its source. */
function identity(e: Event): number {
  const { source: _source, ...rest } = e;
  return cyrb53(JSON.stringify(rest));
}

/** cyrb53 by bryc (public domain): a fast, well-mixed 53-bit string hash. */
function cyrb53(str: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < str.length; i++) {
    const ch = str.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}
