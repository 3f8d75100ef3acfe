import type { SourceRef } from "../../events/event.js";
import { HyperLogLog } from "../hll.js";
import { MemberMap } from "./member-map.js";
import { oldestBucket, windowStart, type WindowSpec } from "./window-spec.js";

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
  private readonly tagIdx = new Map<string, number>();

  constructor(
    readonly views: readonly WindowSpec[],
    readonly dims: readonly string[],
    readonly tags: readonly string[],
    readonly maxMembers = DEFAULT_MAX_MEMBERS,
  ) {
    let off = 0;
    for (const v of views) {
      this.offsets.push(off);
      off += 2 * v.buckets;
    }
    this.ringSize = off;
    this.maxWindowMs = Math.max(...views.map((v) => v.windowMs));
    tags.forEach((t, i) => this.tagIdx.set(t, i));
  }

  tagIndex(name: string): number {
    const i = this.tagIdx.get(name);
    if (i === undefined) throw new Error(`unknown tag ${name}`);
    return i;
  }
}

interface Dim {
  members: MemberMap;
  /** Per view, members counted by the bucket they were last seen in (ring layout as counts). */
  hist: number[];
  /** Set while the exact bound is exceeded: per view, one HyperLogLog per bucket. */
  hll?: Map<number, HyperLogLog>[];
  overflowAt: number;
  adds: number;
}

function ring(size: number): number[] {
  const r = new Array<number>(size);
  for (let i = 0; i < size; i += 2) {
    r[i] = -Infinity;
    r[i + 1] = 0;
  }
  return r;
}

/** Adds `n` at bucket `b` of the ring at `off` with `buckets` slots, unless `b` is older than `oldest`. */
function ringAdd(r: number[], off: number, buckets: number, b: number, oldest: number, n: number): void {
  if (b < oldest) return;
  const i = off + 2 * (b % buckets);
  if (r[i] === b) r[i + 1]! += n;
  else if (r[i]! < b) {
    r[i] = b;
    r[i + 1] = n;
  }
}

function ringSum(r: number[], off: number, buckets: number, oldest: number): number {
  let s = 0;
  for (let i = off, end = off + 2 * buckets; i < end; i += 2) if (r[i]! >= oldest) s += r[i + 1]!;
  return s;
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
  private readonly counts: number[];
  private tagv: number[] | undefined;
  private samplev: (SourceRef[] | undefined)[] | undefined;
  private dimv: (Dim | undefined)[] | undefined;
  /** ISO time of the latest event, for writing alert times in the log's own offset. */
  ts = "";
  /** Per view, the incident this key last raised or joined (a cache of the incident book). */
  incidents: unknown[] | undefined;
  /** The source port of the latest SYN (tcp-scan counts how often it changes). */
  lastSourcePort = -1;

  constructor(
    readonly layout: WindowLayout,
    readonly key: string,
    readonly src: string | null,
    readonly dst: string | null,
    readonly proto: string,
    readonly host: string,
    readonly technique?: string,
  ) {
    this.first = new Array<number>(layout.views.length).fill(Infinity);
    this.counts = ring(layout.ringSize);
  }

  /** Moves the key's clock to `t` (never back); a view quiet for a whole window starts over. */
  advance(t: number, ts: string): void {
    const L = this.layout;
    if (t > this.clock) {
      for (let v = 0; v < L.views.length; v++) {
        if (t - this.clock > L.views[v]!.windowMs) this.resetView(v, t);
      }
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
    if (this.samplev) this.samplev[v] = undefined;
  }

  /** Adds `n` events at time `t` (call `advance` first); `ref` is kept as evidence while few are. */
  count(t: number, n: number, ref: SourceRef): void {
    const L = this.layout;
    for (let v = 0; v < L.views.length; v++) {
      const spec = L.views[v]!;
      ringAdd(
        this.counts,
        L.offsets[v]!,
        spec.buckets,
        Math.floor(t / spec.bucketMs),
        oldestBucket(spec, this.clock),
        n,
      );
      if (n > 0 && t >= windowStart(spec, this.clock)) {
        if (!this.samplev) this.samplev = new Array(L.views.length).fill(undefined);
        const s = (this.samplev[v] ??= []);
        if (s.length < MAX_SAMPLES) s.push(ref);
      }
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
  member(d: number, m: string, t: number): number {
    const L = this.layout;
    if (!this.dimv) this.dimv = new Array(L.dims.length).fill(undefined);
    let dim = this.dimv[d];
    if (!dim) {
      dim = { members: new MemberMap(), hist: ring(L.ringSize), overflowAt: -Infinity, adds: 0 };
      this.dimv[d] = dim;
    }
    const prev = dim.members.get(m);
    if (prev !== undefined && prev >= t) return 0;
    let grew = 0;
    for (let v = 0; v < L.views.length; v++) {
      const spec = L.views[v]!;
      const off = L.offsets[v]!;
      const oldest = oldestBucket(spec, this.clock);
      const b = Math.floor(t / spec.bucketMs);
      if (b < oldest) continue;
      if (prev !== undefined) {
        const pb = Math.floor(prev / spec.bucketMs);
        const i = off + 2 * (pb % spec.buckets);
        if (dim.hist[i] === pb) dim.hist[i + 1]!--;
      }
      ringAdd(dim.hist, off, spec.buckets, b, oldest, 1);
      if (prev === undefined || Math.floor(prev / spec.bucketMs) < oldest) grew |= 1 << v;
      if (dim.hll) {
        let h = dim.hll[v]!.get(b);
        if (!h) dim.hll[v]!.set(b, (h = new HyperLogLog()));
        h.add(m);
      }
    }
    dim.members.touch(prev === undefined ? detach(m) : m, t);
    if (prev === undefined && ++dim.adds >= 64) this.trim(dim);
    return grew;
  }

  /** Drops members no view can count any more; past the exact bound, switches to estimates. */
  private trim(dim: Dim): void {
    const L = this.layout;
    dim.adds = 0;
    let cutoff = Infinity;
    for (const spec of L.views) cutoff = Math.min(cutoff, windowStart(spec, this.clock));
    if (dim.members.size <= L.maxMembers) {
      dim.members.trim(cutoff, Infinity);
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
            h.add(k);
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
      if (!live) delete dim.hll;
    }
  }

  /** Events in view `v`'s window. */
  events(v: number): number {
    const spec = this.layout.views[v]!;
    return ringSum(this.counts, this.layout.offsets[v]!, spec.buckets, oldestBucket(spec, this.clock));
  }

  /** Distinct members of dimension `d` in view `v`'s window (an estimate while `estimate` says so). */
  distinct(d: number, v: number): number {
    const dim = this.dimv?.[d];
    if (!dim) return 0;
    const spec = this.layout.views[v]!;
    const oldest = oldestBucket(spec, this.clock);
    const exact = ringSum(dim.hist, this.layout.offsets[v]!, spec.buckets, oldest);
    if (!this.estimate(d, v)) return exact;
    const hs: HyperLogLog[] = [];
    for (const [b, h] of dim.hll![v]!) if (b >= oldest) hs.push(h);
    return Math.max(HyperLogLog.union(hs), Math.min(exact, this.layout.maxMembers));
  }

  estimate(d: number, v: number): boolean {
    const dim = this.dimv?.[d];
    return !!dim?.hll && dim.overflowAt >= windowStart(this.layout.views[v]!, this.clock);
  }

  /** Members of dimension `d` in view `v`'s window (unsorted; at most the exact bound). */
  members(d: number, v: number): string[] {
    return this.dimv?.[d]?.members.since(windowStart(this.layout.views[v]!, this.clock)) ?? [];
  }

  tagValue(i: number, v: number): number {
    return this.tagv?.[v * this.layout.tags.length + i] ?? 0;
  }

  samples(v: number): readonly SourceRef[] {
    return this.samplev?.[v] ?? [];
  }
}

/** A flat copy of a string that shares no memory with the line it was sliced from. */
function detach(x: string): string {
  return x.length < 13 ? x : (" " + x).slice(1);
}
