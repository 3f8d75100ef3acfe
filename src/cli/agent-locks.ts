import { join } from "node:path";
import type { Diagnostics } from "../diagnostics.js";
import { acquireLock, type Lock, type LockHolder } from "../util/pid-lock.js";

/**
 * One agent per state file and per spool. Two agents sharing a spool number their entries alike
 * and overwrite each other's (an alert lost without a word); two sharing a state file overwrite
 * each other's positions. The second to start is refused, with the first one named.
 */
export function lockState(statePath: string, diagnostics: Diagnostics): Promise<Lock> {
  return acquireLock(
    `${statePath}.lock`,
    (h) =>
      `the tail state ${statePath} is in use by another scanwatch (${who(h)}); two agents sharing it ` +
      `overwrite each other's positions. Stop that one, or give this one its own --state DIR.`,
    (why) => stale(diagnostics, statePath, why),
  );
}

export function lockSpool(spoolDir: string, diagnostics: Diagnostics): Promise<Lock> {
  return acquireLock(
    join(spoolDir, ".lock"),
    (h) =>
      `the webhook spool ${spoolDir} is in use by another scanwatch (${who(h)}); two agents sharing it ` +
      `lose alerts. Stop that one, or give this one its own --state DIR (or --spool DIR).`,
    (why) => stale(diagnostics, spoolDir, why),
  );
}

function who(h: LockHolder): string {
  return `pid ${h.pid} on ${h.host}, since ${h.since}: ${h.command}`;
}

function stale(diagnostics: Diagnostics, what: string, why: string): void {
  diagnostics.report("info", "lock_stale", `${what}: taking over a stale lock (${why})`);
}
