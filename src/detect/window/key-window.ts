import type { SourceRef } from "../../events/event.js";
import { HllUnion, HyperLogLog } from "../hll.js";
import { addAt, emptyCounts, resetCounts, sumFrom, takeAt, type BucketCounts } from "./bucket-counts.js";
import { MemberMap, type Member } from "./member-map.js";
import { oldestBucket, windowStart, type WindowSpec } from "./window-spec.js";
import { detach } from "../../util/detach.js";

export const MAX_SAMPLES = 5;
export const DEFAULT_MAX_MEMBERS = 20_000;

/**
 * What every key of one detector state holds, decided once per state: the windows ("views")
 * its rules look through — a fast and a slow rule over the same events share one key and
 * differ only in view —, the member dimensions and the counters ("tags") the detector keeps.
 */
export class WindowLayout {
  readonly offsets: number[] = [];
  readonly ringSize: number;
  readonly maxWindowMs: number;
  /**
   * Members a dimension holds before it keeps them in last-seen order (KeyWindow.member): below
   * this, trimming passes over them all, at most this many every 64 new members.
   */
  readonly orderedFrom: number;
  private readonly tagIdx = new Map<string, number>();

  /** Per dimension, the most members a key keeps (the most recently seen; see distinctUpTo). */
  readonly caps: readonly number[];

  constructor(
    readonly views: readonly WindowSpec[],
    readonly dims: readonly string[],
    readonly tags: readonly string[],
    readonly maxMembers = DEFAULT_MAX_MEMBERS,
    caps?: readonly number[],
  ) {
    this.caps = dims.map((_, i) => caps?.[i] ?? Infinity);
    let off = 0;
    for (const v of views) {
      this.offsets.push(off);
      off += 2 * v.buckets;
    }
    this.ringSize = off;
    this.maxWindowMs = Math.max(...views.map((v) => v.windowMs));
    this.orderedFrom = Math.min(1024, maxMembers >> 1);
    tags.forEach((t, i) => this.tagIdx.set(t, i));
  }

  tagIndex(name: string): number {
    const i = this.tagIdx.get(name);
    if (i === undefined) throw new Error(`unknown tag ${name}`);
    return i;
  }
}

/** One member dimension of a key: the members themselves plus how they count per view. */
class Dim extends MemberMap {
  /**
   * Per view, members counted by the bucket they were last seen in. Not kept while the dimension
   * has held a single member (most keys of a flood): that member's own time says it all.
   */
  hist: BucketCounts | undefined = undefined;
  /** Set while the exact bound is exceeded: per view, one HyperLogLog per bucket. */
  hll: Map<number, HyperLogLog>[] | undefined = undefined;
  /**
   * Per view, the union of the window's bucket sketches and the oldest bucket it covers: made
   * when the window moves to another bucket (16 K registers read per bucket), then kept up to
   * date by every add, so each count is exact for the sketches without reading them again.
   */
  union: ({ u: HllUnion; oldest: number } | undefined)[] | undefined = undefined;
  overflowAt = -Infinity;
  adds = 0;

  get members(): MemberMap {
    return this;
  }

  reset(): void {
    this.clear();
    this.hist = undefined;
    this.hll = undefined;
    this.union = undefined;
    this.overflowAt = -Infinity;
    this.adds = 0;
  }
}

/**
 * One key's windows (per source, per target...), exact under the semantics of window-spec.ts:
 * event counts per bucket, each member with the time it was last seen, per-view episode start,
 * counters and evidence samples. Nothing here reads a clock: time only comes from events.
 */
export class KeyWindow {
  /** Latest event time seen. */
  clock = -Infinity;
  /** Per view: when the current episode began (reset after a quiet window). */
  readonly first: number[];
  private counts: BucketCounts;
  private tagv: number[] | undefined;
  /**
   * Evidence per view. Until a key's second sampled event, its one sample is `sample0`, shared
   * by every view, and there are no lists: most keys of a flood see a single packet.
   */
  private sample0: SourceRef | undefined;
  private samplev: (SourceRef[] | undefined)[] | undefined;
  private dimv: (Dim | undefined)[] | undefined;
  /** ISO time of the latest event, for writing alert times in the log's own offset. */
  ts = "";
  /** Per view, the incident this key last raised or joined (a cache of the incident book). */
  incidents: unknown[] | undefined;
  /** The source port of the latest SYN (tcp-scan counts how often it changes). */
  lastSourcePort = -1;
  /** When the key last moved to the back of its state's map (see DetectorState.tick). */
  seq = 0;

  /**
   * The key's identity. Only the constructor and `reuse` set these: read them as constants.
   */
  key: string;
  src: string | null;
  dst: string | null;
  proto: string;
  host: string;
  technique: string | undefined;

  constructor(
    readonly layout: WindowLayout,
    key: string,
    src: string | null,
    dst: string | null,
    proto: string,
    host: string,
    technique?: string,
  ) {
    this.key = key;
    this.src = src;
    this.dst = dst;
    this.proto = proto;
    this.host = host;
    this.technique = technique;
    this.first = new Array<number>(layout.views.length).fill(Infinity);
    this.counts = emptyCounts(layout.views.length);
  }

  /**
   * Makes this object a new key, as if just constructed, keeping the arrays and dimensions it
   * already has. The engine hands evicted keys' objects to new keys this way: under a flood of
   * spoofed sources each key lived long enough to reach the old generation, so each eviction
   * left a whole key (about 1 KB) of old-generation garbage behind it, and V8 grew its heap to
   * several times the live set. Call only on a key nothing else refers to any more.
   */
  reuse(
    key: string,
    src: string | null,
    dst: string | null,
    proto: string,
    host: string,
    technique?: string,
  ): void {
    this.key = key;
    this.src = src;
    this.dst = dst;
    this.proto = proto;
    this.host = host;
    this.technique = technique;
    this.clock = -Infinity;
    this.first.fill(Infinity);
    if (this.counts.length === 2 * this.layout.views.length) resetCounts(this.counts);
    else this.counts = emptyCounts(this.layout.views.length);
    this.tagv?.fill(0);
    this.sample0 = undefined;
    this.samplev = undefined;
    if (this.dimv) for (const d of this.dimv) d?.reset();
    this.ts = "";
    this.incidents = undefined;
    this.lastSourcePort = -1;
    this.seq = 0;
  }

  /** Gives the key copies of its identity's text that hold no log line (see util/detach.ts). */
  detachIdentity(): void {
    this.key = detach(this.key);
    if (this.src) this.src = detach(this.src);
    if (this.dst) this.dst = detach(this.dst);
    this.host = detach(this.host);
  }

  /** Moves the key's clock to `t` (never back); a view quiet for a whole window starts over. */
  advance(t: number, ts: string): void {
    const L = this.layout;
    if (t > this.clock) {
      for (let v = 0; v < L.views.length; v++) {
        if (t - this.clock > L.views[v]!.windowMs) this.resetView(v, t);
      }
      // Quiet longer than every window: a new episode, as for a key made now (a dropped key's).
      if (t - this.clock > L.maxWindowMs) this.lastSourcePort = -1;
      this.clock = t;
      this.ts = ts;
    } else {
      for (let v = 0; v < L.views.length; v++) {
        if (t < this.first[v]! && t >= windowStart(L.views[v]!, this.clock)) this.first[v] = t;
      }
    }
  }

  private resetView(v: number, t: number): void {
    this.first[v] = t;
    const T = this.layout.tags.length;
    if (this.tagv) for (let i = v * T; i < (v + 1) * T; i++) this.tagv[i] = 0;
    if (this.sample0 && !this.samplev) this.samplev = this.sampleLists();
    if (this.samplev) this.samplev[v] = undefined;
  }

  /** Adds `n` events at time `t` (call `advance` first); `ref` is kept as evidence while few are. */
  count(t: number, n: number, ref: SourceRef): void {
    const L = this.layout;
    for (let v = 0; v < L.views.length; v++) {
      const spec = L.views[v]!;
      this.counts = addAt(
        this.counts,
        L,
        v,
        Math.floor(t / spec.bucketMs),
        oldestBucket(spec, this.clock),
        n,
      );
    }
    if (n <= 0) return;
    if (!this.samplev) {
      if (!this.sample0) {
        this.sample0 = ref;
        return;
      }
      this.samplev = this.sampleLists()!;
    }
    let last: SourceRef[] | undefined;
    for (let v = 0; v < L.views.length; v++) {
      if (t < windowStart(L.views[v]!, this.clock)) continue;
      const s = this.samplev[v];
      if (!s) this.samplev[v] = [ref];
      else if (s !== last && s.length < MAX_SAMPLES) s.push(ref);
      last = this.samplev[v];
    }
  }

  tag(i: number, n = 1): void {
    const L = this.layout;
    const T = L.tags.length;
    if (!this.tagv) this.tagv = new Array<number>(T * L.views.length).fill(0);
    for (let v = 0; v < L.views.length; v++) this.tagv[v * T + i]! += n;
  }

  /**
   * Records member `m` of dimension `d` as seen at `t`. Returns a bit per view (1 << v) whose
   * distinct count grew, so the caller judges only views that can have changed.
   */
  member(d: number, m: Member, t: number): number {
    const L = this.layout;
    if (!this.dimv) this.dimv = new Array(L.dims.length).fill(undefined);
    let dim = this.dimv[d];
    if (!dim) {
      dim = new Dim();
      this.dimv[d] = dim;
    }
    const prev = dim.members.get(m);
    if (prev !== undefined && prev >= t) return 0;
    if (!dim.hist && prev === undefined && dim.size > 0) dim.hist = this.histOf(dim);
    let grew = 0;
    let moved = prev === undefined;
    for (let v = 0; v < L.views.length; v++) {
      const spec = L.views[v]!;
      const oldest = oldestBucket(spec, this.clock);
      const b = Math.floor(t / spec.bucketMs);
      if (b < oldest) continue;
      if (prev !== undefined) {
        const pb = Math.floor(prev / spec.bucketMs);
        if (pb === b) continue; // same bucket: nothing counted changes in this view
        moved = true;
        if (dim.hist) takeAt(dim.hist, L, v, pb);
        if (pb < oldest) grew |= 1 << v;
      } else grew |= 1 << v;
      if (dim.hist) dim.hist = addAt(dim.hist, L, v, b, oldest, 1);
      if (dim.hll) {
        let h = dim.hll[v]!.get(b);
        if (!h) dim.hll[v]!.set(b, (h = new HyperLogLog()));
        const raised = h.add(String(m));
        const un = dim.union?.[v];
        if (un && un.oldest === oldest) un.u.raise(raised);
      }
    }
    // Kept in last-seen order only to the bucket, and only in a large dimension: a member seen
    // again keeps its place, which saves a delete and insert per repeated member (the same
    // target host on every SYN of a scan). Every such delete left a hole in the Map's table and
    // the Map rebuilt its table when full, so a busy key's table was rebuilt every few hundred
    // packets, each a new table promoted to the old generation. A small dimension is trimmed
    // by a full pass instead (see trim); a large one drops a repeated member at most one bucket late.
    if (prev === undefined) dim.members.touch(typeof m === "string" ? detach(m) : m, t);
    else {
      const reorder = moved && dim.size > L.orderedFrom;
      // Moved, the member is put in again: as a copy, or the Map would key it by the log line's slice.
      dim.members.set(reorder && typeof m === "string" ? detach(m) : m, t, reorder);
    }
    // Trimmed every 64 new members, or every eighth of the dimension's size when larger: a trim
    // walks the Map from its front, past the holes earlier trims left there until the table is
    // rebuilt, so trimming a 20,000-member dimension every 64 members cost a walk past thousands
    // of holes each time (5 % of analyze on a spoofed flood, in MemberMap.trim). Counts never
    // depend on when a trim runs (they are kept per bucket); a dimension holds at most an eighth
    // more members than the exact bound meanwhile.
    // Past 64 members (or twice the cap) before a drop, down to the cap at once: a key whose
    // window holds a few more members than its cap (a client's three service ports and a
    // scanner's few) never drops, and a scanner's drops once per many new members, not on each:
    // dropping each time made members that come back new again, 4 % more work on a busy log.
    if (prev === undefined && dim.size > Math.max(2 * L.caps[d]!, 64)) this.dropOldest(dim, L.caps[d]!);
    if (prev === undefined && ++dim.adds >= Math.max(64, dim.members.size >> 3)) this.trim(dim);
    return grew;
  }

  /**
   * A dimension well past its cap (a handful of members: see WindowLayout.caps) keeps its `cap`
   * most recently seen members and drops the others with their counts. What is kept is then at
   * least the cap most recent, so `distinct`, which says at most the cap, is exact: a window
   * holding more than the cap holds them all, one holding fewer holds every one it counts.
   */
  private dropOldest(dim: Dim, cap: number): void {
    const all: [number, Member][] = [];
    dim.forEach((m, t) => all.push([t, m]));
    all.sort((a, b) => a[0] - b[0]);
    const L = this.layout;
    for (let i = 0; i < all.length - cap; i++) {
      const [at, m] = all[i]!;
      dim.members.delete(m);
      if (dim.hist)
        for (let v = 0; v < L.views.length; v++)
          takeAt(dim.hist, L, v, Math.floor(at / L.views[v]!.bucketMs));
    }
  }

  /** The counts of a dimension that held one member so far, made explicit for a second. */
  private histOf(dim: Dim): BucketCounts {
    const L = this.layout;
    let hist = emptyCounts(L.views.length);
    dim.forEach((_, t) => {
      for (let v = 0; v < L.views.length; v++) {
        const spec = L.views[v]!;
        hist = addAt(hist, L, v, Math.floor(t / spec.bucketMs), oldestBucket(spec, this.clock), 1);
      }
    });
    return hist;
  }

  /** Drops members no view can count any more; past the exact bound, switches to estimates. */
  private trim(dim: Dim): void {
    const L = this.layout;
    dim.adds = 0;
    let cutoff = Infinity;
    for (const spec of L.views) cutoff = Math.min(cutoff, windowStart(spec, this.clock));
    if (dim.members.size <= L.maxMembers) {
      dim.members.trim(cutoff, Infinity, dim.size <= L.orderedFrom);
    } else {
      if (!dim.hll) {
        dim.hll = L.views.map((spec) => {
          const byBucket = new Map<number, HyperLogLog>();
          const from = windowStart(spec, this.clock);
          dim.members.forEach((k, t) => {
            if (t < from) return;
            const b = Math.floor(t / spec.bucketMs);
            let h = byBucket.get(b);
            if (!h) byBucket.set(b, (h = new HyperLogLog()));
            h.add(String(k));
          });
          return byBucket;
        });
      }
      dim.overflowAt = this.clock;
      dim.members.trim(cutoff, L.maxMembers);
    }
    if (dim.hll) {
      let live = false;
      L.views.forEach((spec, v) => {
        const oldest = oldestBucket(spec, this.clock);
        for (const b of dim.hll![v]!.keys()) if (b < oldest) dim.hll![v]!.delete(b);
        if (dim.overflowAt >= windowStart(spec, this.clock)) live = true;
      });
      if (!live) {
        dim.hll = undefined;
        dim.union = undefined;
      }
    }
  }

  /** Events in view `v`'s window. */
  events(v: number): number {
    const spec = this.layout.views[v]!;
    return sumFrom(this.counts, this.layout, v, oldestBucket(spec, this.clock));
  }

  /** Distinct members of dimension `d` in view `v`'s window (an estimate while `estimate` says so). */
  distinct(d: number, v: number): number {
    const dim = this.dimv?.[d];
    if (!dim) return 0;
    const spec = this.layout.views[v]!;
    const oldest = oldestBucket(spec, this.clock);
    let exact = 0;
    if (dim.hist) exact = sumFrom(dim.hist, this.layout, v, oldest);
    else dim.forEach((_, t) => (exact += Math.floor(t / spec.bucketMs) >= oldest ? 1 : 0));
    if (!this.estimate(d, v)) return Math.min(exact, this.layout.caps[d]!);
    const unions = (dim.union ??= this.layout.views.map(() => undefined));
    let un = unions[v];
    if (!un || un.oldest !== oldest) {
      const hs: HyperLogLog[] = [];
      for (const [b, h] of dim.hll![v]!) if (b >= oldest) hs.push(h);
      un ??= { u: new HllUnion(), oldest };
      un.u.reset(hs);
      un.oldest = oldest;
      unions[v] = un;
    }
    return Math.max(un.u.count(), Math.min(exact, this.layout.maxMembers));
  }

  estimate(d: number, v: number): boolean {
    const dim = this.dimv?.[d];
    return !!dim?.hll && dim.overflowAt >= windowStart(this.layout.views[v]!, this.clock);
  }

  /** Members of dimension `d` in view `v`'s window, as text (unsorted; at most the exact bound). */
  members(d: number, v: number): string[] {
    return (this.dimv?.[d]?.members.since(windowStart(this.layout.views[v]!, this.clock)) ?? []).map(String);
  }

  tagValue(i: number, v: number): number {
    return this.tagv?.[v * this.layout.tags.length + i] ?? 0;
  }

  samples(v: number): readonly SourceRef[] {
    if (this.samplev) return this.samplev[v] ?? [];
    return this.sample0 ? [this.sample0] : [];
  }

  /**
   * The per-view lists, made from `sample0` when there are none yet. Views whose episodes began
   * together share one list (the usual case), so `count` pushes to it once.
   */
  sampleLists(): (SourceRef[] | undefined)[] | undefined {
    if (this.samplev || !this.sample0) return this.samplev;
    const one = [this.sample0];
    return this.layout.views.map(() => one);
  }
}

/** Most members per dimension a snapshot keeps (the most recently seen). */
export const SNAPSHOT_MEMBERS = 5_000;

/** A key's windows as plain JSON, for the state snapshot `tail` keeps across restarts. */
export interface KeyWindowJson {
  k: string;
  s: string | null;
  d: string | null;
  p: string;
  h: string;
  q?: string;
  c: number;
  f: (number | null)[];
  n: (number | null)[];
  t?: number[];
  r?: (SourceRef[] | null)[];
  m?: ({ e: [Member, number][]; h?: (number | null)[] } | null)[];
  ts: string;
  sp: number;
}

/** JSON turns ±Infinity into null: both ways through here. */
const toJ = (xs: readonly number[]) => xs.map((x) => (Number.isFinite(x) ? x : null));
const fromJ = (xs: readonly (number | null)[], none: number) => xs.map((x) => (x === null ? none : x));

export function keyWindowToJson(k: KeyWindow): KeyWindowJson {
  const w = k as unknown as {
    counts: BucketCounts;
    tagv?: number[];
    samplev?: (SourceRef[] | undefined)[];
    dimv?: (Dim | undefined)[];
  };
  const out: KeyWindowJson = {
    k: k.key,
    s: k.src,
    d: k.dst,
    p: k.proto,
    h: k.host,
    c: k.clock,
    f: toJ(k.first),
    n: w.counts.map((x) => (Number.isFinite(x) ? x : null)),
    ts: k.ts,
    sp: k.lastSourcePort,
  };
  if (k.technique !== undefined) out.q = k.technique;
  if (w.tagv) out.t = [...w.tagv];
  const lists = k.sampleLists();
  if (lists) out.r = lists.map((s) => (s ? s.map((x) => ({ file: x.file, line: x.line })) : null));
  if (w.dimv)
    out.m = w.dimv.map((dim) => {
      if (!dim) return null;
      const e: [Member, number][] = [];
      dim.forEach((m, t) => e.push([m, t]));
      return { e: e.slice(-SNAPSHOT_MEMBERS), ...(dim.hist ? { h: toJ(dim.hist) } : {}) };
    });
  return out;
}

/** A key restored from its JSON form, or undefined when the form does not fit the layout. */
export function keyWindowFromJson(layout: WindowLayout, j: KeyWindowJson): KeyWindow | undefined {
  const V = layout.views.length;
  if (j.f.length !== V || (j.n.length !== 2 * V && j.n.length !== layout.ringSize)) return undefined;
  if (j.m && j.m.length !== layout.dims.length) return undefined;
  if (j.t && j.t.length !== layout.tags.length * V) return undefined;
  const k = new KeyWindow(layout, j.k, j.s, j.d, j.p, j.h, j.q);
  const w = k as unknown as {
    counts: BucketCounts;
    tagv?: number[];
    samplev?: (SourceRef[] | undefined)[];
    dimv?: (Dim | undefined)[];
    first: number[];
  };
  k.clock = j.c;
  fromJ(j.f, Infinity).forEach((x, i) => (w.first[i] = x));
  // Bucket ids are -Infinity where a slot is empty; counts are never infinite.
  w.counts = j.n.map((x, i) => (x === null ? (i % 2 === 0 ? -Infinity : 0) : x));
  if (j.t) w.tagv = [...j.t];
  if (j.r) w.samplev = j.r.map((s) => (s ? s.map((x) => ({ file: x.file, line: x.line })) : undefined));
  if (j.m)
    w.dimv = j.m.map((d) => {
      if (!d) return undefined;
      const dim = new Dim();
      for (const [m, t] of d.e) dim.touch(m, t);
      if (d.h) dim.hist = d.h.map((x, i) => (x === null ? (i % 2 === 0 ? -Infinity : 0) : x));
      return dim;
    });
  k.ts = j.ts;
  k.lastSourcePort = j.sp;
  return k;
}
