import { copyFileSync, statSync } from "node:fs";
import { appendFile, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { RedisStore } from "../../src/detect/redis/redis-store.js";
import { parsePositions, positionsText } from "../../src/sources/tail-state.js";
import {
  assertBuilt,
  killAll,
  killRedises,
  removeTempDirs,
  SCAN_SRC,
  startKillableRedis,
  SYN_SCAN,
  tempDir,
  TailProcess,
  TIME_ARGS,
  until,
  waitStateAtEnd,
} from "./support.js";

/*
 * An agent on a shared Redis killed with SIGKILL in the middle of a scan, then started again:
 * Redis holds, in the same script call as each batch's window updates, the positions after that
 * batch, and the restarted agent resumes from them. The state file on disk is saved after the
 * batch's alerts went out (every 250 ms), so it trails Redis by up to a batch or two; the tests
 * make it trail for sure (a copy from earlier put back after the kill), which is what a kill
 * between the two writes leaves. Resuming from it would read those lines again and count them
 * in Redis a second time.
 *
 * Input: the SYNs of fixtures/scenarios/syn-scan (198.51.100.126 probing 203.0.113.10, one port
 * each). half-open-scan raises `new` at 15 ports: 10 before the kill stay below it.
 */

const PREFIX = "scanwatch:";
const SYNS = SYN_SCAN.filter((l) => / SYN /.test(l) && !/ ACK /.test(l) && l.includes(`SRC=${SCAN_SRC} `));

/**
 * The SYNs of SYNS up to the one at which SYNS[from..] holds `ports` distinct ports: what a
 * restarted agent, whose own window starts at `from`, has seen when it raises that step.
 */
function synsTo(ports: number, from = 0): number {
  const seen = new Set<string>();
  for (let i = from; i < SYNS.length; i++) {
    seen.add(/ DPT=(\d+) /.exec(SYNS[i]!)![1]!);
    if (seen.size === ports) return i + 1;
  }
  throw new Error(`the capture has fewer than ${ports} ports`);
}

beforeAll(() => assertBuilt());
afterEach(async () => {
  await killAll();
  await killRedises();
});
afterAll(() => removeTempDirs());

async function startAgent(dir: string, store: string, logs = [join(dir, "kern.log")]): Promise<TailProcess> {
  return TailProcess.start(
    [
      "tail",
      "--format",
      "ndjson",
      "--metrics",
      "127.0.0.1:0",
      "--state",
      join(dir, "state.json"),
      "--store",
      store,
      "--key-prefix",
      PREFIX,
      "--agent-id",
      "agent-k",
      "--from-start",
      ...TIME_ARGS,
      ...logs,
    ],
    dir,
  ).ready(15_000);
}

/** The scan's events in Redis's tcp-scan window now (an update of zero events reads it). */
async function scanEventsIn(store: RedisStore): Promise<number> {
  const ms = Date.UTC(2026, 10, 28, 15, 54, 11);
  const [win] = await store.observe([
    { key: `tcp-scan|${SCAN_SRC}`, windowMs: 60_000, ts: ms, firstTs: ms, count: 0 },
  ]);
  return win!.events;
}

/** Resolves when the positions committed to Redis have `log` at its current end. */
function redisAtEnd(store: RedisStore, log: string): Promise<unknown> {
  return until(
    async () => {
      const text = await store.readCommit("tail:agent-k");
      if (text === undefined) return undefined;
      const parsed = parsePositions(text);
      if (typeof parsed === "string") throw new Error(`bad committed positions: ${parsed}`);
      if (parsed.agent?.host !== hostname()) return undefined; // this agent's own commit
      const e = parsed.files.get(resolve(log));
      return e && e.offset === statSync(log).size ? e : undefined;
    },
    "the positions in Redis at the end of the log",
    15_000,
  );
}

describe("scanwatch tail on Redis, killed and restarted", () => {
  it(
    "fleet-restart/kill -9 mid-scan: the restarted agent counts no line twice",
    { timeout: 90_000 },
    async () => {
      expect(synsTo(100, 10)).toBeLessThan(SYNS.length);
      const dir = await tempDir("kill9");
      const log = join(dir, "kern.log");
      const state = join(dir, "state.json");
      await writeFile(log, "");
      const redis = await startKillableRedis(await tempDir("kill9-redis"));
      const direct = await RedisStore.open({ url: redis.url, keyPrefix: PREFIX });
      try {
        const first = await startAgent(dir, redis.url);
        await appendFile(log, SYNS.slice(0, 4).join("\n") + "\n");
        await waitStateAtEnd(state, [log], "the first 4 SYNs saved", 15_000, () => first.describe());
        copyFileSync(state, `${state}.earlier`);
        await appendFile(log, SYNS.slice(4, 10).join("\n") + "\n");
        await redisAtEnd(direct, log);
        first.signal("SIGKILL");
        await first.waitExit(5000);
        expect(first.alerts).toEqual([]);
        // What a kill between Redis's write and the state file's leaves: a state 6 lines behind.
        copyFileSync(`${state}.earlier`, state);

        const second = await startAgent(dir, redis.url);
        expect(second.stderr).toMatch(/resuming 1 file\(s\) from the positions committed to the store/);
        await appendFile(log, SYNS.slice(10).join("\n") + "\n"); // one write: one batch
        const hit = await second.waitAlert(
          (a) => a.type === "half-open-scan" && a.status === "update",
          "the scan's 100-port step after the restart",
          15_000,
        );
        // Raised when the agent's own window (from line 11) holds 100 ports; it counts every
        // SYN up to that one, each once: the 10 before the kill come from the shared window.
        expect(hit.alert).toMatchObject({ src: SCAN_SRC, distinctPorts: 100, events: synsTo(100, 10) });
        expect(hit.alert.evidence.join(" ")).toMatch(
          /10 of the \d+ events were counted in the shared window/,
        );
        await redisAtEnd(direct, log);
        // Redis's window of the scan holds every SYN written, once (a zero update reads it).
        expect(await scanEventsIn(direct)).toBe(SYNS.length);
      } finally {
        await direct.close();
      }
    },
  );

  it(
    "fleet-restart/positions another host committed under the same agent id are not used",
    { timeout: 60_000 },
    async () => {
      const dir = await tempDir("clone");
      const log = join(dir, "kern.log");
      await writeFile(log, SYNS.slice(0, 5).join("\n") + "\n");
      const redis = await startKillableRedis(await tempDir("clone-redis"));
      const direct = await RedisStore.open({ url: redis.url, keyPrefix: PREFIX });
      try {
        // A machine cloned with its state file: same agent id, its own files, another host.
        const st = statSync(log, { bigint: true });
        const theirs = positionsText(
          {
            [resolve(log)]: {
              dev: String(st.dev),
              ino: String(st.ino),
              firstLineHash: "0".repeat(64),
              offset: Number(st.size),
              line: 5,
            },
          },
          { id: "agent-k", host: "cloned-elsewhere" },
        );
        await direct.observe([], { key: "tail:agent-k", value: theirs });
        const p = await startAgent(dir, redis.url);
        expect(p.stderr).toMatch(/committed on cloned-elsewhere, not on .*: not used/);
        // Read from the start (--from-start, no state file): the 5 SYNs are counted.
        await redisAtEnd(direct, log);
        expect(await scanEventsIn(direct)).toBe(5);
      } finally {
        await direct.close();
      }
    },
  );

  it(
    "fleet-restart/positions in Redis older than the state file are not used (a run on memory between)",
    { timeout: 60_000 },
    async () => {
      const dir = await tempDir("stale");
      const log = join(dir, "kern.log");
      const state = join(dir, "state.json");
      await writeFile(log, "");
      const redis = await startKillableRedis(await tempDir("stale-redis"));
      const direct = await RedisStore.open({ url: redis.url, keyPrefix: PREFIX });
      try {
        const onRedis = await startAgent(dir, redis.url);
        await appendFile(log, SYNS.slice(0, 4).join("\n") + "\n");
        await redisAtEnd(direct, log);
        await onRedis.terminate();
        // The same agent on the embedded store reads the rest of the scan and alerts on it.
        const onMemory = await startAgent(dir, "memory");
        await appendFile(log, SYNS.slice(4).join("\n") + "\n");
        await onMemory.waitAlert(
          (a) => a.type === "half-open-scan",
          "the scan on the embedded store",
          15_000,
        );
        await waitStateAtEnd(state, [log], "the memory run's positions saved", 15_000);
        await onMemory.terminate();
        // Back on Redis: its positions (4 lines in) are older than the state file's (the end).
        const again = await startAgent(dir, redis.url);
        expect(again.stderr).toMatch(/older than .*state\.json's: resuming from/);
        await appendFile(log, SYNS.slice(0, 1).join("\n") + "\n");
        await redisAtEnd(direct, log);
        await again.terminate();
        expect(again.alerts).toEqual([]); // nothing read again, nothing alerted again
        expect(await scanEventsIn(direct)).toBe(5); // the 4 of the first run and the 1 of the last
      } finally {
        await direct.close();
      }
    },
  );

  it(
    "fleet-restart/copies in ufw.log of kern.log lines read before a restart are still copies",
    { timeout: 60_000 },
    async () => {
      const dir = await tempDir("ufw-copies");
      const kern = join(dir, "kern.log");
      const ufw = join(dir, "ufw.log");
      await writeFile(kern, "");
      await writeFile(ufw, "");
      const redis = await startKillableRedis(await tempDir("ufw-redis"));
      const direct = await RedisStore.open({ url: redis.url, keyPrefix: PREFIX });
      try {
        // UFW's packets go to both files; rsyslog wrote kern.log's before the agent stopped.
        const first = await startAgent(dir, redis.url, [kern, ufw]);
        await appendFile(kern, SYNS.join("\n") + "\n");
        await redisAtEnd(direct, kern);
        first.signal("SIGKILL");
        await first.waitExit(5000);
        await appendFile(ufw, SYNS.join("\n") + "\n");
        const second = await startAgent(dir, redis.url, [kern, ufw]);
        await redisAtEnd(direct, ufw);
        await second.terminate();
        expect(await scanEventsIn(direct)).toBe(SYNS.length); // each packet once, not once per file
      } finally {
        await direct.close();
      }
    },
  );
});
