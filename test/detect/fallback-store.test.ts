import { describe, expect, it, vi } from "vitest";
import { Diagnostics } from "../../src/diagnostics.js";
import { Engine } from "../../src/detect/engine.js";
import { FallbackStore, type FallbackStoreOptions } from "../../src/detect/fallback-store.js";
import { MemoryStore } from "../../src/detect/memory-store.js";
import type {
  Commit,
  EscalateRequest,
  EscalateResult,
  VerdictRead,
  VerdictReply,
  WindowSnapshot,
  WindowStore,
  WindowUpdate,
} from "../../src/detect/window-store.js";
import type { Alert } from "../../src/events/alert.js";
import type { Event } from "../../src/events/event.js";
import { LineParser } from "../../src/parsers/line-parser.js";
import { loadRules, SHIPPED_RULES_DIR } from "../../src/rules/load-rules.js";

/** A shared store that can be made to fail every call, as Redis does when it goes away. */
class FlakyStore implements WindowStore {
  readonly kind = "redis" as const;
  readonly shared = true;
  down = false;
  /** Goes down right after the next observe succeeds (Redis lost mid-exchange). */
  downAfterObserve = false;
  observed: WindowUpdate[] = [];
  constructor(private readonly inner: MemoryStore) {}
  private check(): void {
    if (this.down) throw new Error("Connection is closed.");
  }
  /** Each commit written, with how many updates had been observed when it was. */
  commits: { value: string; after: number }[] = [];
  async observe(updates: WindowUpdate[], commit?: Commit): Promise<WindowSnapshot[]> {
    this.check();
    this.observed.push(...updates);
    if (commit) this.commits.push({ value: commit.value, after: this.observed.length });
    if (this.downAfterObserve) this.down = true;
    return this.inner.observe(updates, commit);
  }
  async members(key: string, dim: string, limit: number): Promise<string[]> {
    this.check();
    return this.inner.members(key, dim, limit);
  }
  async samples(key: string): Promise<string[]> {
    this.check();
    return this.inner.samples(key);
  }
  async escalate(i: string, level: number, ttl: number, id: string, now: number): Promise<EscalateResult> {
    this.check();
    return this.inner.escalate(i, level, ttl, id, now);
  }
  async readCommit(key: string): Promise<string | undefined> {
    this.check();
    return this.inner.readCommit(key);
  }
  async verdictReads(reads: VerdictRead[], escalations: EscalateRequest[]): Promise<VerdictReply> {
    this.check();
    return this.inner.verdictReads(reads, escalations);
  }
  async size(): Promise<number> {
    this.check();
    return this.inner.size();
  }
  async close(): Promise<void> {}
}

const SRC = "198.51.100.96";
const SWEEP_KEY = `port-sweep|${SRC}|tcp`;
const parser = new LineParser({ time: { zone: "UTC", year: 2026, referenceMs: Date.UTC(2026, 11, 1) } });

/** SYNs from SRC to port 22 of 203.0.113.`from`..`to`, logged by `host`, 100 ms apart. */
function sweep(host: string, from: number, to: number): Event[] {
  const out: Event[] = [];
  for (let n = from; n <= to; n++) {
    const ms = String(n * 100).padStart(4, "0");
    const line =
      `Nov 28 15:57:${String(10 + Math.floor(n / 10)).padStart(2, "0")} ${host} kernel: [ 5420.${ms}00] FW-IN: IN=eth0 OUT= ` +
      `SRC=${SRC} DST=203.0.113.${n} LEN=44 TTL=44 ID=${n} PROTO=TCP SPT=40197 DPT=22 WINDOW=1024 RES=0x00 SYN URGP=0 `;
    const o = parser.parse(line, `${host}.log`, n);
    if (!o.ok) throw new Error(`fixture line did not parse: ${line}`);
    out.push(o.event);
  }
  return out;
}

async function agent(primary: WindowStore, opts: FallbackStoreOptions = {}) {
  const diagnostics = new Diagnostics();
  const store = await FallbackStore.start(
    async () => primary,
    diagnostics,
    () => true,
    {
      retryMs: 10,
      ...opts,
    },
  );
  const engine = new Engine(await loadRules(SHIPPED_RULES_DIR), store, { diagnostics });
  const alerts: Alert[] = [];
  return {
    store,
    diagnostics,
    alerts,
    feed: async (events: Event[], commit?: Commit) => alerts.push(...(await engine.process(events, commit))),
    recovered: () =>
      vi.waitFor(() => expect(diagnostics.get("scanwatch_store_fallback")).toBe(0), { timeout: 5000 }),
  };
}

const sweeps = (alerts: Alert[]) => alerts.filter((a) => a.type === "port-sweep" && a.src === SRC);

describe("fallback-store/outage", () => {
  it("fallback-store/an outage's updates are written back and its incident is not raised again", async () => {
    const fleet = new MemoryStore({ shared: true });
    const redisA = new FlakyStore(fleet);
    const a = await agent(redisA);
    await a.feed(sweep("fw-a", 1, 6)); // 6 hosts: below 10, counted in the shared store
    expect(a.alerts).toEqual([]);

    redisA.down = true;
    // The batch whose exchange fails: its updates are kept and its local alert goes out.
    await a.feed(sweep("fw-a", 7, 15));
    expect(sweeps(a.alerts).map((x) => [x.status, x.distinctHosts])).toEqual([["new", 10]]);
    expect(sweeps(a.alerts)[0]!.evidence.some((e) => /Redis unreachable/.test(e))).toBe(true);
    // A batch during the outage: the engine hands its updates over without asking the store.
    await a.feed(sweep("fw-a", 16, 17));
    expect(a.diagnostics.get("scanwatch_store_deferred_updates")).toBeGreaterThan(0);
    expect(await fleet.members(SWEEP_KEY, "host", 100)).toHaveLength(6);

    redisA.down = false;
    await a.recovered();
    expect(await fleet.members(SWEEP_KEY, "host", 100)).toHaveLength(17);
    expect(a.diagnostics.get("scanwatch_store_deferred_updates")).toBe(0);
    // Written back in event-time order.
    const ts = redisA.observed.map((u) => u.ts);
    expect(ts.slice(-3)).toEqual([...ts.slice(-3)].sort((x, y) => x - y));

    // Another agent sees the fleet's 19 hosts: the incident is known there, so it stays quiet.
    const b = await agent(new FlakyStore(fleet));
    await b.feed(sweep("fw-b", 18, 19));
    await a.feed(sweep("fw-a", 20, 20));
    expect(sweeps(b.alerts)).toEqual([]);
    expect(sweeps([...a.alerts, ...b.alerts]).filter((x) => x.status === "new")).toHaveLength(1);
    await Promise.all([a.store.close(), b.store.close()]);
  });

  it("fallback-store/the outage's last commit is written back with its last updates, never before", async () => {
    const fleet = new MemoryStore({ shared: true });
    const redis = new FlakyStore(fleet);
    const a = await agent(redis);
    const at = (value: string): Commit => ({ key: "tail:a", value });
    await a.feed(sweep("fw-a", 1, 3), at("p1"));
    expect(await fleet.readCommit("tail:a")).toBe("p1");
    redis.down = true;
    await a.feed(sweep("fw-a", 4, 6), at("p2"));
    await a.feed(sweep("fw-a", 7, 8), at("p3"));
    await a.feed([], at("p4")); // positions that moved with no event (rejected lines)
    expect(await fleet.readCommit("tail:a")).toBe("p1");
    redis.down = false;
    await a.recovered();
    expect(await fleet.readCommit("tail:a")).toBe("p4");
    expect(redis.commits.map((c) => c.value)).toEqual(["p1", "p4"]);
    // Written in the call of the last updates written back: every kept update came first.
    expect(redis.commits[1]!.after).toBe(redis.observed.length);
    expect(await fleet.members(SWEEP_KEY, "host", 100)).toHaveLength(8);
    await a.store.close();
  });

  it("fallback-store/without the write-back another agent would raise the outage's incident again", async () => {
    // The control for the test above: the same outage, but the store forgets what it kept.
    const fleet = new MemoryStore({ shared: true });
    const redisA = new FlakyStore(fleet);
    const a = await agent(redisA, { maxDeferredUpdates: 0, maxDeferredIncidents: 0 });
    await a.feed(sweep("fw-a", 1, 6));
    redisA.down = true;
    await a.feed(sweep("fw-a", 7, 15));
    redisA.down = false;
    await a.recovered();
    expect(a.diagnostics.get('scanwatch_store_deferred_dropped_total{what="update"}')).toBeGreaterThan(0);
    const b = await agent(new FlakyStore(fleet));
    await b.feed(sweep("fw-b", 18, 21)); // 4 hosts here, 6 + 4 in the shared store
    expect(sweeps([...a.alerts, ...b.alerts]).filter((x) => x.status === "new")).toHaveLength(2);
    await Promise.all([a.store.close(), b.store.close()]);
  });

  it("fallback-store/an incident only the fleet raised, lost mid-exchange, is alerted after recovery", async () => {
    const fleet = new MemoryStore({ shared: true });
    const a = await agent(new FlakyStore(fleet));
    await a.feed(sweep("fw-a", 1, 6));
    const redisB = new FlakyStore(fleet);
    const b = await agent(redisB);
    redisB.downAfterObserve = true;
    // 4 hosts here, 10 in the fleet: the candidate's escalation finds Redis gone.
    await b.feed(sweep("fw-b", 7, 10));
    expect(b.alerts).toEqual([]);
    redisB.downAfterObserve = false;
    redisB.down = false;
    await b.recovered();
    // Nothing was raised in Redis for it meanwhile, so the next batch raises it, once.
    await b.feed(sweep("fw-b", 11, 11));
    expect(sweeps([...a.alerts, ...b.alerts]).map((x) => [x.status, x.distinctHosts])).toEqual([["new", 11]]);
    await Promise.all([a.store.close(), b.store.close()]);
  });

  it("fallback-store/past maxDeferredUpdates the oldest are dropped, counted, and the rest written back", async () => {
    const fleet = new MemoryStore({ shared: true });
    const redis = new FlakyStore(fleet);
    redis.down = true;
    const diagnostics = new Diagnostics();
    let up = false;
    const store = await FallbackStore.start(
      async () => {
        if (!up) throw new Error("connect ECONNREFUSED");
        return redis;
      },
      diagnostics,
      () => true,
      { retryMs: 10, maxDeferredUpdates: 3 },
    );
    expect(store.shared).toBe(false);
    const t = Date.UTC(2026, 10, 28);
    store.defer(
      [1, 2, 3, 4, 5].map((i) => ({ key: "k", windowMs: 60_000, ts: t + i, firstTs: t + i, count: 1 })),
      [],
    );
    expect(diagnostics.get('scanwatch_store_deferred_dropped_total{what="update"}')).toBe(2);
    expect(diagnostics.get("scanwatch_store_deferred_updates")).toBe(3);
    up = true;
    redis.down = false;
    await vi.waitFor(() => expect(store.shared).toBe(true), { timeout: 5000 });
    expect(redis.observed.map((u) => u.ts - t)).toEqual([3, 4, 5]);
    await store.close();
  });
});
