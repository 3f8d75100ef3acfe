import { describe, expect, it } from "vitest";
import { MemoryStore } from "../../src/detect/memory-store.js";
import { describeWindowStore } from "./window-store.contract.js";

describeWindowStore("memory", async ({ maxMembers }) => new MemoryStore({ maxMembers }));

describe("memory-store/bounds", () => {
  it("memory-store/evicts the stalest key past maxKeys and counts it", async () => {
    const s = new MemoryStore({ maxKeys: 3 });
    const t = Date.UTC(2026, 10, 28);
    for (const k of ["a", "b", "c", "a", "d"])
      await s.observe([{ key: k, windowMs: 1000, ts: t, firstTs: t, count: 1 }]);
    expect(await s.size()).toBe(3);
    expect(s.evictions).toBe(1);
    expect(await s.samples("b")).toEqual([]);
    const [a] = await s.observe([{ key: "a", windowMs: 1000, ts: t, firstTs: t, count: 0 }]);
    expect(a!.events).toBe(2);
  });
});
