import { describe, expect, it } from "vitest";
import { MAX_BUCKETS, TimelineBuckets } from "../../src/report/timeline-buckets.js";

const T0 = Date.UTC(2026, 10, 28, 16, 0, 0);
const total = (counts: number[][]) => counts.flat().reduce((a, b) => a + b, 0);

describe("timeline", () => {
  it.each([
    ["three minutes", 180_000, 1],
    ["one hour", 3_600_000, 5],
    ["one day", 86_400_000, 30],
    ["one month", 31 * 86_400_000, 900],
    ["one year", 365 * 86_400_000, 21_600],
  ])("timeline/%s of events gets buckets of the finest width that fits", (_name, span, seconds) => {
    const t = new TimelineBuckets();
    const n = 5000;
    for (let i = 0; i < n; i++) t.add(T0 + Math.floor((i / (n - 1)) * span), i % 6);
    const tl = t.toTimeline();
    expect(tl.bucketSeconds).toBe(seconds);
    expect(tl.counts).toHaveLength(6);
    expect(tl.counts[0]!.length).toBeLessThanOrEqual(MAX_BUCKETS);
    expect(total(tl.counts)).toBe(n);
    // Bucket k starts at start + k × width, and the first holds the first event.
    expect(Date.parse(tl.start!)).toBeLessThanOrEqual(T0);
    expect(T0 - Date.parse(tl.start!)).toBeLessThan(seconds * 1000);
  });

  it("timeline/events out of order and one far outlier keep every count, in bounded buckets", () => {
    const t = new TimelineBuckets();
    for (let i = 0; i < 1000; i++) t.add(T0 + ((i * 7919) % 1000) * 1000, 0);
    t.add(T0 - 20 * 365 * 86_400_000, 4); // a stamp twenty years early
    const tl = t.toTimeline();
    expect(total(tl.counts)).toBe(1001);
    expect(tl.counts[0]!.length).toBeLessThanOrEqual(MAX_BUCKETS);
    expect(tl.counts[4]![0]).toBe(1);
  });

  it("timeline/no events is an empty timeline with no start", () => {
    expect(new TimelineBuckets().toTimeline()).toMatchObject({ start: null, counts: [] });
  });
});
