import { describe, expect, it } from "vitest";
import { MemoryStore } from "../../src/detect/memory-store.js";
import { describeWindowStore } from "./window-store.contract.js";

describeWindowStore("memory", async (opts) => new MemoryStore(opts));

describe("memory-store/bounds", () => {
  it("memory-store/past maxKeys evicts the stalest keys by event time and counts them", async () => {
    const s = new MemoryStore({ maxKeys: 3 });
    const t = Date.UTC(2026, 10, 28);
    const keys = ["a", "b", "c", "a", "d"];
    for (let i = 0; i < keys.length; i++)
      await s.observe([{ key: keys[i]!, windowMs: 60_000, ts: t + i, firstTs: t + i, count: 1 }]);
    // Four keys exceed the cap of 3: the store shrinks to 90 % of it, dropping b and c (stalest).
    expect(await s.size()).toBe(2);
    expect(s.evictions).toBe(2);
    expect(await s.samples("b")).toEqual([]);
    const [a] = await s.observe([{ key: "a", windowMs: 60_000, ts: t + 5, firstTs: t + 5, count: 0 }]);
    expect(a!.events).toBe(2);
  });

  it("memory-store/keys whose window has passed go first, without counting as evictions", async () => {
    const s = new MemoryStore({ maxKeys: 2 });
    const t = Date.UTC(2026, 10, 28);
    await s.observe([{ key: "old", windowMs: 1000, ts: t, firstTs: t, count: 1 }]);
    await s.observe([{ key: "x", windowMs: 60_000, ts: t + 5000, firstTs: t + 5000, count: 1 }]);
    await s.observe([{ key: "y", windowMs: 60_000, ts: t + 5001, firstTs: t + 5001, count: 1 }]);
    expect(await s.size()).toBe(2);
    expect(s.evictions).toBe(0);
  });
});
