import TailFile from "@logdna/tail-file";
import { createHash } from "node:crypto";
import { statSync, type ReadStream } from "node:fs";
import { open, readdir, type FileHandle } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import type { Diagnostics } from "../diagnostics.js";
import { MAX_LINE_BYTES, type RawLine } from "./line.js";
import { FIRST_LINE_HASH_BYTES, type TailEntry, type TailState } from "./tail-state.js";

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
 * once while we were down (a file rotated in between is not read). After a clean `stop()` (the
 * consumer's loop ending through `next()`), nothing is repeated.
 *
 * Lines from one path arrive in file order; lines of different paths interleave by batch.
 * `RawLine.file` is the followed path even for the rest of a rotated file read under its new
 * name; `RawLine.line` counts lines per file identity and restarts at 1 in a new file.
 *
 * Diagnostics: `tail_waiting` (info, path absent), `tail_resumed`/`tail_resume_rotated` (info),
 * `tail_resume_lost` (warn: the saved file is gone), `tail_rotated` (info), `tail_read_error`
 * (warn); counters `scanwatch_lines_rejected_total{reason="too-long"}`,
 * `scanwatch_tail_rotations_total{kind}`, `scanwatch_lines_read_total{source="tail"}`.
 */
export interface TailSource extends AsyncIterable<RawLine[]> {
  /** Resolves when every path has its start position decided; bytes appended later are read. */
  ready(): Promise<void>;
  /** Acknowledges every batch delivered so far. */
  commit(): void;
  /** Acknowledged positions, keyed by absolute path. */
  positions(): Record<string, TailEntry>;
  /** Stops reading, closes files and saves the state. The iteration then ends. Idempotent. */
  stop(): Promise<void>;
}

const DEFAULT_POLL_MS = 1000;
const DEFAULT_BATCH_LINES = 512;
const DEFAULT_SAVE_EVERY_MS = 1000;
/** A follower stops reading while this many lines or bytes wait for the consumer. */
const QUEUE_MAX_LINES = 4096;
const QUEUE_MAX_BYTES = 1 << 20;
/** Bound on waiting for @logdna/tail-file's quit(), which waits for a flush that may not come. */
const QUIT_TIMEOUT_MS = 2000;
const READ_CHUNK = 64 * 1024;
/** Rotated names logrotate and friends produce: name.1, name.0, name-20240131, name-2024013112. */
const ROTATED_SUFFIX = /^(?:\.\d+|-\d{8}(?:[-_]?\d{2,6})?)$/;

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

// ---------------------------------------------------------------------------------------------

interface Identity {
  dev: string;
  ino: string;
}

/** What is at a path right now, read through one descriptor so identity and head agree. */
interface Probe {
  id: Identity;
  size: number;
  mtimeMs: number;
  /** The first line without newline, at most FIRST_LINE_HASH_BYTES. */
  head: Buffer;
  hash: string;
}

/** A run of bytes from one file identity. Line numbers and `firstLineHash` belong to it. */
class Segment {
  private headParts: Buffer[] = [];
  private headLen = 0;
  private headDone: boolean;
  private cachedHash: string | undefined;

  /** `knownHash` is given when we start past the first line and so never see it. */
  constructor(
    readonly id: Identity,
    knownHash?: string,
  ) {
    this.cachedHash = knownHash;
    this.headDone = knownHash !== undefined;
  }

  /** Collects the first line from bytes read at file offset `at` (only contiguous from 0). */
  observe(chunk: Buffer, at: number): void {
    if (this.headDone || at !== this.headLen) return;
    const room = FIRST_LINE_HASH_BYTES - this.headLen;
    const nl = chunk.indexOf(10);
    const take = Math.min(nl >= 0 ? nl : chunk.length, room);
    if (take > 0) {
      this.headParts.push(Buffer.from(chunk.subarray(0, take)));
      this.headLen += take;
    }
    if (nl >= 0 || this.headLen >= FIRST_LINE_HASH_BYTES) this.headDone = true;
  }

  hash(): string {
    if (this.cachedHash !== undefined) return this.cachedHash;
    const h = sha256(Buffer.concat(this.headParts, this.headLen));
    if (this.headDone) this.cachedHash = h;
    return h;
  }

  /** Is `p` this file, with at least `offset` bytes and the same beginning? */
  isSameFile(p: Probe, offset: number): boolean {
    return sameId(p.id, this.id) && p.size >= offset && this.sameHead(p);
  }

  sameHead(p: Probe): boolean {
    if (this.headDone) return p.hash === this.hash();
    // We have seen only part of the first line: the file must start with those bytes.
    const mine = Buffer.concat(this.headParts, this.headLen);
    return p.head.length >= mine.length && p.head.subarray(0, mine.length).equals(mine);
  }
}

interface Position {
  seg: Segment;
  offset: number;
  line: number;
}

/** A boundary inside the byte stream of one TailFile: from byte `at` on, bytes belong to a new file. */
interface Boundary {
  at: number;
  kind: "rename" | "truncate";
  id: Identity;
}

type Step =
  | { kind: "follow"; startPos: number }
  | { kind: "drain"; file: string; fh: FileHandle }
  | { kind: "wait" }
  | { kind: "stopped" };

class Signal {
  private waiters: (() => void)[] = [];
  wait(): Promise<void> {
    return new Promise((r) => this.waiters.push(r));
  }
  notify(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const r of w) r();
  }
}

/**
 * Follows one path through rotations. A producer loop reads only while its queue has room, so
 * a slow consumer stops the reading (and @logdna/tail-file stops polling) instead of buffering.
 */
class Follower {
  readonly key: string;
  // The splitter: bytes of the current segment up to `offset` have been seen.
  private seg: Segment | undefined;
  private offset = 0;
  /** Offset after the last complete line (where a restart would begin). */
  private lineEnd = 0;
  private line = 0;
  private partial: Buffer[] = [];
  private partialLen = 0;
  private overflow = false;
  // The queue of complete lines not yet taken by the consumer.
  private lines: RawLine[] = [];
  private ends: number[] = [];
  private segs: Segment[] = [];
  private qHead = 0;
  private qBytes = 0;
  private lastTaken: Position | undefined;

  private stopped = false;
  private readonly wake = new Signal(); // stream readable, boundary, stop
  private readonly space = new Signal(); // consumer took lines, stop
  private readonly sleepers = new Set<() => void>();
  private running: Promise<void> = Promise.resolve();
  private readyResolve!: () => void;
  readonly ready = new Promise<void>((r) => (this.readyResolve = r));

  constructor(
    readonly path: string,
    private readonly opts: Required<Pick<TailOptions, "fromStart" | "diagnostics" | "pollMs">>,
    private readonly saved: TailEntry | undefined,
    private readonly onData: () => void,
  ) {
    this.key = resolve(path);
  }

  start(): void {
    this.running = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake.notify();
    this.space.notify();
    for (const s of [...this.sleepers]) s();
    await this.running;
  }

  hasLines(): boolean {
    return this.qHead < this.lines.length;
  }

  take(max: number): RawLine[] {
    const from = this.qHead;
    const to = Math.min(this.lines.length, from + max);
    const out = this.lines.slice(from, to);
    const last = to - 1;
    this.lastTaken = { seg: this.segs[last]!, offset: this.ends[last]!, line: this.lines[last]!.line };
    for (const l of out) this.qBytes -= l.text.length;
    this.qHead = to;
    if (this.qHead === this.lines.length) {
      this.lines = [];
      this.ends = [];
      this.segs = [];
      this.qHead = 0;
      this.qBytes = 0;
    } else if (this.qHead > 1024) {
      this.lines = this.lines.slice(this.qHead);
      this.ends = this.ends.slice(this.qHead);
      this.segs = this.segs.slice(this.qHead);
      this.qHead = 0;
    }
    this.space.notify();
    return out;
  }

  /**
   * Where a restart should begin if everything taken so far is processed. With an empty queue
   * every complete line read was taken, so that is the read position (which also covers
   * skipped over-long lines and a switch to a new file); otherwise it is after the last taken line.
   */
  deliveredPosition(): Position | undefined {
    if (!this.seg) return undefined;
    if (!this.hasLines()) return { seg: this.seg, offset: this.lineEnd, line: this.line };
    return this.lastTaken;
  }

  // --- control -------------------------------------------------------------------------------

  private async run(): Promise<void> {
    let step: Step;
    try {
      step = await this.plan();
    } catch (err) {
      this.report("warn", "tail_read_error", `cannot open (${describe(err)}); retrying`);
      step = { kind: "wait" };
    }
    this.readyResolve();
    while (!this.stopped && step.kind !== "stopped") {
      try {
        if (step.kind === "follow") step = await this.follow(step.startPos);
        else if (step.kind === "drain") step = await this.drain(step.file, step.fh);
        else step = await this.waitForFile();
      } catch (err) {
        // Unexpected: keep the path followed rather than ending the whole source.
        this.report("warn", "tail_read_error", `${describe(err)}; retrying`);
        await this.sleep(this.opts.pollMs);
        step = { kind: "wait" };
      }
    }
    if (step.kind === "drain") await step.fh.close().catch(() => undefined);
  }

  /** Decides where to start: saved position, a rotated file, the end, or the beginning. */
  private async plan(): Promise<Step> {
    const p = await this.probeQuietly(this.path);
    const e = this.saved;
    if (e) {
      const strong = (q: Probe) => sameId(q.id, e) && matchesEntry(q, e);
      const rotated = await this.findRotated(e);
      const pick =
        (p && strong(p) && { file: this.path, probe: p }) ||
        rotated.find((r) => strong(r.probe)) ||
        (p && matchesEntry(p, e) && { file: this.path, probe: p }) ||
        rotated.find((r) => matchesEntry(r.probe, e));
      if (pick && pick.file === this.path) {
        this.begin(new Segment(pick.probe.id, e.offset > 0 ? e.firstLineHash : undefined), e.offset, e.line);
        this.report("info", "tail_resumed", `resuming at byte ${e.offset} (after line ${e.line})`);
        return { kind: "follow", startPos: e.offset };
      }
      if (pick) {
        const fh = await openSame(pick.file, pick.probe.id);
        if (fh) {
          this.begin(
            new Segment(pick.probe.id, e.offset > 0 ? e.firstLineHash : undefined),
            e.offset,
            e.line,
          );
          this.report(
            "info",
            "tail_resume_rotated",
            `rotated while stopped: reading the rest of ${pick.file} from byte ${e.offset}, then the new file`,
          );
          return { kind: "drain", file: pick.file, fh };
        }
      }
      if (e.offset > 0) {
        this.report(
          "warn",
          "tail_resume_lost",
          `the file saved at byte ${e.offset} (line ${e.line}) is neither at this path nor at a rotated ` +
            `name beside it; lines written to it after the last save are lost. Reading the current file from its start.`,
        );
      }
      return p ? this.fresh(p) : { kind: "wait" };
    }
    if (!p) return { kind: "wait" };
    if (this.opts.fromStart) return this.fresh(p);
    const fh = await openSame(this.path, p.id);
    if (!fh) return { kind: "wait" };
    try {
      const { start, inLongLine } = await lastLineStart(fh, p.size);
      const lines = await countNewlines(fh, start);
      this.begin(new Segment(p.id, start > 0 ? p.hash : undefined), start, lines);
      this.overflow = inLongLine;
      return { kind: "follow", startPos: start };
    } finally {
      await fh.close().catch(() => undefined);
    }
  }

  /** A file we have never read: from byte 0, line numbers from 1. */
  private fresh(p: Probe): Step {
    this.begin(new Segment(p.id), 0, 0);
    return { kind: "follow", startPos: 0 };
  }

  private async waitForFile(): Promise<Step> {
    let reported = false;
    for (;;) {
      if (this.stopped) return { kind: "stopped" };
      const p = await this.probeQuietly(this.path);
      if (p) {
        if (reported) this.opts.diagnostics.gauge("scanwatch_tail_waiting", 0, { file: this.path });
        if (this.seg && this.seg.isSameFile(p, this.offset)) return { kind: "follow", startPos: this.offset };
        if (this.seg) this.rotated("recreate");
        return this.fresh(p);
      }
      if (!reported) {
        reported = true;
        this.opts.diagnostics.gauge("scanwatch_tail_waiting", 1, { file: this.path });
        this.report(
          "info",
          "tail_waiting",
          `does not exist (yet); waiting for it, checking every ${this.opts.pollMs} ms`,
        );
      }
      await this.sleep(this.opts.pollMs);
    }
  }

  /** Reads the rest of a rotated file (a finite read), then goes on with the path. */
  private async drain(file: string, fh: FileHandle): Promise<Step> {
    const rs: ReadStream = fh.createReadStream({ start: this.offset, highWaterMark: READ_CHUNK });
    let failed: unknown;
    rs.on("readable", () => this.wake.notify());
    rs.on("end", () => this.wake.notify());
    rs.on("error", (err) => {
      failed = err;
      this.wake.notify();
    });
    try {
      for (;;) {
        if (this.stopped) return { kind: "stopped" };
        if (this.queueFull()) {
          await this.space.wait();
          continue;
        }
        const chunk = rs.read() as Buffer | null;
        if (chunk) {
          this.feed(chunk);
          continue;
        }
        if (rs.readableEnded || failed !== undefined) break;
        await this.wake.wait();
      }
    } finally {
      rs.destroy();
    }
    if (failed !== undefined) {
      this.report("warn", "tail_read_error", `reading the rest of ${file} failed (${describe(failed)})`);
    }
    this.flushPartial(); // the file has been rotated away: its last line will not be completed
    return { kind: "wait" };
  }

  /**
   * Follows the path with @logdna/tail-file from `startPos`. Its events say *that* a rename or
   * truncation happened but not where in the byte stream; at the moment of the event every
   * byte of the old file has been pushed and none of the new, so the boundary is
   * `bytes we read() + bytes still buffered in the stream`.
   */
  private async follow(startPos: number): Promise<Step> {
    const tail = new TailFile(this.path, {
      startPos,
      pollFileIntervalMs: this.opts.pollMs,
      pollFailureRetryMs: this.opts.pollMs,
      // On the first ENOENT it reads the rest of the old file through its open handle, then ends
      // with an 'error'. We take over waiting ourselves: its own retries would resume at the old
      // offset if the file is re-created and gets the same inode back (ext4 reuses it at once).
      maxPollFailures: 1,
    });
    let consumed = 0;
    let ending: unknown;
    const boundaries: Boundary[] = [];
    const pushed = () => consumed + tail.readableLength;
    tail.on("readable", () => this.wake.notify());
    tail.on("renamed", () => {
      boundaries.push({
        at: pushed(),
        kind: "rename",
        id: statIdentity(this.path) ?? { dev: "0", ino: "0" },
      });
      this.wake.notify();
    });
    tail.on("truncated", () => {
      boundaries.push({ at: pushed(), kind: "truncate", id: statIdentity(this.path) ?? this.seg!.id });
      this.wake.notify();
    });
    tail.on("tail_error", (err: unknown) => {
      if (!this.stopped) this.report("warn", "tail_read_error", describe(err));
    });
    tail.on("error", (err: unknown) => {
      ending ??= err;
      this.wake.notify();
    });
    const started = tail.start().catch((err: unknown) => {
      ending ??= err;
      this.wake.notify();
    });

    let next: Step = { kind: "wait" };
    let checkDue = true;
    let lastCheck = 0;
    try {
      for (;;) {
        if (this.stopped) return (next = { kind: "stopped" });
        while (boundaries.length > 0 && boundaries[0]!.at <= consumed) this.cross(boundaries.shift()!);
        if (this.queueFull()) {
          await this.space.wait();
          continue;
        }
        const chunk = tail.read() as Buffer | null;
        if (chunk === null) {
          if (ending !== undefined && tail.readableLength === 0) break;
          checkDue = true;
          await this.wake.wait();
          continue;
        }
        // Count it at once: a 'renamed' during the check below computes its boundary from it.
        const c0 = consumed;
        consumed += chunk.length;
        if (
          (checkDue || Date.now() - lastCheck >= this.opts.pollMs) &&
          boundaries.length === 0 &&
          this.offset > 0
        ) {
          // tail-file tells files apart by inode and size only. A file rewritten in place
          // (copytruncate, or opened with O_TRUNC) that grew past our offset before its next
          // poll looks merely grown and would be read from our old offset.
          checkDue = false;
          lastCheck = Date.now();
          const p = await this.replacedBy(chunk);
          if (p && boundaries.length === 0) {
            this.flushPartial();
            this.rotated("replace");
            return (next = this.fresh(p));
          }
        }
        let pos = 0;
        while (boundaries.length > 0 && boundaries[0]!.at <= consumed) {
          const b = boundaries.shift()!;
          const cut = Math.max(pos, b.at - c0);
          if (cut > pos) this.feed(chunk.subarray(pos, cut));
          pos = cut;
          this.cross(b);
        }
        if (pos < chunk.length) this.feed(chunk.subarray(pos));
      }
      while (boundaries.length > 0) this.cross(boundaries.shift()!);
      if (errCode(ending) === "ENOENT") {
        // Moved away or deleted; the rest was read through the old handle.
        this.flushPartial();
      } else if (!this.stopped) {
        this.report("warn", "tail_read_error", `${describe(ending)}; retrying`);
        await this.sleep(this.opts.pollMs);
      }
      return next;
    } finally {
      await closeTail(tail, ending !== undefined);
      await started;
    }
  }

  private cross(b: Boundary): void {
    this.flushPartial(); // the old file was rotated away (renamed or copied and truncated)
    this.rotated(b.kind);
    this.begin(new Segment(b.id), 0, 0);
  }

  private rotated(kind: string): void {
    this.opts.diagnostics.count("scanwatch_tail_rotations_total", { kind });
    this.report("info", "tail_rotated", `${kind}: reading the new file from its start`);
  }

  // --- splitting -----------------------------------------------------------------------------

  private begin(seg: Segment, offset: number, line: number): void {
    if (this.seg) this.onData(); // a waiting consumer commits the switch to the new file
    this.seg = seg;
    this.offset = offset;
    this.lineEnd = offset;
    this.line = line;
    this.partial = [];
    this.partialLen = 0;
    this.overflow = false;
  }

  private queueFull(): boolean {
    return this.lines.length - this.qHead >= QUEUE_MAX_LINES || this.qBytes >= QUEUE_MAX_BYTES;
  }

  /** Splits bytes that continue the current segment at `this.offset`. */
  private feed(chunk: Buffer): void {
    const seg = this.seg!;
    seg.observe(chunk, this.offset);
    const before = this.lines.length;
    let i = 0;
    while (i < chunk.length) {
      const nl = chunk.indexOf(10, i);
      if (nl === -1) {
        const rest = chunk.length - i;
        if (!this.overflow) {
          if (this.partialLen + rest > MAX_LINE_BYTES) {
            // Too long already: drop what we hold and skip to the next newline.
            this.overflow = true;
            this.partial = [];
            this.partialLen = 0;
          } else {
            this.partial.push(Buffer.from(chunk.subarray(i)));
            this.partialLen += rest;
          }
        }
        this.offset += rest;
        break;
      }
      const len = nl - i;
      this.offset += len + 1;
      if (this.overflow || this.partialLen + len > MAX_LINE_BYTES) {
        this.line++;
        this.rejectLong();
      } else {
        const bytes =
          this.partialLen > 0
            ? Buffer.concat([...this.partial, chunk.subarray(i, nl)], this.partialLen + len)
            : chunk.subarray(i, nl);
        this.push(bytes);
      }
      this.partial = [];
      this.partialLen = 0;
      this.overflow = false;
      this.lineEnd = this.offset;
      i = nl + 1;
    }
    if (this.lines.length > before) this.onData();
  }

  /** Emits the line held without its newline, because no newline will come any more. */
  private flushPartial(): void {
    if (this.overflow) {
      this.line++;
      this.rejectLong();
    } else if (this.partialLen > 0) {
      this.push(Buffer.concat(this.partial, this.partialLen));
      this.onData();
    }
    this.partial = [];
    this.partialLen = 0;
    this.overflow = false;
    this.lineEnd = this.offset;
  }

  private push(bytes: Buffer): void {
    let text = bytes.toString("utf8");
    if (text.endsWith("\r")) text = text.slice(0, -1);
    this.line++;
    this.lines.push({ text, file: this.path, line: this.line });
    this.ends.push(this.offset);
    this.segs.push(this.seg!);
    this.qBytes += text.length;
  }

  private rejectLong(): void {
    this.opts.diagnostics.count("scanwatch_lines_rejected_total", { reason: "too-long" });
  }

  // --- helpers -------------------------------------------------------------------------------

  private async findRotated(e: TailEntry): Promise<{ file: string; probe: Probe }[]> {
    const dir = dirname(this.path);
    const name = basename(this.path);
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      return [];
    }
    const out: { file: string; probe: Probe }[] = [];
    for (const n of names) {
      if (!n.startsWith(name) || !ROTATED_SUFFIX.test(n.slice(name.length))) continue;
      const file = join(dir, n);
      const probe = await this.probeQuietly(file);
      if (probe && matchesEntry(probe, e)) out.push({ file, probe });
    }
    // Several copies with the same first line (copytruncate keeps old ones): newest first.
    return out.sort((a, b) => b.probe.mtimeMs - a.probe.mtimeMs);
  }

  private async probeQuietly(file: string): Promise<Probe | undefined> {
    try {
      return await probe(file);
    } catch (err) {
      this.report("warn", "tail_read_error", `cannot read ${file} (${describe(err)})`);
      return undefined;
    }
  }

  /** Waits `ms`, or less if stopped. */
  private sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((r) => {
      const done = () => {
        clearTimeout(t);
        this.sleepers.delete(done);
        r();
      };
      const t = setTimeout(done, ms);
      this.sleepers.add(done);
    });
  }

  /**
   * The file now at the path, if it has our inode but another first line and `chunk` (just
   * read at our offset) is its content there: the file was replaced under the same inode.
   */
  private async replacedBy(chunk: Buffer): Promise<Probe | undefined> {
    const p = await this.probeQuietly(this.path);
    if (!p || !sameId(p.id, this.seg!.id) || this.seg!.sameHead(p)) return undefined;
    const fh = await openSame(this.path, p.id);
    if (!fh) return undefined;
    try {
      const buf = Buffer.alloc(chunk.length);
      const { bytesRead } = await fh.read(buf, 0, chunk.length, this.offset);
      return bytesRead === chunk.length && buf.equals(chunk) ? p : undefined;
    } finally {
      await fh.close().catch(() => undefined);
    }
  }

  private report(level: "info" | "warn", code: string, message: string): void {
    this.opts.diagnostics.report(level, code, `${this.path}: ${message}`);
  }
}

class FileTail implements TailSource {
  private readonly followers: Follower[];
  private readonly committed = new Map<string, TailEntry>();
  private readonly dataSignal = new Signal();
  private readonly maxBatch: number;
  private rr = 0;
  private stopped = false;
  private stopping: Promise<void> | undefined;
  private dirty = false;
  private iterating = false;
  private readonly saveTimer: NodeJS.Timeout | undefined;

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
      this.saveTimer = setInterval(() => void this.saveIfDirty(), every);
      this.saveTimer.unref();
    }
  }

  async ready(): Promise<void> {
    await Promise.all(this.followers.map((f) => f.ready));
  }

  commit(): void {
    for (const f of this.followers) {
      const pos = f.deliveredPosition();
      if (!pos) continue;
      const entry: TailEntry = {
        dev: pos.seg.id.dev,
        ino: pos.seg.id.ino,
        firstLineHash: pos.seg.hash(),
        offset: pos.offset,
        line: pos.line,
      };
      const old = this.committed.get(f.key);
      if (old && sameEntry(old, entry)) continue;
      this.committed.set(f.key, entry);
      this.opts.state?.set(f.key, entry);
      this.dirty = true;
    }
  }

  positions(): Record<string, TailEntry> {
    const out: Record<string, TailEntry> = {};
    for (const [k, v] of this.committed) out[k] = { ...v };
    return out;
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.stopped = true;
      if (this.saveTimer) clearInterval(this.saveTimer);
      this.dataSignal.notify();
      await Promise.all(this.followers.map((f) => f.stop()));
      await this.saveIfDirty();
    })();
    return this.stopping;
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
        await this.stop();
        await this.saveIfDirty();
        return { done: true, value: undefined };
      }
      const batch = this.takeBatch();
      if (batch) return { done: false, value: batch };
      await this.dataSignal.wait();
      // Still inside next(): everything delivered is processed, so positions that moved without
      // new lines (a switch to a new, empty file; skipped over-long lines) can be committed.
      this.commit();
    }
  }

  private takeBatch(): RawLine[] | undefined {
    const n = this.followers.length;
    for (let k = 0; k < n; k++) {
      const f = this.followers[(this.rr + k) % n]!;
      if (!f.hasLines()) continue;
      this.rr = (this.rr + k + 1) % n;
      const batch = f.take(this.maxBatch);
      this.opts.diagnostics.count("scanwatch_lines_read_total", { source: "tail" }, batch.length);
      return batch;
    }
    return undefined;
  }

  private async saveIfDirty(): Promise<void> {
    if (!this.opts.state || !this.dirty) return;
    this.dirty = false;
    if (!(await this.opts.state.save())) this.dirty = true;
  }
}

// --- file helpers ------------------------------------------------------------------------------

async function probe(file: string): Promise<Probe | undefined> {
  let fh: FileHandle;
  try {
    fh = await open(file, "r");
  } catch (err) {
    if (errCode(err) === "ENOENT" || errCode(err) === "ENOTDIR") return undefined;
    throw err;
  }
  try {
    const st = await fh.stat({ bigint: true });
    if (!st.isFile()) return undefined;
    const buf = Buffer.alloc(FIRST_LINE_HASH_BYTES);
    const { bytesRead } = await fh.read(buf, 0, FIRST_LINE_HASH_BYTES, 0);
    const nl = buf.subarray(0, bytesRead).indexOf(10);
    const head = buf.subarray(0, nl >= 0 ? nl : bytesRead);
    return {
      id: { dev: String(st.dev), ino: String(st.ino) },
      size: Number(st.size),
      mtimeMs: Number(st.mtimeMs),
      head,
      hash: sha256(head),
    };
  } finally {
    await fh.close().catch(() => undefined);
  }
}

/** Opens `file` if it is still the file with identity `id` (it may have moved since the probe). */
async function openSame(file: string, id: Identity): Promise<FileHandle | undefined> {
  let fh: FileHandle;
  try {
    fh = await open(file, "r");
  } catch {
    return undefined;
  }
  const st = await fh.stat({ bigint: true });
  if (sameId({ dev: String(st.dev), ino: String(st.ino) }, id)) return fh;
  await fh.close().catch(() => undefined);
  return undefined;
}

/**
 * Where "the end" is for a file we join: after its last newline, so a line being written is
 * read whole once finished. If the last newline is more than MAX_LINE_BYTES back, the line
 * in progress is too long anyway: start at EOF and skip to the next newline.
 */
async function lastLineStart(fh: FileHandle, size: number): Promise<{ start: number; inLongLine: boolean }> {
  const len = Math.min(size, MAX_LINE_BYTES + 1);
  const buf = Buffer.alloc(len);
  const { bytesRead } = await fh.read(buf, 0, len, size - len);
  const nl = buf.subarray(0, bytesRead).lastIndexOf(10);
  if (nl >= 0) return { start: size - len + nl + 1, inLongLine: false };
  return size > MAX_LINE_BYTES ? { start: size, inLongLine: true } : { start: 0, inLongLine: false };
}

/** Lines before `end`, so that line numbers are those of the file even when we start at its end. */
async function countNewlines(fh: FileHandle, end: number): Promise<number> {
  const buf = Buffer.alloc(1 << 20);
  let n = 0;
  for (let pos = 0; pos < end;) {
    const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, end - pos), pos);
    if (bytesRead === 0) break;
    const view = buf.subarray(0, bytesRead);
    for (let i = view.indexOf(10); i !== -1; i = view.indexOf(10, i + 1)) n++;
    pos += bytesRead;
  }
  return n;
}

function statIdentity(file: string): Identity | undefined {
  try {
    const st = statSync(file, { bigint: true });
    return { dev: String(st.dev), ino: String(st.ino) };
  } catch {
    return undefined;
  }
}

/**
 * Ends a TailFile. Its quit() waits for a 'flush' that only comes once buffered data is
 * consumed, so we let the stream flow into nothing first (those bytes are past the committed
 * position and will be read again next time), and bound the wait anyway.
 */
async function closeTail(tail: TailFile, ended: boolean): Promise<void> {
  tail.removeAllListeners("readable");
  tail.removeAllListeners("renamed");
  tail.removeAllListeners("truncated");
  // Keep an 'error' listener: an unhandled 'error' would crash the process.
  tail.on("error", () => undefined);
  tail.on("data", () => undefined);
  if (!ended) {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((r) => (timer = setTimeout(r, QUIT_TIMEOUT_MS)));
    await Promise.race([tail.quit().catch(() => undefined), timeout]);
    clearTimeout(timer);
  }
  tail.destroy();
}

function matchesEntry(p: Probe, e: TailEntry): boolean {
  if (p.size < e.offset) return false;
  // Nothing read yet: only the inode tells it is the same file. Past line 1, the first line
  // tells it too, also after a copy (new inode, same content).
  return e.offset === 0 ? sameId(p.id, e) : p.hash === e.firstLineHash;
}

function sameId(a: Identity, b: Identity): boolean {
  return a.dev === b.dev && a.ino === b.ino;
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

function sha256(b: Buffer): string {
  return createHash("sha256").update(b).digest("hex");
}

function errCode(err: unknown): string | undefined {
  if (typeof err !== "object" || err === null) return undefined;
  const c = (err as { code?: unknown }).code;
  return typeof c === "string" ? c : undefined;
}

function describe(err: unknown): string {
  const code = errCode(err);
  const msg = err instanceof Error ? err.message : String(err);
  return code && !msg.includes(code) ? `${code}: ${msg}` : msg;
}

function withCode<E extends Error>(err: E, code: string): E {
  return Object.assign(err, { code });
}
