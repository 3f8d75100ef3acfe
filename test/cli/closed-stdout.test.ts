import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CLI, ROOT, SYN_SCAN, TIME_ARGS } from "../e2e/support.js";

/*
 * `scanwatch … | head -1`: the reader of stdout goes away. Every command then ends quietly with
 * status 0 (as cat and grep do), and tail saves its positions on the way out.
 */

const dir = mkdtempSync(join(tmpdir(), "scanwatch-epipe-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const MIXED = ["fixtures/scenarios/mixed/kern.log", "fixtures/scenarios/mixed/auth.log"];

/** Runs the CLI with a stdout pipe whose reading end is closed before anything is written. */
function runClosed(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: "1", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout.destroy();
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
    child.on("exit", (code) => resolve({ code, stderr }));
  });
}

describe("closed stdout", () => {
  it("epipe/parse FILE | head -1 exits 0 without a trace", () => {
    const r = spawnSync(
      "bash",
      [
        "-c",
        `"${process.execPath}" "${CLI}" parse --tz UTC ${MIXED[0]} | head -1 >/dev/null; echo "status=\${PIPESTATUS[0]}"`,
      ],
      { cwd: ROOT, encoding: "utf8" },
    );
    expect(r.stdout.trim()).toBe("status=0");
    expect(r.stderr).not.toMatch(/EPIPE|Error/);
  });

  it.each([
    ["parse", ["parse", "--tz", "UTC", "--format", "ndjson", ...MIXED]],
    ["parse --explain", ["parse", "--explain", "--tz", "UTC", ...MIXED]],
    ["analyze", ["analyze", "--tz", "UTC", "--format", "ndjson", "--quiet", ...MIXED]],
    ["rules check", ["rules", "check"]],
  ])("epipe/%s ends quietly with 0", async (_name, args) => {
    const r = await runClosed(args);
    expect(r.code).toBe(0);
    expect(r.stderr).not.toMatch(/EPIPE|Error|internal/);
  });

  it("epipe/tail stops cleanly and saves its positions", async () => {
    const log = join(dir, "kern.log");
    const state = join(dir, "state.json");
    writeFileSync(log, SYN_SCAN.join("\n") + "\n");
    const r = await runClosed(
      ["tail", "--from-start", "--format", "ndjson", "--state", state, ...TIME_ARGS, log],
      {
        STATE_DIRECTORY: dir,
      },
    );
    expect(r.code).toBe(0);
    expect(r.stderr).not.toMatch(/EPIPE|Error/);
    const saved = (JSON.parse(readFileSync(state, "utf8")) as { files: Record<string, { line: number }> })
      .files;
    expect(saved[log]?.line).toBeGreaterThan(0);
  });
});
