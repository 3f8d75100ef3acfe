import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Summary } from "../../src/events/summary.js";
import { ROOT } from "../report/support.js";
import { schemaErrors, validateSummary } from "../support/schemas.js";

const BIN = join(ROOT, "bin", "scanwatch");
const KERN = readFileSync(join(ROOT, "fixtures/scenarios/mixed/kern.log"), "utf8");

/**
 * Ctrl-C during analyze: what was read is summarized, marked partial, exit 130. The log comes
 * on stdin and never ends, so only the interrupt can end the run; lines keep coming after it,
 * as from a big file, until the process exits.
 */
describe("cli/analyze interrupted", () => {
  it("cli/SIGINT finishes the batch in hand, prints a partial summary and exits 130", async () => {
    const child = spawn(process.execPath, [BIN, "analyze", "--tz", "UTC", "--summary", "json", "-"], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: "1" },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.stdin.on("error", () => undefined); // the child may be gone before a last write
    const lines = KERN.trimEnd().split("\n");
    child.stdin.write(lines.join("\n") + "\n");
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    let done = false;
    void exited.then(() => (done = true));
    // Keep the stream going, as a big file would, until the process is gone.
    let i = 0;
    const feeder = setInterval(() => {
      if (!done) child.stdin.write(lines[i++ % lines.length] + "\n");
    }, 20);
    await new Promise((r) => setTimeout(r, 1500));
    child.kill("SIGINT");
    const code = await exited;
    clearInterval(feeder);
    expect(code).toBe(130);
    expect(stderr).toMatch(/scanwatch: interrupted; finishing the batch in hand/);
    const s = JSON.parse(stdout) as Summary;
    expect(validateSummary(s), schemaErrors(validateSummary)).toBe(true);
    expect(s.run.interrupted).toBe(true);
    expect(s.run.lines).toBeGreaterThanOrEqual(lines.length);
    expect(s.attackers.length).toBeGreaterThan(0);
  }, 30_000);
});
