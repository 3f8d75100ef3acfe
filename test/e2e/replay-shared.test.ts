import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRedis, type TestRedis } from "../redis-server.js";

const ROOT = join(import.meta.dirname, "..", "..");
const BIN = join(ROOT, "bin", "scanwatch");
const MIXED = ["fixtures/scenarios/mixed/kern.log", "fixtures/scenarios/mixed/auth.log"];

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

/**
 * An archive analyzed twice into one shared store: the second run's verdicts were alerted by
 * the first, so it raises none, and its summary says why rather than "no attackers".
 */
describe("e2e/replay into a shared store", () => {
  it("e2e/a second run over the same logs says its verdicts were already alerted", () => {
    const prefix = `replay-${process.pid}-${Date.now()}:`;
    // The same archive into the same store and prefix; `output` picks the alert stream or the summary.
    const analyze = (...output: string[]) =>
      spawnSync(
        process.execPath,
        [BIN, "analyze", "--tz", "UTC", "--store", redis.url, "--key-prefix", prefix, ...output, ...MIXED],
        { cwd: ROOT, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } },
      );
    const first = analyze("--format", "ndjson");
    expect(first.status, first.stderr).toBe(0);
    const alerts = first.stdout.trim().split("\n").filter(Boolean).length;
    expect(alerts).toBeGreaterThan(0);
    expect(first.stderr).not.toMatch(/already alerted/);
    const second = analyze("--format", "ndjson");
    expect(second.status, second.stderr).toBe(0);
    expect(second.stdout.trim()).toBe("");
    const json = analyze("--summary", "json");
    const s = JSON.parse(json.stdout) as { run: { alreadyAlerted?: number; alerts: number } };
    expect(s.run.alerts).toBe(0);
    expect(s.run.alreadyAlerted).toBeGreaterThan(0);
    expect(second.stderr.replace(/\n\s+/g, " ")).toMatch(
      /\d+ verdicts? (was|were) already alerted in the shared store \(by another agent, or an earlier run/,
    );
  }, 60_000);
});
