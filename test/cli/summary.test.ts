import { describe, expect, it } from "vitest";
import { renderEvictions } from "../../src/cli/summary.js";

describe("summary/evictions", () => {
  it.each([
    ["none", 0, ""],
    ["one", 1, "1 key was evicted to stay under the bound of 100,000 tracked keys"],
    ["many", 2_782_848, "2,782,848 keys were evicted to stay under the bound of 100,000 tracked keys"],
  ])("summary/evictions %s", (_name, n, start) => {
    const text = renderEvictions(n, 100_000);
    if (start === "") expect(text).toBe("");
    else {
      expect(text.trimStart().startsWith(start)).toBe(true);
      expect(text).toContain("counts are lower bounds");
    }
  });
});
