import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Diagnostics } from "../../src/diagnostics.js";
import { Engine } from "../../src/detect/engine.js";
import { MemoryStore } from "../../src/detect/memory-store.js";
import type { Alert } from "../../src/events/alert.js";
import { ParseStats } from "../../src/parsers/parse-stats.js";
import { batchSource, runPipeline } from "../../src/pipeline.js";
import { loadRules, SHIPPED_RULES_DIR } from "../../src/rules/load-rules.js";
import { openBatchFiles } from "../../src/sources/file-batch.js";

/* sshd lines that carry (or do not carry) password guesses, through parser and detectors. */

async function analyze(lines: string[]): Promise<{ alerts: Alert[]; stats: ParseStats }> {
  const dir = mkdtempSync(join(tmpdir(), "scanwatch-kbdint-"));
  const path = join(dir, "auth.log");
  writeFileSync(path, lines.join("\n") + "\n");
  const diagnostics = new Diagnostics();
  const engine = new Engine(await loadRules(SHIPPED_RULES_DIR), new MemoryStore(), { diagnostics });
  const stats = new ParseStats();
  const alerts: Alert[] = [];
  try {
    await runPipeline({
      source: batchSource(await openBatchFiles([path]), { zone: "UTC", year: 2026 }, stats, diagnostics),
      engine,
      sinks: [],
      onAlerts: (a) => alerts.push(...a),
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { alerts, stats };
}

const at = (s: number) => {
  const d = new Date(Date.UTC(2026, 5, 22, 6, 40, 0) + s * 1000);
  return `Jun 22 ${d.toISOString().slice(11, 19)}`;
};

describe("ssh-bruteforce/keyboard-interactive through PAM", () => {
  it("ssh-kbdint/guesses that leave only OpenSSH's PAM error line are counted (FreeBSD's default)", async () => {
    // A bot: 5 connections, 2 guesses each as root; sshd writes no Failed line below
    // MaxAuthTries/2 failures of a valid user.
    const lines: string[] = [];
    for (let c = 0; c < 5; c++) {
      const pid = 7001 + c;
      lines.push(
        `${at(c * 6)} vps sshd[${pid}]: error: PAM: authentication error for root from 200.79.53.211`,
      );
      lines.push(
        `${at(c * 6 + 2)} vps sshd[${pid}]: error: PAM: authentication error for root from 200.79.53.211`,
      );
      lines.push(
        `${at(c * 6 + 3)} vps sshd[${pid}]: Connection closed by authenticating user root 200.79.53.211 port ${50001 + c} [preauth]`,
      );
    }
    const { alerts } = await analyze(lines);
    const a = alerts.find((x) => x.type === "ssh-bruteforce");
    expect(a?.src).toBe("200.79.53.211");
    expect(a?.events).toBe(6);
  });

  it("ssh-kbdint/a Failed line after its PAM error is the same guess, counted once", async () => {
    // One connection, 6 guesses: each writes its PAM error, and from the third on also its Failed line.
    const lines: string[] = [];
    for (let g = 0; g < 6; g++) {
      lines.push(`${at(g * 3)} vps sshd[812]: error: PAM: authentication error for root from 198.51.100.9`);
      if (g >= 2)
        lines.push(
          `${at(g * 3 + 1)} vps sshd[812]: Failed keyboard-interactive/pam for root from 198.51.100.9 port 40022 ssh2`,
        );
    }
    const { alerts, stats } = await analyze(lines);
    const a = alerts.filter((x) => x.type === "ssh-bruteforce");
    expect(a).toHaveLength(1);
    expect(a[0]!.events).toBe(6); // not 10
    expect(stats.rejected.get("sshd-same-attempt")).toBe(4);
  });

  it("ssh-kbdint/a repeated PAM error stands for as many guesses", async () => {
    // rsyslog folds identical consecutive lines: guesses 1-3 leave one PAM error and its repeat
    // line, then sshd logs guesses 4-6 with both lines each.
    const ip = "198.51.100.11";
    const pam = `error: PAM: authentication error for root from ${ip}`;
    const failed = `Failed keyboard-interactive/pam for root from ${ip} port 40022 ssh2`;
    const lines = [
      `${at(0)} vps sshd[900]: ${pam}`,
      `${at(4)} vps sshd[900]: message repeated 2 times: [ ${pam}]`,
    ];
    for (let g = 0; g < 3; g++) {
      lines.push(`${at(10 + g * 3)} vps sshd[900]: ${pam}`);
      lines.push(`${at(11 + g * 3)} vps sshd[900]: ${failed}`);
    }
    const { alerts, stats } = await analyze(lines);
    expect(alerts.find((x) => x.type === "ssh-bruteforce")?.events).toBe(6);
    expect(stats.rejected.get("sshd-same-attempt")).toBe(3);
  });

  it("ssh-kbdint/penalties for connections that never tried to log in raise nothing", async () => {
    // OpenSSH 9.8+ PerSourcePenalties: ssh-keyscan or a health check, dropped 20 times.
    const lines: string[] = [];
    for (let i = 0; i < 20; i++)
      lines.push(
        `${at(i)} pizero sshd[1049]: drop connection #0 from [192.0.2.10]:${52410 + i} on [192.0.2.1]:22 penalty: connections without attempting authentication`,
      );
    const { alerts } = await analyze(lines);
    expect(alerts.filter((x) => x.type.startsWith("ssh"))).toEqual([]);
    // ...while drops for failed authentication are refused logins, as before.
    const refused = lines.map((l) =>
      l.replace("connections without attempting authentication", "failed authentication"),
    );
    const r = await analyze(refused);
    expect(r.alerts.find((x) => x.type === "ssh-bruteforce")?.src).toBe("192.0.2.10");
  });
});
