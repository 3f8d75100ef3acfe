import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { hostname } from "node:os";
import { dirname } from "node:path";
import { errCode } from "./fs-errors.js";

/** Who holds a lock, as written in the lock file. */
export interface LockHolder {
  pid: number;
  host: string;
  /** When it took the lock, ISO 8601. */
  since: string;
  /** What it runs (`scanwatch tail`), for the message that names it; never its arguments. */
  command: string;
}

/** What an existing lock file means for us. */
export type LockVerdict =
  | { kind: "held"; holder: LockHolder }
  /** Its holder is gone (crashed, killed -9): the lock may be taken over. */
  | { kind: "stale"; why: string };

export interface ProcessView {
  host: string;
  /** Does a process with this pid exist (EPERM counts: it exists, as another user)? */
  alive(pid: number): boolean;
  /** Its command line, `undefined` when it cannot be read. */
  commandOf(pid: number): string | undefined;
}

/**
 * Judges an existing lock file's content. Pure but for `procs`. A lock from another host cannot
 * be checked and counts as held. A pid that is gone, or that now runs something other than
 * scanwatch (pids are reused after a crash), makes the lock stale; so does an unreadable file.
 */
export function judgeLock(content: string, procs: ProcessView): LockVerdict {
  let holder: LockHolder;
  try {
    const v = JSON.parse(content) as Partial<LockHolder>;
    if (!Number.isSafeInteger(v.pid) || (v.pid as number) <= 0 || typeof v.host !== "string")
      throw new Error();
    holder = { pid: v.pid!, host: v.host, since: String(v.since ?? "?"), command: String(v.command ?? "?") };
  } catch {
    return { kind: "stale", why: "the lock file is not one scanwatch wrote" };
  }
  if (holder.host !== procs.host) return { kind: "held", holder };
  if (!procs.alive(holder.pid)) return { kind: "stale", why: `process ${holder.pid} is gone` };
  const cmd = procs.commandOf(holder.pid);
  if (cmd !== undefined && !cmd.includes("scanwatch"))
    return { kind: "stale", why: `process ${holder.pid} is no longer scanwatch` };
  return { kind: "held", holder };
}

/** Another process holds the lock. `code` LOCKED; the message names it and the way out. */
export class LockedError extends Error {
  readonly code = "LOCKED";
  constructor(
    message: string,
    readonly holder: LockHolder,
  ) {
    super(message);
  }
}

export interface Lock {
  readonly path: string;
  /** Removes the lock file if it is still ours. Idempotent; also run at process exit. */
  release(): void;
}

/**
 * Takes the lock file `path` for this process: created exclusively, holding our pid, host,
 * start time and command line. An existing lock whose holder is alive throws LockedError with
 * `describeHeld(holder)` as message; a stale one is replaced (and `onStale` told why). The lock is
 * released on `release()` and, failing that, when the process exits; after a kill -9 the next
 * start finds it stale.
 */
export async function acquireLock(
  path: string,
  describeHeld: (h: LockHolder) => string,
  onStale: (why: string) => void = () => undefined,
  procs: ProcessView = realProcesses,
): Promise<Lock> {
  await mkdir(dirname(path), { recursive: true, mode: 0o750 });
  const mine: LockHolder = {
    pid: process.pid,
    host: procs.host,
    since: new Date().toISOString(),
    // The command, not its arguments: they may hold a webhook URL with a token in it.
    command: ["scanwatch", process.argv[2]].filter(Boolean).join(" "),
  };
  const content = JSON.stringify(mine) + "\n";
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(path, "wx", 0o640);
      try {
        writeSync(fd, content);
      } finally {
        closeSync(fd);
      }
      break;
    } catch (err) {
      if (errCode(err) !== "EEXIST" || attempt >= 2) throw err;
    }
    let existing: string;
    try {
      existing = readFileSync(path, "utf8");
    } catch (err) {
      if (errCode(err) === "ENOENT") continue; // released meanwhile
      throw err;
    }
    const verdict = judgeLock(existing, procs);
    if (verdict.kind === "held") throw new LockedError(describeHeld(verdict.holder), verdict.holder);
    onStale(verdict.why);
    try {
      unlinkSync(path);
    } catch (err) {
      if (errCode(err) !== "ENOENT") throw err;
    }
  }
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    process.off("exit", release);
    try {
      if (readFileSync(path, "utf8") === content) unlinkSync(path);
    } catch {
      // gone already, or unreadable: nothing of ours to remove
    }
  };
  process.on("exit", release);
  return { path, release };
}

const realProcesses: ProcessView = {
  host: hostname(),
  alive(pid) {
    try {
      process.kill(pid, 0);
      return true;
    } catch (err) {
      return errCode(err) === "EPERM";
    }
  },
  commandOf(pid) {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim();
    } catch {
      return undefined;
    }
  },
};
