import { open, stat, type FileHandle } from "node:fs/promises";
import type { Alert } from "../events/alert.js";
import type { Diagnostics } from "../diagnostics.js";
import type { Sink } from "./sink.js";
import { errCode, fsHint } from "../util/fs-errors.js";

export interface FileSinkOptions {
  /** The NDJSON file alerts are appended to; created if missing, never truncated. */
  path: string;
  diagnostics: Diagnostics;
  /**
   * How often a write checks that `path` is still the open file (logrotate moved it away), in
   * ms; 0 checks on every write. Default 1000.
   */
  checkEveryMs?: number;
  /** The clock for `checkEveryMs`. */
  now?: () => number;
}

/**
 * Appends one JSON line per alert to a file.
 *
 * Each write is awaited but not fsynced: an alert is in the kernel's page cache when `write`
 * resolves, which survives a crash of scanwatch but not of the machine. That is the same promise
 * the firewall log it was read from makes, and an fsync per alert would cap a scan burst at the
 * disk's sync rate.
 *
 * A failed open or write (full disk, permission denied) is reported as `sink_file_error` and
 * counted; `write` never throws. The next write reopens the file, so an operator who frees space
 * or fixes the permission needs no restart.
 *
 * Rotation: `reopen()` (SIGHUP, logrotate's postrotate) makes the next alert go to a new file at
 * `path`; without it, a write that finds `path` moved or removed (checked at most every
 * `checkEveryMs`) reopens by itself, reported as `sink_file_reopened`. The alert that noticed is
 * written to the new file; any written between the move and the check went to the moved one.
 * copytruncate needs neither: appends follow the truncated file's end.
 */
export class FileSink implements Sink {
  readonly name = "file";
  readonly path: string;
  private readonly diagnostics: Diagnostics;
  private handle: Promise<FileHandle> | undefined;
  private readonly checkEveryMs: number;
  private readonly now: () => number;
  private lastCheck = 0;
  // Writes run one after another: two concurrent appends of one handle may interleave their bytes
  // when the kernel writes either of them in more than one piece.
  private queue: Promise<void> = Promise.resolve();

  constructor(options: FileSinkOptions) {
    if (typeof options.path !== "string" || options.path === "") {
      throw Object.assign(new Error(`file sink: "path" must be a non-empty file path`), {
        code: "ERR_FILE_SINK_PATH",
      });
    }
    this.path = options.path;
    this.diagnostics = options.diagnostics;
    this.checkEveryMs = options.checkEveryMs ?? 1000;
    this.now = options.now ?? Date.now;
  }

  /** Closes the file after the writes queued so far; the next alert opens `path` anew. */
  reopen(): Promise<void> {
    const run = this.queue.then(() => this.closeHandle());
    this.queue = run;
    return run;
  }

  write(alert: Alert): Promise<void> {
    const line = JSON.stringify(alert) + "\n";
    const run = this.queue.then(() => this.append(line));
    this.queue = run;
    return run;
  }

  async close(): Promise<void> {
    await this.queue;
    await this.closeHandle();
  }

  private async closeHandle(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    if (!handle) return;
    try {
      await (await handle).close();
    } catch (err) {
      this.fail("close", err, "earlier lines are written");
    }
  }

  /** Is the open file no longer at `path` (renamed by logrotate, or deleted)? */
  private async movedAway(): Promise<boolean> {
    if (!this.handle) return false;
    try {
      const [open, there] = await Promise.all([
        (await this.handle).stat(),
        stat(this.path).catch(() => undefined),
      ]);
      return there === undefined || there.ino !== open.ino || there.dev !== open.dev;
    } catch {
      return false; // the handle itself is broken: the write below reports it
    }
  }

  private async append(line: string): Promise<void> {
    try {
      const now = this.now();
      if (this.handle && now - this.lastCheck >= this.checkEveryMs) {
        this.lastCheck = now;
        if (await this.movedAway()) {
          await this.closeHandle();
          this.diagnostics.report(
            "info",
            "sink_file_reopened",
            `file sink: ${this.path} was moved or removed; writing to a new ${this.path}`,
          );
        }
      }
      if (!this.handle) {
        this.handle = open(this.path, "a");
        this.lastCheck = now;
      }
      const fh = await this.handle;
      await fh.appendFile(line, "utf8");
      this.diagnostics.count("scanwatch_file_sink_writes_total", { result: "ok" });
    } catch (err) {
      this.diagnostics.count("scanwatch_file_sink_writes_total", { result: "error" });
      this.fail("write", err, `this alert is lost${writeHint(err, this.path)}`);
      const broken = this.handle;
      this.handle = undefined;
      // Drop the handle so the next write reopens; closing a handle whose open failed rejects again.
      void broken?.then((fh) => fh.close()).catch(() => undefined);
    }
  }

  private fail(op: string, err: unknown, consequence: string): void {
    const code = (err as NodeJS.ErrnoException | undefined)?.code ?? "unknown";
    this.diagnostics.report(
      "error",
      "sink_file_error",
      `file sink: ${op} ${this.path} failed (${code}); ${consequence}`,
    );
  }
}

/** What to look at when a write to `path` failed with `err` (fsHint, plus a folder that is gone). */
function writeHint(err: unknown, path: string): string {
  const hint = fsHint(err, path);
  if (hint) return hint;
  switch (errCode(err)) {
    case "ENOENT":
      return ` — its folder does not exist (any more)`;
    case "EISDIR":
      return ` — ${path} is a folder`;
    default:
      return "; check free space and permissions";
  }
}
