import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Alert } from "../../src/events/alert.js";
import {
  appendLines,
  assertBuilt,
  CLI,
  killAll,
  removeTempDirs,
  sleep,
  ROOT,
  TailProcess,
  tempDir,
  TIME_ARGS,
  until,
  waitStateAtEnd,
} from "./support.js";

/*
 * Replay = live, end to end: `scanwatch analyze FILE` and `scanwatch tail FILE` (the file
 * growing in small appends while tail follows it, so tail sees many small batches where analyze
 * sees few big ones) print the same alerts, field for field.
 */

beforeAll(() => assertBuilt());
afterEach(async () => killAll());
afterAll(async () => removeTempDirs());

/** The mixed capture's kern.log and auth.log as one syslog file, in time order (as /var/log/syslog holds them). */
function combinedMixed(): string[] {
  const read = (f: string) =>
    readFileSync(join(ROOT, "fixtures/scenarios/mixed", f), "utf8")
      .split("\n")
      .filter(Boolean);
  const lines = [...read("kern.log"), ...read("auth.log")];
  // Same day: "Nov 28 16:03:17" sorts by its text; sort is stable, so each file keeps its order.
  return lines
    .map((l, i) => ({ l, i }))
    .sort((a, b) =>
      a.l.slice(0, 15) < b.l.slice(0, 15) ? -1 : a.l.slice(0, 15) > b.l.slice(0, 15) ? 1 : a.i - b.i,
    )
    .map((x) => x.l);
}

function withoutRedis(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.REDIS_URL;
  return env;
}

describe("replay = live (processes)", () => {
  it("replay/analyze and tail print the same alerts for the same log", { timeout: 60_000 }, async () => {
    const dir = await tempDir("replay");
    const lines = combinedMixed();
    const full = join(dir, "full.log");
    await writeFile(full, lines.join("\n") + "\n");
    const r = spawnSync(
      process.execPath,
      [CLI, "analyze", "--format", "ndjson", "--quiet", ...TIME_ARGS, full],
      {
        encoding: "utf8",
        env: withoutRedis(),
      },
    );
    expect(r.status, r.stderr).toBe(0);
    const batch = r.stdout
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Alert);
    expect(batch.length).toBeGreaterThanOrEqual(4);

    const live = join(dir, "syslog");
    await writeFile(live, "");
    const state = join(dir, "state.json");
    const p = await TailProcess.start(
      [
        "tail",
        "--format",
        "ndjson",
        "--from-start",
        "--metrics",
        "127.0.0.1:0",
        "--state",
        state,
        ...TIME_ARGS,
        live,
      ],
      dir,
    ).ready();
    // Small, uneven appends: tail reads many small batches.
    for (let i = 0; i < lines.length;) {
      const n = 1 + ((i * 7919) % 97);
      await appendLines(live, lines.slice(i, i + n), n);
      i += n;
      await sleep(15);
    }
    await waitStateAtEnd(state, [live], "all read", 20_000, () => p.describe());
    await until(
      () => p.alerts.length >= batch.length || undefined,
      "as many alerts as analyze",
      10_000,
      () => p.describe(),
    );
    // The file names differ (full.log / syslog): compare with the live file's name put back.
    const tailed = p.alerts.map((x) => JSON.parse(JSON.stringify(x.alert).replaceAll(live, full)) as Alert);
    // Only tail is an agent: its alerts say which one, the rest is field for field the same.
    for (const a of tailed) expect(a.agent).toMatchObject({ id: expect.stringMatching(/^[0-9a-f]{12}$/) });
    expect(tailed.map(({ agent: _agent, ...rest }) => rest)).toEqual(batch);
  });
});
