import type { Event } from "../events/event.js";
import type { Timeline, TimelineSeries } from "../events/summary.js";

export const TIMELINE_SERIES: readonly TimelineSeries[] = [
  "tcp",
  "udp",
  "icmp",
  "ip-other",
  "ssh-failure",
  "ssh-other",
];

/** Bucket widths tried in turn, seconds: the finest whose buckets cover the span in MAX_BUCKETS. */
const STEPS = [1, 5, 10, 30, 60, 300, 900, 3600, 6 * 3600, 86400, 7 * 86400];

/**
 * At most this many buckets from the first to the last: a day is 2,880 of 30 s, a month
 * 2,976 quarter-hours. Bounds memory and the report's size whatever the archive's length.
 */
export const MAX_BUCKETS = 3000;

/** Which timeline series an event counts in, or -1 for none (kernel "suppressed" notices). */
export function seriesOf(e: Event): number {
  if (e.type === "packet") {
    switch (e.proto) {
      case "tcp":
        return 0;
      case "udp":
        return 1;
      case "icmp":
      case "icmpv6":
        return 2;
      default:
        return 3;
    }
  }
  if (e.type === "auth")
    return e.kind === "failure" || e.kind === "invalid-user" || e.kind === "max-auth" ? 4 : 5;
  return -1;
}

/**
 * Events per time bucket and series, aggregated as they come. It starts with one-second buckets
 * and widens them (merging what it holds) whenever the span seen so far needs more than
 * MAX_BUCKETS, so a three-minute capture gets a fine timeline and a year of logs a coarse one,
 * in bounded memory.
 */
export class TimelineBuckets {
  private step = 0;
  private bucketMs = STEPS[0]! * 1000;
  private buckets = new Map<number, Float64Array>();
  private minIdx = Infinity;
  private maxIdx = -Infinity;
  /** The last bucket touched: events arrive mostly in time order, so this saves a lookup. */
  private lastIdx = NaN;
  private last: Float64Array | undefined;

  add(ms: number, series: number): void {
    let idx = Math.floor(ms / this.bucketMs);
    if (idx !== this.lastIdx) {
      if (idx < this.minIdx || idx > this.maxIdx) {
        this.minIdx = Math.min(this.minIdx, idx);
        this.maxIdx = Math.max(this.maxIdx, idx);
        if (this.maxIdx - this.minIdx + 1 > MAX_BUCKETS) {
          this.widen();
          idx = Math.floor(ms / this.bucketMs);
        }
      }
      let b = this.buckets.get(idx);
      if (!b) {
        b = new Float64Array(TIMELINE_SERIES.length);
        this.buckets.set(idx, b);
      }
      this.lastIdx = idx;
      this.last = b;
    }
    this.last![series]!++;
  }

  get bucketSeconds(): number {
    return this.bucketMs / 1000;
  }

  private widen(): void {
    const spanMs = (this.maxIdx - this.minIdx + 1) * this.bucketMs;
    while (this.step < STEPS.length - 1 && spanMs / (STEPS[this.step]! * 1000) > MAX_BUCKETS - 1) this.step++;
    let width = STEPS[this.step]! * 1000;
    // Past a week per bucket (centuries of logs, or a clock gone wild): keep doubling.
    while (spanMs / width > MAX_BUCKETS - 1) width *= 2;
    const merged = new Map<number, Float64Array>();
    let min = Infinity;
    let max = -Infinity;
    for (const [i, counts] of this.buckets) {
      const j = Math.floor((i * this.bucketMs) / width);
      const into = merged.get(j);
      if (into) for (let s = 0; s < counts.length; s++) into[s]! += counts[s]!;
      else merged.set(j, counts);
      min = Math.min(min, j);
      max = Math.max(max, j);
    }
    // The span edges may have no bucket yet (the event that widened is added by the caller).
    this.minIdx = Math.min(min, Math.floor((this.minIdx * this.bucketMs) / width));
    this.maxIdx = Math.max(max, Math.floor((this.maxIdx * this.bucketMs) / width));
    this.bucketMs = width;
    this.buckets = merged;
    this.lastIdx = NaN;
    this.last = undefined;
  }

  /** Dense arrays from the first bucket to the last. */
  toTimeline(): Timeline {
    if (this.buckets.size === 0)
      return { start: null, bucketSeconds: this.bucketSeconds, series: [...TIMELINE_SERIES], counts: [] };
    const n = this.maxIdx - this.minIdx + 1;
    const counts = TIMELINE_SERIES.map(() => new Array<number>(n).fill(0));
    for (const [i, c] of this.buckets) for (let s = 0; s < c.length; s++) counts[s]![i - this.minIdx] = c[s]!;
    return {
      start: new Date(this.minIdx * this.bucketMs).toISOString(),
      bucketSeconds: this.bucketSeconds,
      series: [...TIMELINE_SERIES],
      counts,
    };
  }
}
