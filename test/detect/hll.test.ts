import { describe, expect, it } from "vitest";
import { HyperLogLog } from "../../src/detect/hll.js";

function sketch(from: number, to: number): HyperLogLog {
  const h = new HyperLogLog();
  for (let i = from; i < to; i++) h.add(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
  return h;
}

describe("hll", () => {
  it.each([
    [0, 0],
    [1, 1],
    [100, 100],
    [5_000, 5_000],
    [60_000, 60_000],
    [400_000, 400_000],
  ])("hll/%i distinct members count within 2 %% of %i", (n, want) => {
    const got = sketch(0, n).count();
    expect(Math.abs(got - want)).toBeLessThanOrEqual(Math.ceil(want * 0.02));
  });

  it("hll/a union counts what one sketch of every part's members counts, overlaps once", () => {
    // Overlapping ranges, as a window's buckets see a member that comes back.
    const parts = [sketch(0, 30_000), sketch(20_000, 50_000), sketch(45_000, 90_000)];
    const whole = sketch(0, 90_000);
    expect(HyperLogLog.union(parts)).toBe(whole.count());
    const merged = new HyperLogLog();
    for (const p of parts) merged.merge(p);
    expect(HyperLogLog.union(parts)).toBe(merged.count());
    expect(HyperLogLog.union([parts[1]!])).toBe(parts[1]!.count());
    expect(HyperLogLog.union([])).toBe(0);
  });
});
