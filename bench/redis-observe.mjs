/**
 * What one window-key update costs inside Redis, on the compiled code:
 *   npm run build && node bench/redis-observe.mjs redis://127.0.0.1:6499/0
 * (a private `redis-server --port 6499 --save "" --appendonly no`; its db is flushed). Sends
 * rounds of one `observe` call with 4,000 keys of one update each, shaped like a tcp-scan key of
 * background traffic (two sets, two tags, one sample), and prints per update the wall time of the
 * call and the script's own time from `INFO commandstats`. Round 0 creates the keys; later rounds
 * update them, as a busy log does.
 */
import { Redis } from "ioredis";
import { RedisStore } from "../dist/detect/redis/redis-store.js";

const url = process.argv[2];
if (!url) throw new Error("usage: node bench/redis-observe.mjs REDIS_URL");
const N = 4000;
const ROUNDS = 6;
const T0 = Date.UTC(2026, 10, 28);
const admin = new Redis(url);
await admin.flushdb();
const store = await RedisStore.open({ url, keyPrefix: "scanwatch-bench:" });

function round(r) {
  const updates = [];
  for (let i = 0; i < N; i++) {
    const t = T0 + r * 1000 + i;
    updates.push({
      key: `tcp-scan|10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
      windowMs: 60_000,
      ts: t,
      firstTs: t,
      count: 1,
      sets: { port: new Map([[String(1000 + r), t]]), host: new Map([["203.0.113.10", t]]) },
      tags: { syn: 1, raw: 1 },
      samples: [`/var/log/kern.log:${r * N + i + 1}`],
    });
  }
  return updates;
}

for (let r = 0; r < ROUNDS; r++) {
  const updates = round(r);
  await admin.config("RESETSTAT");
  const t0 = performance.now();
  await store.observe(updates);
  const wall = ((performance.now() - t0) * 1000) / N;
  const stats = await admin.info("commandstats");
  const lua = [...stats.matchAll(/cmdstat_eval(?:sha)?:calls=\d+,usec=(\d+)/g)].reduce(
    (s, m) => s + Number(m[1]),
    0,
  );
  console.log(
    `round ${r} (${r === 0 ? "new keys" : "existing keys"}): ${wall.toFixed(1)} µs per update for the call, ${(lua / N).toFixed(1)} µs inside the script`,
  );
}
await store.close();
admin.disconnect();
