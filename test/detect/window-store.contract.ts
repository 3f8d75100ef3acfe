import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Diagnostics } from "../../src/diagnostics.js";
import type { WindowStore, WindowUpdate } from "../../src/detect/window-store.js";

export const W = 10_000;
export const T0 = Date.UTC(2026, 10, 28, 15, 0, 0);

/** One update of `key` at `ts`: one event in a 10 s window, plus whatever `opts` adds. */
export const upd = (key: string, ts: number, opts: Partial<WindowUpdate> = {}): WindowUpdate => ({
  key,
  windowMs: W,
  ts,
  firstTs: ts,
  count: 1,
  ...opts,
});

/**
 * The conformance suite every WindowStore implementation passes. `make` returns a fresh, empty
 * store (for Redis: a unique key prefix on a private server); `maxMembers` is 50 for the bound cases,
 * `maxKeys` and `diagnostics` are given only where the key bound is tested.
 */
export interface StoreOptions {
  maxMembers: number;
  maxKeys?: number;
  diagnostics?: Diagnostics;
}

export function describeWindowStore(name: string, make: (opts: StoreOptions) => Promise<WindowStore>): void {
  describe(`window-store contract: ${name}`, () => {
    let store: WindowStore;
    beforeEach(async () => {
      store = await make({ maxMembers: 50 });
    });
    afterEach(async () => {
      await store.close();
    });

    const set = (...pairs: [string, number][]) => new Map(pairs);

    it("store/counts events and distinct members within the window", async () => {
      const [a] = await store.observe([
        upd("k1", T0, { count: 3, sets: { port: set(["22", T0], ["80", T0], ["22", T0]) } }),
      ]);
      expect(a!.events).toBe(3);
      expect(a!.sets.port).toEqual({ count: 2, estimate: false });
      const [b] = await store.observe([upd("k1", T0 + 1000, { sets: { port: set(["443", T0 + 1000]) } })]);
      expect(b!.events).toBe(4);
      expect(b!.sets.port!.count).toBe(3);
      expect(b!.firstSeen).toBe(T0);
      expect(b!.lastSeen).toBe(T0 + 1000);
    });

    it("store/members leave the window as event time advances", async () => {
      await store.observe([upd("k2", T0, { sets: { port: set(["1", T0], ["2", T0]) } })]);
      await store.observe([upd("k2", T0 + 6000, { sets: { port: set(["3", T0 + 6000]) } })]);
      const [s] = await store.observe([
        upd("k2", T0 + 10_500, { count: 0, sets: { port: set(["4", T0 + 10_500]) } }),
      ]);
      expect(s!.sets.port!.count).toBe(2);
      expect(await store.members("k2", "port", 10)).toEqual(["3", "4"]);
      // Counts slide by buckets of window/10: the T0 bucket is gone, the T0+6000 one stays.
      expect(s!.events).toBe(1);
    });

    it("store/keys are independent and updates in one batch apply in order", async () => {
      const out = await store.observe([
        upd("a", T0, { sets: { d: set(["x", T0]) } }),
        upd("b", T0, { sets: { d: set(["y", T0], ["z", T0]) } }),
        upd("a", T0 + 1, { sets: { d: set(["w", T0 + 1]) } }),
      ]);
      expect(out.map((s) => s.sets.d!.count)).toEqual([1, 2, 2]);
      expect(out.map((s) => s.events)).toEqual([1, 1, 2]);
    });

    it("store/a key quiet for a whole window starts over", async () => {
      await store.observe([upd("k3", T0, { tags: { syn: 5 }, samples: ["f:1"] })]);
      const [s] = await store.observe([upd("k3", T0 + W + 1, { tags: { syn: 1 }, samples: ["f:9"] })]);
      expect(s!.firstSeen).toBe(T0 + W + 1);
      expect(s!.tags.syn).toBe(1);
      expect(s!.events).toBe(1);
      expect(await store.samples("k3")).toEqual(["f:9"]);
    });

    it("store/tags accumulate and samples keep the first five", async () => {
      for (let i = 0; i < 8; i++)
        await store.observe([upd("k4", T0 + i, { tags: { raw: 1, os: i % 2 }, samples: [`f:${i}`] })]);
      const [s] = await store.observe([upd("k4", T0 + 9, { count: 0 })]);
      expect(s!.tags).toEqual({ raw: 8, os: 4 });
      expect(await store.samples("k4")).toEqual(["f:0", "f:1", "f:2", "f:3", "f:4"]);
    });

    it("store/a set past its bound reports an estimate close to the truth", async () => {
      const pairs: [string, number][] = [];
      for (let i = 0; i < 3000; i++) pairs.push([`10.${(i >> 8) & 255}.${i & 255}.1`, T0 + 1]);
      const [s] = await store.observe([upd("k5", T0 + 1, { count: 3000, sets: { src: new Map(pairs) } })]);
      expect(s!.sets.src!.estimate).toBe(true);
      expect(Math.abs(s!.sets.src!.count - 3000)).toBeLessThan(3000 * 0.05);
      expect((await store.members("k5", "src", 1000)).length).toBeLessThanOrEqual(50);
    });

    it("store/an estimate ends once the window slides past the overflow", async () => {
      const pairs: [string, number][] = [];
      for (let i = 0; i < 100; i++) pairs.push([`m${i}`, T0]);
      await store.observe([upd("k6", T0, { sets: { src: new Map(pairs) } })]);
      const [s] = await store.observe([upd("k6", T0 + W - 1, { count: 0 })]);
      expect(s!.sets.src!.estimate).toBe(true);
      const [t] = await store.observe([upd("k6", T0 + W + 5, { sets: { src: set(["later", T0 + W + 5]) } })]);
      expect(t!.sets.src).toEqual({ count: 1, estimate: false });
    });

    it("store/escalate alerts once per level and keeps the incident id", async () => {
      const a = await store.escalate("inc1", 0, 60_000, "id-1", T0);
      expect(a).toMatchObject({ raised: true, created: true, id: "id-1", level: 0 });
      const b = await store.escalate("inc1", 0, 60_000, "id-2", T0 + 1);
      expect(b).toMatchObject({ raised: false, id: "id-1", level: 0 });
      const c = await store.escalate("inc1", 2, 60_000, "id-3", T0 + 2);
      expect(c).toMatchObject({ raised: true, created: false, id: "id-1", level: 2 });
      const d = await store.escalate("inc1", 1, 60_000, "id-4", T0 + 3);
      expect(d).toMatchObject({ raised: false, level: 2 });
    });

    it("store/an incident expires after its cooldown of event time", async () => {
      await store.escalate("inc2", 1, 1000, "id-a", T0);
      const again = await store.escalate("inc2", 1, 1000, "id-b", T0 + 1500);
      expect(again).toMatchObject({ raised: true, created: true, id: "id-b" });
    });

    it("store/a commit is written with its batch and read back", async () => {
      expect(await store.readCommit("agent-a")).toBeUndefined();
      await store.observe([upd("c1", T0)], { key: "agent-a", value: '{"kern.log":100}' });
      await store.observe([], { key: "agent-a", value: '{"kern.log":250}' });
      expect(await store.readCommit("agent-a")).toBe('{"kern.log":250}');
      expect(await store.readCommit("agent-b")).toBeUndefined();
    });

    it("store/verdictReads answers reads and escalations of many keys at once, in order", async () => {
      await store.observe([
        upd("v1", T0, { sets: { port: set(["22", T0], ["80", T0]) }, samples: ["f:1"] }),
        upd("v2", T0, { sets: { host: set(["h1", T0]) }, samples: ["f:2", "f:3"] }),
      ]);
      const r = await store.verdictReads(
        [
          { key: "v1", dims: ["port"], limit: 1 },
          { key: "v2", dims: ["host", "port"], limit: 10 },
          { key: "none", dims: ["port"], limit: 10 },
        ],
        [
          { incident: "vi", level: 0, ttlMs: 60_000, idCandidate: "id-1", nowMs: T0 },
          { incident: "vi", level: 1, ttlMs: 60_000, idCandidate: "id-2", nowMs: T0 },
          { incident: "vj", level: 0, ttlMs: 60_000, idCandidate: "id-3", nowMs: T0 },
        ],
      );
      expect(r.reads).toEqual([
        { members: { port: ["22"] }, samples: ["f:1"] },
        { members: { host: ["h1"], port: [] }, samples: ["f:2", "f:3"] },
        { members: { port: [] }, samples: [] },
      ]);
      expect(r.escalations).toEqual([
        { raised: true, created: true, id: "id-1", level: 0 },
        { raised: true, created: false, id: "id-1", level: 1 },
        { raised: true, created: true, id: "id-3", level: 0 },
      ]);
    });

    it("store/size counts tracked keys", async () => {
      await store.observe([upd("s1", T0), upd("s2", T0), upd("s3", T0)]);
      expect(await store.size()).toBe(3);
    });
    it("store/a flood of new keys stays under maxKeys: passed windows first, then the stalest, counted", async () => {
      const diagnostics = new Diagnostics();
      const bounded = await make({ maxMembers: 50, maxKeys: 256, diagnostics });
      try {
        // 150 keys whose window has passed by the time 600 live ones arrive, 100 per batch.
        await bounded.observe(Array.from({ length: 150 }, (_, i) => upd(`old${i}`, T0)));
        for (let b = 0; b < 6; b++) {
          await bounded.observe(
            Array.from({ length: 100 }, (_, i) => upd(`new${b * 100 + i}`, T0 + 60_000 + b * 100 + i)),
          );
          expect(await bounded.size()).toBeLessThanOrEqual(256);
        }
        const size = await bounded.size();
        // Every passed key went, uncounted; only live keys count as evictions.
        for (let i = 0; i < 150; i += 10) expect(await bounded.samples(`old${i}`)).toEqual([]);
        expect(diagnostics.get("scanwatch_store_evictions_total")).toBe(600 - size);
        // The latest key is still there, exact.
        const [last] = await bounded.observe([upd("new599", T0 + 60_599, { count: 0 })]);
        expect(last!.events).toBe(1);
      } finally {
        await bounded.close();
      }
    });
  });
}
