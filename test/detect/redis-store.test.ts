import { createConnection, createServer, Socket, type AddressInfo } from "node:net";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it, vi } from "vitest";
import { Diagnostics } from "../../src/diagnostics.js";
import { MemoryStore } from "../../src/detect/memory-store.js";
import {
  RedisStore,
  StoreError,
  TTL_SLACK_MS,
  type RedisStoreOptions,
} from "../../src/detect/redis/redis-store.js";
import { keyBase, keySlot, shardOf } from "../../src/detect/redis/keys.js";
import type { WindowUpdate } from "../../src/detect/window-store.js";
import { closedPort, startPrivateRedis, uniquePrefix } from "../redis-server.js";
import { describeWindowStore, T0, upd, W } from "./window-store.contract.js";

const url = inject("redisUrl");
const prefixes: string[] = [];
let admin: Redis;

beforeAll(async () => {
  admin = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await admin.connect();
});

afterAll(async () => {
  // The server may be shared (SCANWATCH_TEST_REDIS_URL): leave nothing behind.
  for (const p of prefixes) {
    const keys = await keysUnder(p);
    if (keys.length) await admin.unlink(...keys);
  }
  await admin.quit();
});

async function open(opts: Partial<RedisStoreOptions> = {}): Promise<RedisStore> {
  const keyPrefix = uniquePrefix();
  prefixes.push(keyPrefix);
  return RedisStore.open({ url, keyPrefix, ...opts });
}

/** Script calls the server has run (INFO commandstats), for "one call per batch" checks. */
async function evalCalls(): Promise<number> {
  const info = await admin.info("commandstats");
  let n = 0;
  for (const m of info.matchAll(/cmdstat_(?:evalsha|eval):calls=(\d+)/g)) n += Number(m[1]);
  return n;
}

async function keysUnder(prefix: string): Promise<string[]> {
  const out = new Set<string>();
  let cursor = "0";
  do {
    const [next, keys] = await admin.scan(
      cursor,
      "MATCH",
      `${prefix.replace(/[*?[\]\\]/g, "\\$&")}*`,
      "COUNT",
      1000,
    );
    for (const k of keys) out.add(k);
    cursor = next;
  } while (cursor !== "0");
  return [...out].sort();
}

describeWindowStore("redis", (opts) => open(opts));

describe("redis-store/keys", () => {
  it("redis-store/every key written has a TTL longer than the window", async () => {
    const store = await open({ maxMembers: 20 });
    try {
      const many = new Map<string, number>();
      for (let i = 0; i < 100; i++) many.set(`m${i}`, T0 + 500);
      await store.observe([
        upd("a", T0, { tags: { syn: 1 }, samples: ["f:1"], sets: { port: new Map([["22", T0]]) } }),
        upd("b", T0 + 500, { sets: { src: many, port: new Map([["80", T0 + 500]]) } }),
      ]);
      await store.escalate("inc", 1, 30_000, "id-1", T0);
      const all = await keysUnder(store.keyPrefix);
      const keys = all.filter((k) => !k.endsWith("}:i"));
      // a: state (holding its tags and samples), 1 zset; b: state, 2 zsets, the HLL hash
      // (overflowed); the incident. Plus the index of each shard a and b are in; no scratch key
      // outlives its call.
      expect(keys.length).toBe(7);
      const shards = new Set(["a", "b"].map((k) => shardOf(k))).size;
      expect(all.length - keys.length).toBe(shards);
      expect(keys.filter((k) => k.endsWith("}:x") || k.endsWith("}:y"))).toEqual([]);
      const hll = keys.find((k) => k.endsWith("b:h"))!;
      expect(await admin.hkeys(hll)).toEqual([`src:${Math.floor((T0 + 500) / 1000)}`]);
      for (const k of all) {
        const ttl = await admin.pttl(k);
        expect(ttl, k).toBeGreaterThan(0);
        expect(ttl, k).toBeLessThanOrEqual(Math.max(2 * W, 30_000) + TTL_SLACK_MS);
        if (!k.endsWith(":i")) expect(ttl, k).toBeGreaterThan(W);
      }
    } finally {
      await store.close();
    }
  });

  it("redis-store/every key a script touches is one it declared (seen with MONITOR)", async () => {
    // A Cluster routes a script by its declared keys: one touching another would work on one
    // server and break on a cluster that moves a slot. Watch every command the scripts run.
    const store = await open({ maxMembers: 5, maxKeys: 64 });
    const monitor = await admin.monitor();
    const seen: { source: string; args: string[] }[] = [];
    monitor.on("monitor", (_t: string, args: string[], source: string) => seen.push({ source, args }));
    try {
      const many = new Map<string, number>();
      for (let i = 0; i < 20; i++) many.set(`m${i}`, T0 + i);
      const batch: WindowUpdate[] = [];
      // Overflowed sets (HyperLogLogs), tags and samples, then enough keys in one shard to evict.
      batch.push(upd("big", T0, { tags: { syn: 2 }, samples: ["f:1"], sets: { src: many } }));
      for (let i = 0; i < 300; i++)
        batch.push(upd(`k${i}`, T0 + i, { sets: { port: new Map([["22", T0 + i]]) } }));
      await store.observe(batch, { key: "agent", value: "{}" });
      // The overflowed key again, later in the window, with a dimension its updates do not name.
      await store.observe([upd("big", T0 + 2_000, { count: 0 })]);
      // A restart after a quiet window, reads and escalations.
      await store.observe([upd("big", T0 + 30_000, { sets: { port: new Map([["1", T0 + 30_000]]) } })]);
      await store.verdictReads(
        [{ key: "big", dims: ["port", "src"], limit: 10 }],
        [{ incident: "inc", level: 1, ttlMs: 1000, idCandidate: "i-1", nowMs: T0 }],
      );
    } finally {
      monitor.disconnect();
      await store.close();
    }
    let declared: Set<string> | undefined;
    let checked = 0;
    for (const { source, args } of seen) {
      const cmd = args[0]!.toLowerCase();
      if (source !== "lua") {
        if (cmd === "evalsha" || cmd === "eval") declared = new Set(args.slice(3, 3 + Number(args[2])));
        continue;
      }
      // The server's own answer to which arguments are keys.
      const keys = (await admin.call("COMMAND", "GETKEYS", ...args)) as string[];
      for (const k of keys) expect(declared, `${args.join(" ")}`).toContain(k);
      checked++;
    }
    // The scripts ran (ZADD, PFADD, PFMERGE, ZPOPMIN... inside them were seen and checked).
    expect(checked).toBeGreaterThan(300);
    for (const c of ["pfadd", "pfmerge", "zpopmin", "unlink", "zrangebyscore", "set"])
      expect(
        seen.some((e) => e.source === "lua" && e.args[0]!.toLowerCase() === c),
        c,
      ).toBe(true);
  });

  it("redis-store/all keys of one logical key share a hash slot", async () => {
    // CLUSTER KEYSLOT answers only with cluster support enabled, so compute the slot here.
    expect(keySlot("foo")).toBe(12182); // reference values from a cluster-enabled redis-server 7
    expect(keySlot("a{foo}b")).toBe(12182);
    const store = await open({ maxMembers: 5 });
    try {
      const members = new Map<string, number>();
      for (let i = 0; i < 10; i++) members.set(`x${i}`, T0);
      const logical = ["10.0.0.1", "weird {key} with %3A}", "{", "}{", "a:m", "a", "2001:db8::1"];
      await store.observe(
        logical.map((k) =>
          upd(k, T0, { tags: { t: 1 }, samples: ["s"], sets: { "d{im}:x": members, port: members } }),
        ),
      );
      const keys = (await keysUnder(store.keyPrefix)).filter((k) => !k.endsWith("}:i"));
      const bases = logical.map((k) => keyBase(store.keyPrefix, k));
      for (const k of keys) {
        // Each key belongs to exactly one logical key, and has its slot.
        const owners = bases.filter((b) => k.startsWith(b + ":"));
        expect(owners, k).toHaveLength(1);
        expect(keySlot(k), k).toBe(keySlot(owners[0]!));
      }
      // Odd characters survive the escaping both ways.
      // Past the bound the most recently seen stay; ties on time go by member order, as ZSETs do.
      expect(await store.members("weird {key} with %3A}", "d{im}:x", 3)).toEqual(["x5", "x6", "x7"]);
      expect(await store.members("a", "port", 10)).toEqual(["x5", "x6", "x7", "x8", "x9"]);
      expect(await store.size()).toBe(logical.length);
    } finally {
      await store.close();
    }
  });

  it("redis-store/rejects a key prefix that would change the hash slot", () => {
    expect(() => new RedisStore({ url, keyPrefix: "a{b}:" })).toThrow(
      expect.objectContaining({ code: "STORE_BAD_OPTION" }),
    );
    expect(() => new RedisStore({ url: "http://x" })).toThrow(
      expect.objectContaining({ code: "STORE_BAD_OPTION" }),
    );
  });
});

describe("redis-store/batching", () => {
  it("redis-store/one observe of 1000 updates is one round trip and one script call", async () => {
    const store = await open();
    const writes = vi.spyOn(Socket.prototype, "write");
    try {
      const updates: WindowUpdate[] = [];
      for (let i = 0; i < 1000; i++) {
        const k = `src${i % 200}`; // 5 updates per key, applied in order inside the one call
        updates.push(upd(k, T0 + i, { sets: { port: new Map([[String(i), T0 + i]]) }, tags: { n: 1 } }));
      }
      const before = store.roundTrips;
      const calls = await evalCalls();
      writes.mockClear();
      const out = await store.observe(updates);
      expect(store.roundTrips - before).toBe(1);
      expect(writes).toHaveBeenCalledTimes(1); // one socket write carries the whole batch
      expect((await evalCalls()) - calls).toBe(1);
      expect(out).toHaveLength(1000);
      // The fifth update of each key sees the four before it, in batch order.
      expect(out[0]!.sets.port!.count).toBe(1);
      expect(out[800]!.sets.port!.count).toBe(5);
      expect(out[800]!.events).toBe(5);
      expect(out[800]!.tags.n).toBe(5);
    } finally {
      writes.mockRestore();
      await store.close();
    }
  });

  it("redis-store/agrees with the memory store on a mixed workload", async () => {
    const store = await open({ maxMembers: 40 });
    const mem = new MemoryStore({ maxMembers: 40 });
    try {
      let seed = 7;
      const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
      let t = T0;
      for (let batch = 0; batch < 40; batch++) {
        const updates: WindowUpdate[] = [];
        for (let i = 0; i < 25; i++) {
          t += rnd(400);
          const ports = new Map<string, number>();
          for (let j = rnd(6); j > 0; j--) ports.set(String(rnd(30)), t); // below the bound: HLLs differ
          updates.push(
            upd(`k${rnd(4)}`, t, {
              count: rnd(3),
              sets: rnd(5) ? { port: ports } : {},
              tags: { syn: rnd(2) },
              samples: [`f:${batch}:${i}`],
            }),
          );
        }
        if (batch === 20) t += W + 1; // everybody goes quiet for a window
        const [r, m] = [await store.observe(updates), await mem.observe(updates)];
        expect(r).toEqual(m);
      }
      for (let k = 0; k < 4; k++) {
        expect(await store.members(`k${k}`, "port", 100)).toEqual(await mem.members(`k${k}`, "port", 100));
        expect(await store.samples(`k${k}`)).toEqual(await mem.samples(`k${k}`));
      }
    } finally {
      await store.close();
      await mem.close();
    }
  });
});

describe("redis-store/bounds", () => {
  it("redis-store/a flood of 50 000 distinct members stays bounded with a close estimate", async () => {
    const maxMembers = 1000;
    const store = await open({ maxMembers });
    try {
      const window = 60_000;
      let last;
      for (let b = 0; b < 50; b++) {
        const members = new Map<string, number>();
        for (let i = 0; i < 1000; i++) {
          const n = b * 1000 + i;
          members.set(`10.${n >> 16}.${(n >> 8) & 255}.${n & 255}`, T0 + b * 100);
        }
        [last] = await store.observe([
          {
            key: "flood",
            windowMs: window,
            ts: T0 + b * 100,
            firstTs: T0 + b * 100,
            count: 1000,
            sets: { src: members },
          },
        ]);
      }
      expect(last!.events).toBe(50_000);
      expect(last!.sets.src!.estimate).toBe(true);
      expect(Math.abs(last!.sets.src!.count - 50_000)).toBeLessThan(50_000 * 0.05);
      const keys = await keysUnder(store.keyPrefix);
      const zset = keys.find((k) => k.endsWith(":z:src"))!;
      expect(await admin.zcard(zset)).toBeLessThanOrEqual(maxMembers);
      // One HyperLogLog per bucket of the window (a tenth of it), the older ones deleted.
      const hll = keys.find((k) => k.endsWith(":h"))!;
      expect(await admin.hlen(hll)).toBeLessThanOrEqual(11);
      expect((await store.members("flood", "src", 5000)).length).toBeLessThanOrEqual(maxMembers);
    } finally {
      await store.close();
    }
  });

  it("redis-store/a flood of new keys stays under maxKeys: passed windows first, then the stalest", async () => {
    const diagnostics = new Diagnostics();
    const store = await open({ maxKeys: 64 * 4, diagnostics });
    try {
      for (let b = 0; b < 20; b++) {
        const batch: WindowUpdate[] = [];
        for (let i = 0; i < 100; i++)
          batch.push(
            upd(`src${b * 100 + i}`, T0 + b * 100, { sets: { port: new Map([["80", T0 + b * 100]]) } }),
          );
        await store.observe(batch);
      }
      const size = await store.size();
      expect(size).toBeLessThanOrEqual(64 * 4);
      expect(size).toBeGreaterThan(64 * 2);
      expect(diagnostics.get("scanwatch_store_evictions_total")).toBeGreaterThan(0);
      // An evicted key leaves nothing behind: metas, sets and index entries go together.
      const keys = (await keysUnder(store.keyPrefix)).filter((k) => !k.endsWith("}:i"));
      expect(keys.length).toBe(2 * size);
      // The latest keys are still there, exact.
      const [last] = await store.observe([upd("src1999", T0 + 1900, { count: 0 })]);
      expect(last!.events).toBe(1);
      expect(last!.sets.port!.count).toBe(1);
    } finally {
      await store.close();
    }
  });

  it("redis-store/a flood's batch naming 150,000 keys, most of them evicted, is one observe", async () => {
    // A spoofed flood's batch: every update a new source, each declaring its state, HyperLogLog
    // hash and two sets; past the bound nearly all of them leave again in the same batch.
    const diagnostics = new Diagnostics();
    const store = await open({ maxKeys: 64 * 4, diagnostics });
    try {
      const batch: WindowUpdate[] = [];
      for (let i = 0; i < 40_000; i++) {
        const src = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
        batch.push(
          upd(`src|${src}`, T0 + i, {
            dims: ["port", "host"],
            sets: { port: new Map([["80", T0 + i]]) },
          }),
        );
      }
      const snaps = await store.observe(batch);
      expect(snaps).toHaveLength(40_000);
      expect(snaps[39_999]!.events).toBe(1);
      const size = await store.size();
      expect(size).toBeLessThanOrEqual(64 * 4);
      expect(diagnostics.get("scanwatch_store_evictions_total")).toBeGreaterThan(0);
      // The evicted keys' states and sets are gone too: a state and one set per key kept.
      const left = (await keysUnder(store.keyPrefix)).filter((k) => !k.endsWith("}:i"));
      expect(left.length).toBe(2 * size);
    } finally {
      await store.close();
    }
  });

  it("redis-store/a set or HyperLogLog hash made again after its trim gets the state's TTL", async () => {
    const store = await open({ maxMembers: 3 });
    try {
      const W60 = 60_000;
      const u = (key: string, ts: number, sets?: WindowUpdate["sets"]) =>
        ({
          key,
          windowMs: W60,
          ts,
          firstTs: ts,
          count: sets ? 1 : 0,
          ...(sets ? { sets } : {}),
        }) as WindowUpdate;
      const m = (...xs: string[]) => new Map(xs.map((x) => [x, 0]));
      const at = (t: number, map: Map<string, number>) => new Map([...map.keys()].map((k) => [k, t]));
      // A first overflow, within the bucket of the key's last TTL setting, makes the HLL hash.
      await store.observe([u("A", T0, { user: at(T0, m("a", "b")) })]);
      await store.observe([u("A", T0 + 100, { user: at(T0 + 100, m("c", "d", "e")) })]);
      // A set trimmed empty (Redis deletes it), then a member again within the same bucket.
      await store.observe([u("B", T0, { user: at(T0, m("u1")) })]);
      await store.observe([u("B", T0 + W60, undefined)]);
      await store.observe([u("B", T0 + W60 + 1, { user: at(T0 + W60 + 1, m("u2")) })]);
      const keys = await keysUnder(store.keyPrefix);
      const hll = keys.find((k) => k.endsWith("A:h"))!;
      const zset = keys.find((k) => k.endsWith("B:z:user"))!;
      expect(hll).toBeDefined();
      expect(zset).toBeDefined();
      for (const k of keys) expect(await admin.pttl(k), k).toBeGreaterThan(0);
    } finally {
      await store.close();
    }
  });

  it("redis-store/an eviction spares a key another agent updated between the two calls", async () => {
    // Two agents: the first's batch takes a key out of its shard's index; before its clean-up
    // call runs, the second starts that key over (other sets, a later clock).
    const keyPrefix = uniquePrefix();
    prefixes.push(keyPrefix);
    const one = await RedisStore.open({ url, keyPrefix, maxKeys: 640 });
    const two = await RedisStore.open({ url, keyPrefix, maxKeys: 640 });
    try {
      const shard = shardOf("k0");
      const same: string[] = [];
      for (let i = 0; same.length < 11; i++) if (shardOf(`k${i}`) === shard) same.push(`k${i}`);
      const src = (t: number) => ({ src: new Map([["198.51.100.7", t]]) });
      await one.observe(same.slice(0, 10).map((k) => upd(k, T0, { sets: src(T0) })));
      const victim = same[0]!;
      const later = T0 + 2_000_000;
      const o = one as unknown as { evict: (...a: unknown[]) => Promise<void> };
      const evict = o.evict.bind(one);
      o.evict = async (...a: unknown[]) => {
        await two.observe([upd(victim, later, { sets: { port: new Map([["22", later]]) } })]);
        return evict(...a);
      };
      await one.observe([upd(same[10]!, later, { sets: src(later) })]);
      const [s] = await two.observe([
        upd(victim, later + 1, { sets: { port: new Map([["22", later + 1]]) } }),
      ]);
      expect(s!.events).toBe(2);
      expect(s!.sets.port).toEqual({ count: 1, estimate: false });
    } finally {
      await one.close();
      await two.close();
    }
  });

  it("redis-store/an incident key disappears on its own", async () => {
    const store = await open();
    try {
      await store.escalate("gone", 1, 1, "id-g", T0);
      const [k] = await keysUnder(store.keyPrefix);
      expect(await admin.pttl(k!)).toBeLessThanOrEqual(1 + TTL_SLACK_MS);
      expect(await admin.pttl(k!)).toBeGreaterThan(0);
    } finally {
      await store.close();
    }
  });
});

describe("redis-store/connection", () => {
  it("redis-store/a database the server does not have is an error naming the URL, not database 0", async () => {
    const u = new URL(url);
    u.password = "hunter2";
    u.pathname = "/99"; // a default redis-server has 16
    const err = await RedisStore.open({ url: u.toString() }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: "STORE_BAD_DB" });
    expect((err as Error).message).toMatch(/has no database 99 \(the connection is on database 0\)/);
    expect((err as Error).message).not.toContain("hunter2");
    // An index the server has is taken.
    u.pathname = "/7";
    const ok = await RedisStore.open({ url: u.toString().replace(":hunter2@", "") });
    await ok.close();
  });

  it("redis-store/unreachable URL fails fast naming the URL and the fix", async () => {
    const port = await closedPort();
    const started = Date.now();
    const store = new RedisStore({ url: `redis://:hunter2@127.0.0.1:${port}/3`, connectTimeoutMs: 2_000 });
    const err = await store.connect().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StoreError);
    expect(err).toMatchObject({ code: "STORE_UNREACHABLE" });
    const msg = (err as Error).message;
    expect(msg).toContain(`redis://127.0.0.1:${port}/3`);
    expect(msg).not.toContain("hunter2");
    expect(msg).toMatch(/redis-server/);
    expect(msg).toMatch(/--store memory/);
    // The first call without connect() fails the same way, and again on the next try.
    await expect(store.observe([upd("k", T0)])).rejects.toMatchObject({ code: "STORE_UNREACHABLE" });
    await expect(store.size()).rejects.toMatchObject({ code: "STORE_UNREACHABLE" });
    expect(Date.now() - started).toBeLessThan(5_000);
    await store.close();
  });

  it("redis-store/a batch in flight when the link drops fails at once, and the store reconnects", async () => {
    const proxy = await startProxy(new URL(url));
    const diagnostics = new Diagnostics();
    const reports: string[] = [];
    diagnostics.onReport((m) => reports.push(m.code));
    const keyPrefix = uniquePrefix();
    prefixes.push(keyPrefix);
    const store = await RedisStore.open({ url: proxy.url, keyPrefix, diagnostics });
    try {
      proxy.hold(true); // the server gets the batch, its reply never comes back
      const started = Date.now();
      const inFlight = store.observe([upd("k", T0)]);
      await new Promise((r) => setTimeout(r, 100));
      proxy.cut();
      await expect(inFlight).rejects.toMatchObject({ code: "STORE_UNREACHABLE" });
      expect(Date.now() - started).toBeLessThan(2_000); // not the 10 s command timeout
      await expect(store.observe([upd("k", T0 + 1)])).rejects.toMatchObject({ code: "STORE_UNREACHABLE" });
      proxy.hold(false);
      let after;
      await expect
        .poll(async () => (after = await store.observe([upd("k", T0 + 2)]).catch(() => undefined)), {
          timeout: 5_000,
        })
        .toBeDefined();
      // A failed batch is "unknown", not "not applied": this one reached Redis before the cut.
      // It is not resent (autoResendUnfulfilledCommands: false), so nothing counts twice.
      expect(after![0]!.events).toBe(2);
      expect(reports).toEqual(["STORE_RECONNECTING", "STORE_RECONNECTED"]);
    } finally {
      await store.close();
      await proxy.close();
    }
  });

  it("redis-store/a server that accepts but never answers fails within the timeouts", async () => {
    // E.g. a URL pointing at some other service: the handshake must not wait forever.
    const silent = createServer((sock) => sock.on("data", () => undefined));
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", () => r()));
    const port = (silent.address() as AddressInfo).port;
    const started = Date.now();
    const store = new RedisStore({
      url: `redis://127.0.0.1:${port}/0`,
      connectTimeoutMs: 500,
      commandTimeoutMs: 500,
    });
    try {
      await expect(store.connect()).rejects.toMatchObject({ code: "STORE_UNREACHABLE" });
      expect(Date.now() - started).toBeLessThan(3_000);
    } finally {
      await store.close();
      silent.close();
    }
  });
});

/** A TCP proxy to the test Redis that can withhold replies and cut every connection. */
async function startProxy(target: URL) {
  const sockets = new Set<Socket>();
  let holding = false;
  const server = createServer((client) => {
    const upstream = createConnection({ host: target.hostname, port: Number(target.port || 6379) });
    const end = () => {
      for (const s of [client, upstream]) {
        s.destroy();
        sockets.delete(s);
      }
    };
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("close", end);
      s.on("error", end);
    }
    client.on("data", (d) => upstream.write(d));
    upstream.on("data", (d) => holding || client.write(d));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const proxied = new URL(target.href);
  proxied.hostname = "127.0.0.1";
  proxied.port = String((server.address() as AddressInfo).port);
  return {
    url: proxied.href,
    hold: (on: boolean) => (holding = on),
    cut: () => {
      for (const s of sockets) s.destroy();
    },
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

const clusterUrl = inject("redisClusterUrl");

describeWindowStore("redis cluster", (opts) =>
  RedisStore.open({ url: clusterUrl, keyPrefix: uniquePrefix("cluster"), ...opts }),
);

describe("redis-store/cluster", () => {
  it("redis-store/a batch over many slots and a commit land on a 3-master cluster", async () => {
    const store = await RedisStore.open({ url: clusterUrl, keyPrefix: uniquePrefix("cluster") });
    try {
      const updates: WindowUpdate[] = [];
      for (let i = 0; i < 300; i++) updates.push(upd(`src${i % 100}`, T0 + i, { tags: { n: 1 } }));
      const before = store.roundTrips;
      const out = await store.observe(updates, { key: "agent-1", value: '{"kern.log":123}' });
      // One call per slot touched (keys are spread over 64 shard tags), never one per key.
      expect(store.roundTrips - before).toBeLessThanOrEqual(64);
      expect(out[299]!.events).toBe(3);
      expect(out[299]!.tags.n).toBe(3);
      expect(await store.readCommit("agent-1")).toBe('{"kern.log":123}');
      expect(await store.size()).toBe(100);
    } finally {
      await store.close();
    }
  });
});

describe("redis-store/bad targets", () => {
  it("redis-store/a cluster URL naming a plain server is a clear error", async () => {
    const port = new URL(url).port;
    const err = await RedisStore.open({ url: `redis+cluster://:hunter2@127.0.0.1:${port}` }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: "STORE_NOT_CLUSTER" });
    expect((err as Error).message).toMatch(/is not a Cluster node .*redis:\/\/host:port\/db/);
    expect((err as Error).message).not.toContain("hunter2");
  });

  it("redis-store/a plain URL naming a cluster node is a clear error", async () => {
    const seed = clusterUrl.replace("redis+cluster://", "").split(",")[0]!;
    const err = await RedisStore.open({ url: `redis://${seed}/0` }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: "STORE_IS_CLUSTER" });
    expect((err as Error).message).toMatch(/is a Cluster node: use redis\+cluster:\/\//);
  });

  it.each([
    ["oom", ["--maxmemory", "1mb", "--maxmemory-policy", "noeviction"], "STORE_OOM", /out of memory/],
    ["readonly", "replica", "STORE_READONLY", /read-only replica: point --store at the master/],
  ] as const)(
    "redis-store/a write refused by Redis (%s) names the cause",
    async (reason, args, code, why) => {
      const server = await startPrivateRedis(
        args === "replica" ? ["--replicaof", "127.0.0.1", new URL(url).port] : [...args],
      );
      const diagnostics = new Diagnostics();
      const store = await RedisStore.open({ url: server.url, keyPrefix: uniquePrefix(), diagnostics });
      try {
        const members = new Map<string, number>();
        for (let i = 0; i < 2000; i++) members.set(`member-${i}-${"x".repeat(40)}`, T0);
        let err: unknown;
        for (let i = 0; i < 50 && !err; i++) {
          err = await store.observe([upd(`k${i}`, T0, { sets: { d: members } })]).then(
            () => undefined,
            (e: unknown) => e,
          );
        }
        expect(err).toMatchObject({ code });
        expect((err as Error).message).toMatch(why);
        expect((err as Error).message).toContain(server.url);
        expect(diagnostics.get("scanwatch_store_errors_total", { reason })).toBeGreaterThan(0);
      } finally {
        await store.close();
        await server.stop();
      }
    },
  );
});
