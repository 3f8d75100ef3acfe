import { inject, describe, expect, it } from "vitest";
import { Diagnostics } from "../../src/diagnostics.js";
import { Engine } from "../../src/detect/engine.js";
import { FallbackStore } from "../../src/detect/fallback-store.js";
import { MemoryStore } from "../../src/detect/memory-store.js";
import { RedisStore, StoreError } from "../../src/detect/redis/redis-store.js";
import type { Commit, WindowStore, WindowUpdate } from "../../src/detect/window-store.js";
import type { Alert } from "../../src/events/alert.js";
import { LineParser } from "../../src/parsers/line-parser.js";
import { ParseStats } from "../../src/parsers/parse-stats.js";
import { parseBatch } from "../../src/pipeline.js";
import { loadRules, SHIPPED_RULES_DIR } from "../../src/rules/load-rules.js";
import { SCAN_SRC, SYN_SCAN } from "../e2e/support.js";
import { uniquePrefix } from "../redis-server.js";

/*
 * The outage's write-back and the commits that ride with `tail` batches: a call Redis applied
 * whose reply was lost is not sent again, and a batch kept while a write-back chunk is in flight
 * is neither lost nor covered by a commit before it is written.
 */

const SYNS = SYN_SCAN.filter((l) => / SYN /.test(l) && !/ ACK /.test(l) && l.includes(`SRC=${SCAN_SRC} `));
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const upd = (key: string, ts: number): WindowUpdate => ({ key, windowMs: 60_000, ts, firstTs: ts, count: 1 });

/** Redis applies the first call that has updates, then its reply is lost (a timeout, a dropped link). */
function losingOneReply(inner: RedisStore): WindowStore {
  let lost = false;
  return new Proxy(inner, {
    get(t, p, r) {
      if (p === "observe")
        return async (u: WindowUpdate[], c?: Commit) => {
          const snaps = await t.observe(u, c);
          if (!lost && u.length) {
            lost = true;
            throw new StoreError("cannot reach Redis (Command timed out)", "STORE_UNREACHABLE");
          }
          return snaps;
        };
      const v = Reflect.get(t, p, r) as unknown;
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(t) : v;
    },
  });
}

/** The SYN scan in three batches, each with its commit, as `tail` hands them over. */
async function detect(store: WindowStore, between?: () => Promise<void>): Promise<Alert[]> {
  const engine = new Engine(await loadRules(SHIPPED_RULES_DIR), store, { diagnostics: new Diagnostics() });
  const parser = new LineParser({ time: { zone: "UTC", year: 2026, referenceMs: Date.now() } });
  const lines = SYNS.map((text, i) => ({ text, file: "/var/log/kern.log", line: i + 1 }));
  const alerts: Alert[] = [];
  for (const [from, to] of [
    [0, 5],
    [5, 6],
    [6, lines.length],
  ] as const) {
    const events = parseBatch(lines.slice(from, to), () => parser, new ParseStats());
    alerts.push(...(await engine.process(events, { key: "tail:a", value: `{"upTo":${to}}` })));
    await between?.();
  }
  return alerts;
}

describe("fallback-store/commits", () => {
  it("fallback-store/a call applied whose reply was lost is not written back again", async () => {
    const alone = await detect(new MemoryStore());
    const redis = await RedisStore.open({ url: inject("redisUrl"), keyPrefix: uniquePrefix("lost-reply") });
    const store = await FallbackStore.start(
      async () => losingOneReply(redis),
      new Diagnostics(),
      () => true,
      {
        retryMs: 20,
      },
    );
    try {
      const shared = await detect(store, () => sleep(150)); // the probe writes back between batches
      const pick = (as: Alert[]) => as.map((a) => ({ type: a.type, status: a.status, events: a.events }));
      expect(pick(shared)).toEqual(pick(alone));
      const ms = Date.UTC(2026, 10, 28, 15, 54, 11);
      const [win] = await redis.observe([
        { key: `tcp-scan|${SCAN_SRC}`, windowMs: 60_000, ts: ms, firstTs: ms, count: 0 },
      ]);
      expect(win!.events).toBe(SYNS.length);
      expect(await redis.readCommit("tail:a")).toBe(`{"upTo":${SYNS.length}}`);
    } finally {
      await store.close();
    }
  });

  it("fallback-store/a batch kept while a write-back chunk is in flight is written before its commit", async () => {
    let down = true;
    const written: string[] = [];
    const commits: { value: string; after: number }[] = [];
    const inner = new MemoryStore({ shared: true });
    const primary = new Proxy(inner, {
      get(t, p, r) {
        if (p === "kind") return "redis";
        if (p === "size")
          return async () => {
            if (down) throw new Error("Connection is closed.");
            return 0;
          };
        if (p === "observe")
          return async (u: WindowUpdate[], c?: Commit) => {
            if (down) throw new Error("Connection is closed.");
            await sleep(50); // a write-back chunk takes a moment
            written.push(...u.map((x) => x.key));
            if (c) commits.push({ value: c.value, after: written.length });
            return t.observe(u, c);
          };
        const v = Reflect.get(t, p, r) as unknown;
        return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(t) : v;
      },
    }) as unknown as WindowStore;
    const store = await FallbackStore.start(
      async () => primary,
      new Diagnostics(),
      () => true,
      {
        retryMs: 10,
        maxDeferredUpdates: 4,
      },
    );
    try {
      await store.defer([upd("a", 1), upd("b", 2), upd("c", 3), upd("d", 4)], [], {
        key: "tail:x",
        value: "d",
      });
      await store.observe([upd("z", 0)]).catch(() => undefined); // fails: on memory from here
      down = false;
      await sleep(25); // the probe is writing back the backlog
      store.defer([upd("e", 5)], [], { key: "tail:x", value: "e" }); // the next batch, meanwhile
      await sleep(400);
      expect(written).toContain("e");
      // Each commit was written with or after every update before it.
      for (const c of commits) expect(written.slice(0, c.after)).toContain(c.value);
      expect(await inner.readCommit("tail:x")).toBe("e");
    } finally {
      await store.close();
    }
  });
});
