import { readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { RedisStore } from "../../src/detect/redis/redis-store.js";
import type { Alert } from "../../src/events/alert.js";
import { schemaErrors, validateAlert } from "../support/schemas.js";
import {
  appendLines,
  assertBuilt,
  killAll,
  killRedises,
  removeTempDirs,
  ROOT,
  startKillableRedis,
  tempDir,
  TailProcess,
  TIME_ARGS,
  until,
  waitStateAtEnd,
} from "./support.js";

/*
 * A fleet: `scanwatch tail` processes (the compiled CLI) following different servers' logs
 * (separate files, different syslog host names) and sharing one private redis-server. Input is
 * the captures of fixtures/scenarios/port-sweep (198.51.100.96 probing 22/tcp of 21 hosts,
 * 203.0.113.11-31) and distributed-slices (10 sources, 10 ports each, of 203.0.113.10), each
 * split so that no server alone sees enough to alert.
 */

const SWEEP_SRC = "198.51.100.96";
const SWEEP_KEY = `port-sweep|${SWEEP_SRC}|tcp`;
const PREFIX = "scanwatch:";

function fixture(rel: string): string[] {
  return readFileSync(join(ROOT, "fixtures", "scenarios", rel), "utf8")
    .split("\n")
    .filter((l) => l !== "");
}
const SWEEP = fixture("port-sweep/kern.log");
const SLICES = fixture("distributed-slices/kern.log");

/** The lines of `lines` as logged by `host`. */
const on = (host: string, lines: string[]) =>
  lines.map((l) => l.replace(" victim kernel:", ` ${host} kernel:`));
/** The sweep's lines (SYN and RST) for victims number `from`..`to` (1 = 203.0.113.11). */
const victims = (from: number, to: number) =>
  SWEEP.filter((l) => {
    const n = Number(/ DST=203\.0\.113\.(\d+) /.exec(l)![1]) - 10;
    return n >= from && n <= to;
  });
/** The slices of sources number `which` (0 = 198.51.100.200). */
const slices = (...which: number[]) =>
  SLICES.filter((l) => which.includes(Number(/ SRC=198\.51\.100\.(\d+) /.exec(l)![1]) - 200));

interface Agent {
  p: TailProcess;
  log: string;
  state: string;
}

async function startAgent(label: string, id: string, redisUrl: string): Promise<Agent> {
  const dir = await tempDir(label);
  const log = join(dir, "kern.log");
  const state = join(dir, "state.json");
  await writeFile(log, "");
  const p = await TailProcess.start(
    [
      "tail",
      "--format",
      "ndjson",
      "--metrics",
      "127.0.0.1:0",
      "--state",
      state,
      "--store",
      redisUrl,
      "--key-prefix",
      PREFIX,
      "--agent-id",
      id,
      "--from-start",
      ...TIME_ARGS,
      log,
    ],
    dir,
  ).ready(15_000);
  return { p, log, state };
}

/** Appends and waits until the agent has processed and saved everything (its batch is exchanged). */
async function feed(a: Agent, lines: string[], what: string): Promise<void> {
  await appendLines(a.log, lines, 20);
  await waitStateAtEnd(a.state, [a.log], what, 15_000, () => a.p.describe());
}

const all = (...agents: Agent[]) => agents.flatMap((a) => a.p.alerts.map((x) => x.alert));
const news = (alerts: Alert[], type: string) => alerts.filter((a) => a.type === type && a.status === "new");

/** Measurements printed at the end, for the README. */
const measured: Record<string, unknown> = {};

beforeAll(() => assertBuilt());
afterEach(async () => {
  await killAll();
  await killRedises();
});
afterAll(async () => {
  await removeTempDirs();
  console.log(`e2e fleet measurements: ${JSON.stringify(measured, null, 1)}`);
});

describe("scanwatch tail fleet (processes sharing one Redis)", () => {
  it(
    "fleet/a sweep and a distributed scan split over two servers alert once each",
    { timeout: 90_000 },
    async () => {
      const redis = await startKillableRedis(await tempDir("fleet-redis"));
      const a = await startAgent("fleet-a", "agent-a", redis.url);
      const b = await startAgent("fleet-b", "agent-b", redis.url);
      expect(a.p.stderr).toMatch(new RegExp(`agent agent-a on ${hostname()}, store redis`));

      // 9 hosts each: below port-sweep's 10 on either server, 18 for the fleet.
      await feed(a, on("fw-a", victims(1, 9)), "A's half of the sweep");
      expect(all(a)).toEqual([]);
      await feed(b, on("fw-b", victims(10, 18)), "B's half of the sweep");
      // 3 sources of 10 ports each, counted from each source's 5th port (6 of its 10): 18 ports
      // on either server, below distributed-scan's 30; 36 from 6 sources for the fleet.
      await feed(a, on("fw-a", slices(0, 2, 4)), "A's slices");
      await feed(b, on("fw-b", slices(1, 3, 5)), "B's slices");
      // The rest of both attacks, after each was raised: steps below the next severity.
      await feed(a, on("fw-a", [...victims(19, 21), ...slices(6, 8)]), "A's rest");
      await feed(b, on("fw-b", slices(7, 9)), "B's rest");

      const alerts = all(a, b);
      for (const al of alerts) expect(validateAlert(al), schemaErrors(validateAlert)).toBe(true);
      const sweep = news(alerts, "port-sweep");
      expect(sweep).toHaveLength(1);
      expect(sweep[0]).toMatchObject({
        src: SWEEP_SRC,
        ports: [22],
        distinctHosts: 18, // the fleet's window after B's batch: both halves
        agent: { id: "agent-b", host: hostname() },
      });
      const dist = news(alerts, "distributed-scan");
      expect(dist).toHaveLength(1);
      expect(dist[0]).toMatchObject({ dst: "203.0.113.10", agent: { id: "agent-b" } });
      // The fleet's window when B's verdict was reached: B's slices are appended 20 lines at a
      // time, so its tail reads them in one batch (36 ports, 6 sources) or two (the verdict
      // lands with the batch that reaches 30: 30 ports, 5 sources). Either way more than one
      // server alone could count (18 ports, 3 sources), and never more than the fleet's 36.
      expect(dist[0]!.distinctPorts).toBeGreaterThanOrEqual(30);
      expect(dist[0]!.distinctPorts).toBeLessThanOrEqual(36);
      expect(dist[0]!.distinctSources).toBeGreaterThanOrEqual(5);
      expect(dist[0]!.distinctSources).toBeLessThanOrEqual(6);
      expect(alerts.filter((x) => x.status === "new").map((x) => x.type)).toEqual([
        "port-sweep",
        "distributed-scan",
      ]);
      expect(alerts.filter((x) => x.type === "half-open-scan")).toEqual([]);

      // The identity is in the state file and in /status.
      expect(JSON.parse(readFileSync(a.state, "utf8"))).toMatchObject({
        agent: { id: "agent-a", host: hostname() },
      });
      const status = JSON.parse((await a.p.fetchText("/status")).body) as { agent: unknown };
      expect(status.agent).toEqual({ id: "agent-a", host: hostname() });
    },
  );

  it(
    "fleet/Redis killed mid-sweep: the outage's counts are written back and the sweep alerts once",
    { timeout: 120_000 },
    async () => {
      const redis = await startKillableRedis(await tempDir("outage-redis"), { persist: true });
      const a = await startAgent("outage-a", "agent-a", redis.url);
      await feed(a, on("fw-a", victims(1, 6)), "6 hosts, counted in Redis");
      expect(all(a)).toEqual([]);

      await redis.kill();
      await appendLines(a.log, on("fw-a", victims(7, 15)), 20);
      const local = await a.p.waitAlert(
        (x) => x.type === "port-sweep" && x.status === "new",
        "the sweep alerted in memory while Redis is down",
        15_000,
      );
      expect(local.alert.evidence.some((e) => /Redis unreachable/.test(e))).toBe(true);
      await waitStateAtEnd(a.state, [a.log], "the outage's lines", 15_000, () => a.p.describe());
      expect(await a.p.metric("scanwatch_store_deferred_updates")).toBeGreaterThan(0);

      await redis.restart(); // same port; the append-only file brings back the 6 hosts
      const t0 = Date.now();
      const m = await a.p.waitStderr(
        /wrote back (\d+) window update\(s\) and (\d+) incident\(s\)/,
        "the write-back once Redis answers",
        20_000,
      );
      measured.recoveryMs = Date.now() - t0;
      measured.writtenBack = { updates: Number(m[1]), incidents: Number(m[2]) };
      expect(Number(m[2])).toBe(1);
      expect(await a.p.metric("scanwatch_store_deferred_dropped_total")).toBe(0);

      // Redis's window of the sweep holds every host, the outage's included.
      const direct = await RedisStore.open({ url: redis.url, keyPrefix: PREFIX });
      try {
        expect(await direct.members(SWEEP_KEY, "host", 100)).toHaveLength(15);

        // A second server joins; both see a few more hosts of the same sweep.
        const b = await startAgent("outage-b", "agent-b", redis.url);
        await feed(a, on("fw-a", victims(16, 17)), "A after the outage");
        await feed(b, on("fw-b", victims(18, 19)), "B after the outage");
        expect(await direct.members(SWEEP_KEY, "host", 100)).toHaveLength(19);
        const alerts = all(a, b);
        for (const al of alerts) expect(validateAlert(al), schemaErrors(validateAlert)).toBe(true);
        // Raised once, in the outage; B's fleet view is over the threshold but the incident is known.
        expect(news(alerts, "port-sweep")).toHaveLength(1);
        expect(b.p.alerts).toEqual([]);
        await until(async () => (await a.p.metric("scanwatch_store_fallback")) === 0, "fallback gauge 0");
      } finally {
        await direct.close();
      }
    },
  );
});
