import type { WindowLayout } from "./key-window.js";

/**
 * Counts per bucket for every view of one key, in one flat array of [bucket, count] pairs.
 * Most keys never use more than one bucket per view (a spoofed source sends one packet), so
 * the array starts compact, one pair per view, and becomes a ring of `buckets` pairs per view
 * (layout.offsets) when some view needs a second bucket. Every function returns the array to
 * keep, which is a new one after that switch.
 */
export type BucketCounts = number[];

export function emptyCounts(views: number): BucketCounts {
  return resetCounts(new Array<number>(2 * views));
}

/** Empties `a` in place (every slot: no bucket, count 0) and returns it. */
export function resetCounts(a: BucketCounts): BucketCounts {
  for (let i = 0; i < a.length; i += 2) {
    a[i] = -Infinity;
    a[i + 1] = 0;
  }
  return a;
}

function isCompact(a: BucketCounts, L: WindowLayout): boolean {
  return a.length !== L.ringSize || L.ringSize === 2 * L.views.length;
}

function widen(a: BucketCounts, L: WindowLayout): BucketCounts {
  const r = new Array<number>(L.ringSize);
  for (let i = 0; i < r.length; i += 2) {
    r[i] = -Infinity;
    r[i + 1] = 0;
  }
  for (let v = 0; v < L.views.length; v++) {
    const b = a[2 * v]!;
    if (b === -Infinity) continue;
    const i = L.offsets[v]! + 2 * (b % L.views[v]!.buckets);
    r[i] = b;
    r[i + 1] = a[2 * v + 1]!;
  }
  return r;
}

/** Adds `n` at bucket `b` of view `v`, unless `b` is older than `oldest` (the window's first bucket). */
export function addAt(
  a: BucketCounts,
  L: WindowLayout,
  v: number,
  b: number,
  oldest: number,
  n: number,
): BucketCounts {
  if (b < oldest) return a;
  if (isCompact(a, L)) {
    const i = 2 * v;
    const id = a[i]!;
    if (id === b) {
      a[i + 1]! += n;
      return a;
    }
    if (id < oldest) {
      a[i] = b;
      a[i + 1] = n;
      return a;
    }
    a = widen(a, L);
  }
  const i = L.offsets[v]! + 2 * (b % L.views[v]!.buckets);
  if (a[i] === b) a[i + 1]! += n;
  else if (a[i]! < b) {
    a[i] = b;
    a[i + 1] = n;
  }
  return a;
}

/** Takes one from bucket `b` of view `v` if that bucket is still held. */
export function takeAt(a: BucketCounts, L: WindowLayout, v: number, b: number): void {
  const i = isCompact(a, L) ? 2 * v : L.offsets[v]! + 2 * (b % L.views[v]!.buckets);
  if (a[i] === b) a[i + 1]!--;
}

/** The sum of view `v`'s buckets from `oldest` on. */
export function sumFrom(a: BucketCounts, L: WindowLayout, v: number, oldest: number): number {
  if (isCompact(a, L)) return a[2 * v]! >= oldest ? a[2 * v + 1]! : 0;
  let s = 0;
  const off = L.offsets[v]!;
  for (let i = off, end = off + 2 * L.views[v]!.buckets; i < end; i += 2) if (a[i]! >= oldest) s += a[i + 1]!;
  return s;
}
