import { describe, expect, it } from "vitest";
import { MemberMap } from "../../../src/detect/window/member-map.js";

const T0 = Date.UTC(2026, 10, 28, 12);

/** Ports 1..5 seen at T0, then 1 and 2 again at T0 + 50 s without moving them. */
function unordered(): MemberMap {
  const m = new MemberMap();
  for (let p = 1; p <= 5; p++) m.touch(p, T0);
  m.set(1, T0 + 50_000, false);
  m.set(2, T0 + 50_000, false);
  return m;
}

describe("member-map/trim", () => {
  it("member-map/from the oldest end, a member seen again but not moved stops the trim (dropped late)", () => {
    const m = unordered();
    m.trim(T0 + 10_000, Infinity);
    expect(m.size).toBe(5);
  });

  it("member-map/with all, every member last seen before the cutoff goes, wherever it is", () => {
    const m = unordered();
    m.trim(T0 + 10_000, Infinity, true);
    expect(m.since(-Infinity).sort()).toEqual([1, 2]);
    expect(m.get(1)).toBe(T0 + 50_000);
  });

  it("member-map/times a month apart stay exact", () => {
    const m = new MemberMap();
    m.touch("a", T0);
    m.touch("b", T0 + 40 * 86_400_000 + 1);
    expect([m.get("a"), m.get("b")]).toEqual([T0, T0 + 40 * 86_400_000 + 1]);
    expect(m.since(T0 + 1)).toEqual(["b"]);
  });
});
