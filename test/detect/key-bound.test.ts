import { describe, expect, it } from "vitest";
import { evictionShares } from "../../src/detect/key-bound.js";

describe("evictionShares", () => {
  it.each([
    // sizes, excess, shares
    [[100, 100], 20, [10, 10]],
    [[90, 10], 10, [9, 1]],
    // A one-key state (a flood target's ddos key) keeps its key: rounding down, rest to the largest.
    [[99_999, 1], 10_000, [10_000, 0]],
    [[3, 3, 3], 4, [2, 1, 1]],
    [[0, 50], 5, [0, 5]],
    [[0, 0], 0, [0, 0]],
  ])("sizes %j, excess %i → %j", (sizes, excess, shares) => {
    const got = evictionShares(sizes, excess);
    expect(got).toEqual(shares);
    expect(got.reduce((a, b) => a + b, 0)).toBe(excess);
  });
});
