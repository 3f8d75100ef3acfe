import { resolve } from "node:path";
import type { Diagnostics } from "../../diagnostics.js";
import { Signal } from "../../util/signal.js";
import type { RawLine } from "../line.js";
import type { TailEntry, TailState } from "../tail-state.js";
import { Follower } from "./follower.js";

export interface TailOptions {
  /** Read files that exist at start from their beginning instead of their end. A saved position wins. */
  fromStart: boolean;
  /** Saved positions: read at start, updated on every commit, saved every `saveEveryMs` and on stop. */
  state?: TailState;
  diagnostics: Diagnostics;
  /** How often files are checked for growth, rotation and (re)appearance, in ms. Default 1000. */
  pollMs?: number;
  /** Most lines in one batch. Default 512. */
  maxBatchLines?: number;
  /** How often committed positions are written to `state`, in ms; 0 = only on stop. Default 1000. */
  saveEveryMs?: number;
}

/**
 * Lines appended to files, as they are written, in batches.
 *
 * Acknowledgement: a batch is acknowledged when the consumer asks for the next one (the
 * `for await` loop finished its body) or calls `commit()`. Only acknowledged lines move the
 * positions in `positions()` and in the state, so a saved position never runs ahead of what the
 * consumer finished. Leaving the loop with `break`/`throw` does not acknowledge the batch in
 * hand: call `commit()` first if it was processed.
 *
 * Resume guarantee (kill -9, power loss): after a restart with the last saved state, reading
 * resumes at the first line after the last acknowledged line of the last *successful save*.
 * Lines acknowledged before that save are never delivered again; lines delivered after it are
 * delivered again (at-least-once, the replay is bounded by `saveEveryMs`). No line is lost as
 * long as the file the position points into is still at its path or at a rotated name beside
 * it (`<name>.0`, `<name>.1`, `<name>-YYYYMMDD`) when we restart, and it was rotated at most
 * once while we were down (a file rotated in between is not read). After a clean stop, nothing
 * is repeated: `stop()` saves what is acknowledged when it is called, so a consumer that was
 * stopped while it processed a batch commits that batch and then calls `stop()` again (or leaves
 * the loop, which calls it).
 *
 * Lines from one path arrive in file order; lines of different paths interleave by batch.
 * `RawLine.file` is the followed path even for the rest of a rotated file read under its new
 * name; `RawLine.line` counts lines per file identity and restarts at 1 in a new file.
 *
 * Diagnostics: `tail_waiting` (info, path absent), `tail_joined` (info, a new file read from its
 * end), `tail_resumed`/`tail_resume_rotated` (info),
 * `tail_resume_lost` (warn: the saved file is gone), `tail_rotated` (info), `tail_read_error`
 * (warn); counters `scanwatch_lines_rejected_total{reason="too-long"}`,
 * `scanwatch_tail_rotations_total{kind}`, `scanwatch_lines_read_total{source="tail"}`; gauge
 * `scanwatch_tail_waiting{file}` (1 while the path is missing).
 */
export interface TailSource extends AsyncIterable<RawLine[]> {
  /** Resolves when every path has its start position decided; bytes appended later are read. */
  ready(): Promise<void>;
  /** Acknowledges every batch delivered so far. */
  commit(): void;
  /** Acknowledged positions, keyed by absolute path. */
  positions(): Record<string, TailEntry>;
  /**
   * The positions right after every line delivered so far, acknowledged or not (what the next
   * `commit()` would acknowledge), keyed by absolute path: for a consumer that stores them with
   * the batch's results in one step.
   */
  delivered(): Record<string, TailEntry>;
  /** The followed paths (absolute), in the order given, with whether each is there. */
  files(): FollowedFile[];
  /**
   * Stops reading and closes files (the first call), then saves the acknowledged positions (every
   * call, when they moved since the last save). The iteration then ends.
   */
  stop(): Promise<void>;
}

/** One followed path as it stands. */
export interface FollowedFile {
  /** Absolute path. */
  path: string;
  /** The path does not exist; the follower waits for it. */
  waiting: boolean;
  /** The acknowledged position, once there is one. */
  position: TailEntry | undefined;
}

const DEFAULT_POLL_MS = 1000;
const DEFAULT_BATCH_LINES = 512;
const DEFAULT_SAVE_EVERY_MS = 1000;

/** Starts following `paths`. Validates eagerly; file problems later become diagnostics. */
export function tailFiles(paths: readonly string[], opts: TailOptions): TailSource {
  if (!Array.isArray(paths) || paths.length === 0 || paths.some((p) => typeof p !== "string" || !p)) {
    throw withCode(new TypeError("tail: paths must be a non-empty list of file paths"), "ETAIL_PATHS");
  }
  for (const k of ["pollMs", "maxBatchLines", "saveEveryMs"] as const) {
    const v = opts[k];
    const min = k === "saveEveryMs" ? 0 : 1;
    if (v !== undefined && (!Number.isSafeInteger(v) || v < min)) {
      throw withCode(
        new RangeError(`tail: option ${k} must be an integer >= ${min}, got ${v}`),
        "ETAIL_OPTION",
      );
    }
  }
  return new FileTail(paths, opts);
}

class FileTail implements TailSource {
  private readonly followers: Follower[];
  private readonly committed = new Map<string, TailEntry>();
  private readonly dataSignal = new Signal();
  private readonly maxBatch: number;
  /** The follower the next batch is looked for first (round robin). */
  private nextFollower = 0;
  private stopped = false;
  private closing: Promise<void> | undefined;
  private dirty = false;
  private saving: Promise<void> = Promise.resolve();
  private iterating = false;
  private readonly saveTimer: NodeJS.Timeout | undefined;
  /** True while the consumer waits in next() for lines. */
  private waiting = false;

  constructor(
    paths: readonly string[],
    private readonly opts: TailOptions,
  ) {
    this.maxBatch = opts.maxBatchLines ?? DEFAULT_BATCH_LINES;
    const fopts = {
      fromStart: opts.fromStart,
      diagnostics: opts.diagnostics,
      pollMs: opts.pollMs ?? DEFAULT_POLL_MS,
    };
    const seen = new Set<string>();
    this.followers = [];
    for (const p of paths) {
      const key = resolve(p);
      if (seen.has(key)) continue;
      seen.add(key);
      const saved = opts.state?.get(key);
      if (saved) this.committed.set(key, saved);
      this.followers.push(new Follower(p, fopts, saved, () => this.dataSignal.notify()));
    }
    for (const f of this.followers) f.start();
    const every = opts.saveEveryMs ?? DEFAULT_SAVE_EVERY_MS;
    if (opts.state && every > 0) {
      this.saveTimer = setInterval(() => {
        // While the consumer waits inside next(), all it was handed is processed: a commit (and
        // a due capture of the detection state with it) is safe.
        if (this.waiting) this.commit();
        void this.saveIfDirty();
      }, every);
      this.saveTimer.unref();
    }
  }

  async ready(): Promise<void> {
    await Promise.all(this.followers.map((f) => f.ready));
  }

  commit(): void {
    for (const f of this.followers) {
      const entry = deliveredEntry(f);
      if (!entry) continue;
      const old = this.committed.get(f.key);
      if (old && sameEntry(old, entry)) continue;
      this.committed.set(f.key, entry);
      this.opts.state?.set(f.key, entry);
      this.dirty = true;
    }
    // With a detection state attached, what is saved is what was captured here, together.
    if (this.opts.state?.committed(this.stopped)) this.dirty = true;
  }

  delivered(): Record<string, TailEntry> {
    const out: Record<string, TailEntry> = {};
    for (const f of this.followers) {
      const entry = deliveredEntry(f) ?? this.committed.get(f.key);
      if (entry) out[f.key] = { ...entry };
    }
    return out;
  }

  positions(): Record<string, TailEntry> {
    const out: Record<string, TailEntry> = {};
    for (const [k, v] of this.committed) out[k] = { ...v };
    return out;
  }

  files(): FollowedFile[] {
    return this.followers.map((f) => {
      const p = this.committed.get(f.key);
      return { path: f.key, waiting: f.waiting, position: p && { ...p } };
    });
  }

  async stop(): Promise<void> {
    // A signal handler stops the source while the consumer still processes a batch; that batch
    // is committed after this call's save, so every call saves again what moved since.
    this.closing ??= (async () => {
      this.stopped = true;
      if (this.saveTimer) clearInterval(this.saveTimer);
      this.dataSignal.notify();
      await Promise.all(this.followers.map((f) => f.stop()));
    })();
    await this.closing;
    await this.saveIfDirty();
  }

  [Symbol.asyncIterator](): AsyncIterator<RawLine[]> {
    if (this.iterating) {
      throw withCode(new Error("tail: a tail source can be iterated only once"), "ETAIL_ITERATED");
    }
    this.iterating = true;
    return {
      next: () => this.next(),
      return: async () => {
        await this.stop();
        return { done: true, value: undefined };
      },
    };
  }

  private async next(): Promise<IteratorResult<RawLine[]>> {
    this.commit(); // asking for more means the previous batch is done
    for (;;) {
      if (this.stopped) {
        // Inside next(): what was delivered is processed, so this is a consistent last capture.
        this.commit();
        await this.stop();
        return { done: true, value: undefined };
      }
      const batch = this.takeBatch();
      if (batch) return { done: false, value: batch };
      this.waiting = true;
      try {
        await this.dataSignal.wait();
      } finally {
        this.waiting = false;
      }
      // Still inside next(): everything delivered is processed, so positions that moved without
      // new lines (a switch to a new, empty file; skipped over-long lines) can be committed.
      this.commit();
    }
  }

  private takeBatch(): RawLine[] | undefined {
    const n = this.followers.length;
    for (let k = 0; k < n; k++) {
      const f = this.followers[(this.nextFollower + k) % n]!;
      if (!f.hasLines()) continue;
      this.nextFollower = (this.nextFollower + k + 1) % n;
      const batch = f.take(this.maxBatch);
      this.opts.diagnostics.count("scanwatch_lines_read_total", { source: "tail" }, batch.length);
      return batch;
    }
    return undefined;
  }

  /**
   * Saves when positions moved. Saves run one after another and each call resolves after its own,
   * so a caller that returns after `stop()` never leaves a save still being written (the
   * process may exit right after).
   */
  private saveIfDirty(): Promise<void> {
    const run = this.saving.then(async () => {
      if (!this.opts.state || !this.dirty) return;
      this.dirty = false;
      if (!(await this.opts.state.save())) this.dirty = true;
    });
    this.saving = run;
    return run;
  }
}

function deliveredEntry(f: Follower): TailEntry | undefined {
  const pos = f.deliveredPosition();
  return (
    pos && {
      dev: pos.seg.id.dev,
      ino: pos.seg.id.ino,
      firstLineHash: pos.seg.hash(),
      offset: pos.offset,
      line: pos.line,
    }
  );
}

function sameEntry(a: TailEntry, b: TailEntry): boolean {
  return (
    a.offset === b.offset &&
    a.line === b.line &&
    a.ino === b.ino &&
    a.dev === b.dev &&
    a.firstLineHash === b.firstLineHash
  );
}

function withCode<E extends Error>(err: E, code: string): E {
  return Object.assign(err, { code });
}
