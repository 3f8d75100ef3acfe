import { rng } from "../../../bench/generate.js";
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

describe("member-map/the last member", () => {
  it("member-map/reads agree with a plain Map through any mix of updates, moves, trims, deletes and clears", () => {
    const r = rng(7);
    const rnd = (n: number) => Math.floor(r() * n);
    for (let round = 0; round < 50; round++) {
      const m = new MemberMap();
      const ref = new Map<string | number, number>();
      let t = T0;
      for (let i = 0; i < 400; i++) {
        t += rnd(3) * 1000;
        const k = rnd(2) ? rnd(6) : `10.0.0.${rnd(6)}`;
        const op = rnd(40);
        if (op === 0) {
          const all = rnd(2) === 0;
          m.trim(t - 5000, Infinity, all);
          // Without `all`, a trim stops at the first member it keeps: drop only that prefix.
          for (const [rk, rt] of ref) {
            if (rt >= t - 5000 && !all) break;
            if (rt < t - 5000) ref.delete(rk);
          }
        } else if (op === 1) {
          m.clear();
          ref.clear();
        } else if (op < 6) {
          m.delete(k);
          ref.delete(k);
        } else if (ref.has(k)) {
          const reorder = rnd(2) === 0;
          m.set(k, t, reorder);
          if (reorder) ref.delete(k);
          ref.set(k, t);
        } else {
          m.touch(k, t);
          ref.set(k, t);
        }
        for (const probe of [k, rnd(6), `10.0.0.${rnd(6)}`]) expect(m.get(probe)).toBe(ref.get(probe));
        expect(m.size).toBe(ref.size);
      }
    }
  });
});
