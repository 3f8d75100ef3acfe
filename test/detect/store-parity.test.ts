import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, inject, it } from "vitest";
import { Diagnostics } from "../../src/diagnostics.js";
import { Engine } from "../../src/detect/engine.js";
import { MemoryStore } from "../../src/detect/memory-store.js";
import { RedisStore } from "../../src/detect/redis/redis-store.js";
import type { WindowStore } from "../../src/detect/window-store.js";
import type { Alert } from "../../src/events/alert.js";
import { ParseStats } from "../../src/parsers/parse-stats.js";
import { batchSource, runPipeline } from "../../src/pipeline.js";
import { loadRules, SHIPPED_RULES_DIR } from "../../src/rules/load-rules.js";
import { openBatchFiles } from "../../src/sources/file-batch.js";
import { uniquePrefix } from "../redis-server.js";

const DIR = fileURLToPath(new URL("../../fixtures/scenarios/", import.meta.url));
const url = inject("redisUrl");
const clusterUrl = inject("redisClusterUrl");

async function analyze(scenario: string, store: WindowStore, batchEvents?: number): Promise<Alert[]> {
  const paths = ["kern.log", "kern.log.gz", "auth.log", "auth.log.gz"]
    .map((f) => DIR + scenario + "/" + f)
    .filter((p) => existsSync(p));
  const files = await openBatchFiles(paths);
  const diagnostics = new Diagnostics();
  const engine = new Engine(await loadRules(SHIPPED_RULES_DIR), store, { diagnostics });
  const alerts: Alert[] = [];
  try {
    await runPipeline({
      source: batchSource(files, { zone: "UTC", year: 2026, batchEvents }, new ParseStats(), diagnostics),
      engine,
      sinks: [],
      onAlerts: (a) => alerts.push(...a),
    });
  } finally {
    await store.close();
  }
  return alerts;
}

/**
 * `analyze` with the memory store and with Redis gives the same alerts on the same input: same
 * ids, types, counts, samples and evidence. Scenarios whose counts stay below the exact bound
 * (estimates come from different hash functions and may differ slightly).
 */
describe("store parity", () => {
  it.each([
    "mixed",
    "syn-scan",
    "connect-scan",
    "masscan",
    "ssh-bruteforce",
    "ddos-botnet",
    // A target's second ddos key (sources that scan on their own), through Redis and a Cluster.
    "botnet-random-ports",
    "port-sweep",
    "distributed-slices",
    "ssh-account-spray",
  ])(
    "store-parity/%s gives identical alerts on memory, redis (also in batches of 64) and a redis cluster",
    async (scenario) => {
      const mem = await analyze(scenario, new MemoryStore());
      const red = await analyze(scenario, await RedisStore.open({ url, keyPrefix: uniquePrefix("parity") }));
      const clu = await analyze(
        scenario,
        await RedisStore.open({ url: clusterUrl, keyPrefix: uniquePrefix("parity") }),
      );
      // Small batches: many exchanges, each batch detected while the store answers the last one.
      const small = await analyze(
        scenario,
        await RedisStore.open({ url, keyPrefix: uniquePrefix("parity") }),
        64,
      );
      expect(mem.length).toBeGreaterThan(0);
      expect(red).toEqual(mem);
      expect(clu).toEqual(mem);
      expect(small).toEqual(mem);
    },
  );
});
