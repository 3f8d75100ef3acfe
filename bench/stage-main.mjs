/**
 * Runs one bench stage in its own process, on the compiled code in dist/ (plain node, no
 * TypeScript loader), so its peak RSS is its own:
 *   node bench/stage-main.mjs <floor|floor-split2|parse|analyze|analyze-redis> FILE [REDIS_URL]
 *   node bench/stage-main.mjs <parse-workers|analyze-workers> FILE N
 * (`parse` and `analyze` parse in the main thread, as `analyze --workers 1`; the -workers stages
 * in N worker threads.) Prints one JSON line: the stage result plus maxRssMB. BENCH_MAX_KEYS and
 * BENCH_MAX_MEMBERS set the engine's maxKeys and maxMembers (default: the engine's own).
 */
import { createReadStream } from "node:fs";
import split2 from "split2";
import { Diagnostics } from "../dist/diagnostics.js";
import { Engine } from "../dist/detect/engine.js";
import { MemoryStore } from "../dist/detect/memory-store.js";
import { ParseStats } from "../dist/parsers/parse-stats.js";
import { BATCH_EVENTS, batchSource, parseFiles, runPipeline, SHARED_BATCH_EVENTS } from "../dist/pipeline.js";
import { loadRules, SHIPPED_RULES_DIR } from "../dist/rules/load-rules.js";
import { openBatchFiles, readLines } from "../dist/sources/file-batch.js";

const [stage, path, arg] = process.argv.slice(2);
const redisUrl = arg;
const pool = stage.endsWith("-workers") ? { workers: Number(arg) } : undefined;
const [file] = await openBatchFiles([path]);
const t0 = performance.now();
let r;
if (stage === "floor-split2") {
  // The floor: the same file read and split into lines with split2, nothing parsed.
  let lines = 0;
  await new Promise((resolve, reject) =>
    createReadStream(path)
      .pipe(split2())
      .on("data", () => lines++)
      .on("end", resolve)
      .on("error", reject),
  );
  r = { lines, events: 0 };
} else if (stage === "floor") {
  // scanwatch's own splitter: the same file read and split into lines (with byte positions).
  let lines = 0;
  for await (const batch of readLines(file, new Diagnostics())) lines += batch.length;
  r = { lines, events: 0 };
} else if (stage === "parse" || stage === "parse-workers") {
  // `scanwatch parse` without printing: events counted.
  const stats = new ParseStats();
  let events = 0;
  for await (const batch of parseFiles([file], { zone: "UTC", year: 2026 }, stats, new Diagnostics(), pool)) events += batch.length;
  r = { lines: stats.lines, events };
} else {
  // `scanwatch analyze` without printing, on the memory store or a Redis store.
  let store = new MemoryStore();
  let admin;
  let before;
  if (stage === "analyze-redis") {
    const { RedisStore } = await import("../dist/detect/redis/redis-store.js");
    store = await RedisStore.open({ url: redisUrl, keyPrefix: `scanwatch-bench:${process.pid}:` });
    // The server's own count of commands, read before and after on a separate connection.
    const { Redis } = await import("ioredis");
    admin = new Redis(redisUrl);
    await admin.flushdb();
    await admin.config("RESETSTAT");
    before = await serverStats(admin);
  }
  const stats = new ParseStats();
  const diagnostics = new Diagnostics();
  const maxKeys = process.env.BENCH_MAX_KEYS ? Number(process.env.BENCH_MAX_KEYS) : undefined;
  const maxMembers = process.env.BENCH_MAX_MEMBERS ? Number(process.env.BENCH_MAX_MEMBERS) : undefined;
  const engine = new Engine(await loadRules(SHIPPED_RULES_DIR), store, { diagnostics, maxKeys, maxMembers });
  let events = 0;
  let alerts = 0;
  const start = performance.now();
  await runPipeline({
    source: batchSource(
      [file],
      { zone: "UTC", year: 2026, batchEvents: store.shared ? SHARED_BATCH_EVENTS : BATCH_EVENTS },
      stats,
      diagnostics,
      pool,
    ),
    engine,
    sinks: [],
    onEvents: (ev) => (events += ev.length),
    onAlerts: (a) => (alerts += a.length),
  });
  r = { lines: stats.lines, events, alerts, keys: engine.keyCount, seconds: (performance.now() - start) / 1000 };
  if (store.roundTrips !== undefined) {
    r.roundTrips = store.roundTrips;
    r.storeKeys = await store.size(); // logical window keys tracked in Redis
  }
  await store.close();
  if (admin) {
    const after = await serverStats(admin);
    r.redisCommands = after.commands - before.commands - 1; // less the INFO that measured
    r.redisScriptCalls = after.scripts - before.scripts;
    r.redisKeys = after.keys;
    r.redisUsedMemoryMB = Math.round(after.usedMemory / 1e5) / 10;
    r.redisBytesPerKey = after.keys ? Math.round((after.usedMemory - before.usedMemory) / after.keys) : 0;
    r.redisBytesPerWindowKey = r.storeKeys ? Math.round((after.usedMemory - before.usedMemory) / r.storeKeys) : 0;
    await admin.quit();
  }
}
r.seconds ??= (performance.now() - t0) / 1000;
process.stdout.write(JSON.stringify({ ...r, maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024) }) + "\n");

/** Commands and script calls the server ran (INFO commandstats), its keys and used_memory. */
async function serverStats(admin) {
  const stats = await admin.info("commandstats");
  let commands = 0;
  let scripts = 0;
  for (const m of stats.matchAll(/cmdstat_([a-z|]+):calls=(\d+)/g)) {
    commands += Number(m[2]);
    if (m[1] === "evalsha" || m[1] === "eval") scripts += Number(m[2]);
    if (process.env.BENCH_STATS) process.stderr.write(`${m[0]} ${/usec=(\d+)/.exec(stats.slice(m.index))?.[1]}\n`);
  }
  const mem = await admin.info("memory");
  return {
    commands,
    scripts,
    keys: await admin.dbsize(),
    usedMemory: Number(/used_memory:(\d+)/.exec(mem)?.[1] ?? 0),
  };
}
