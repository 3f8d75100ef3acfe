import TailFile from "@logdna/tail-file";
import type { ReadStream } from "node:fs";
import type { FileHandle } from "node:fs/promises";
import { resolve } from "node:path";
import type { Diagnostics } from "../../diagnostics.js";
import { describeError as describe, errCode } from "../../util/fs-errors.js";
import { Signal } from "../../util/signal.js";
import { sleep } from "../../util/sleep.js";
import { LineSplitter } from "../line-splitter.js";
import type { RawLine } from "../line.js";
import type { TailEntry } from "../tail-state.js";
import {
  countNewlines,
  lastLineStart,
  openSame,
  probe,
  rotatedNames,
  sameId,
  statIdentity,
  type Identity,
  type Probe,
} from "./fs-probe.js";
import { planStart, type Lost, type StartPlan } from "./resume.js";
import { Segment, type Position } from "./segment.js";

export interface FollowerOptions {
  fromStart: boolean;
  diagnostics: Diagnostics;
  pollMs: number;
}

/** A follower stops reading while this many lines or bytes wait for the consumer. */
const QUEUE_MAX_LINES = 4096;
const QUEUE_MAX_BYTES = 1 << 20;
/** Bound on waiting for @logdna/tail-file's quit(), which waits for a flush that may not come. */
const QUIT_TIMEOUT_MS = 2000;
const READ_CHUNK = 64 * 1024;

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

/**
 * Follows one path through rotations. A producer loop reads only while its queue has room, so
 * a slow consumer stops the reading (and @logdna/tail-file stops polling) instead of buffering.
 * Lines are split by a LineSplitter per segment (file identity); the follower adds where each
 * line ends, so positions can be acknowledged line by line.
 */
export class Follower {
  readonly key: string;
  // The current segment and its splitter: bytes from `base` on have been fed to `splitter`.
  private seg: Segment | undefined;
  private splitter = new LineSplitter();
  private base = 0;
  private line = 0;
  private countedTooLong = 0;
  private readonly ends: number[] = [];
  // The queue of complete lines not yet taken by the consumer, with where each ends and its segment.
  private lines: RawLine[] = [];
  private lineEnds: number[] = [];
  private segs: Segment[] = [];
  private queueHead = 0;
  private queueBytes = 0;
  private lastTaken: Position | undefined;

  private readonly stopping = new AbortController();
  private readonly wake = new Signal(); // stream readable, boundary, stop
  private readonly space = new Signal(); // consumer took lines, stop
  private running: Promise<void> = Promise.resolve();
  private missing = false;
  private readyResolve!: () => void;
  readonly ready = new Promise<void>((r) => (this.readyResolve = r));

  constructor(
    readonly path: string,
    private readonly opts: FollowerOptions,
    private readonly saved: TailEntry | undefined,
    private readonly onData: () => void,
  ) {
    this.key = resolve(path);
  }

  start(): void {
    this.running = this.run();
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    this.wake.notify();
    this.space.notify();
    await this.running;
  }

  /** True while the path does not exist and the follower waits for it to appear. */
  get waiting(): boolean {
    return this.missing;
  }

  hasLines(): boolean {
    return this.queueHead < this.lines.length;
  }

  take(max: number): RawLine[] {
    const from = this.queueHead;
    const to = Math.min(this.lines.length, from + max);
    const out = this.lines.slice(from, to);
    const last = to - 1;
    this.lastTaken = { seg: this.segs[last]!, offset: this.lineEnds[last]!, line: this.lines[last]!.line };
    for (const l of out) this.queueBytes -= l.text.length;
    this.queueHead = to;
    if (this.queueHead === this.lines.length) {
      this.lines = [];
      this.lineEnds = [];
      this.segs = [];
      this.queueHead = 0;
      this.queueBytes = 0;
    } else if (this.queueHead > 1024) {
      this.lines = this.lines.slice(this.queueHead);
      this.lineEnds = this.lineEnds.slice(this.queueHead);
      this.segs = this.segs.slice(this.queueHead);
      this.queueHead = 0;
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

  private get stopped(): boolean {
    return this.stopping.signal.aborted;
  }

  /** Bytes of the current segment seen so far. */
  private get offset(): number {
    return this.base + this.splitter.fed;
  }

  /** Offset after the last complete line of the current segment (where a restart would begin). */
  private get lineEnd(): number {
    return this.base + this.splitter.lineEnd;
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
        await sleep(this.opts.pollMs, this.stopping.signal);
        step = { kind: "wait" };
      }
    }
    if (step.kind === "drain") await step.fh.close().catch(() => undefined);
  }

  /** Probes the disk, lets `planStart` decide, and carries the decision out. */
  private async plan(): Promise<Step> {
    const current = await this.probeQuietly(this.path);
    let rotated: { file: string; probe: Probe }[] = [];
    if (this.saved) {
      for (const file of await rotatedNames(this.path)) {
        const p = await this.probeQuietly(file);
        if (p) rotated.push({ file, probe: p });
      }
    }
    for (;;) {
      const plan: StartPlan = planStart(this.saved, { current, rotated, fromStart: this.opts.fromStart });
      switch (plan.kind) {
        case "resume":
          this.begin(new Segment(plan.id, plan.knownHash), plan.offset, plan.line);
          this.report("info", "tail_resumed", `resuming at byte ${plan.offset} (after line ${plan.line})`);
          return { kind: "follow", startPos: plan.offset };
        case "drain": {
          const fh = await openSame(plan.file, plan.id);
          if (!fh) {
            // Moved again since the probe: decide without it.
            rotated = rotated.filter((r) => r.file !== plan.file);
            continue;
          }
          this.begin(new Segment(plan.id, plan.knownHash), plan.offset, plan.line);
          this.report(
            "info",
            "tail_resume_rotated",
            `rotated while stopped: reading the rest of ${plan.file} from byte ${plan.offset}, then the new file`,
          );
          return { kind: "drain", file: plan.file, fh };
        }
        case "fresh":
          if (plan.lost) this.reportLost(plan.lost);
          this.begin(new Segment(plan.id), 0, 0);
          return { kind: "follow", startPos: 0 };
        case "wait":
          if (plan.lost) this.reportLost(plan.lost);
          return { kind: "wait" };
        case "end":
          return this.joinAtEnd(plan.id, plan.hash);
      }
    }
  }

  /** Starts after the last newline of the file at the path, with the file's own line numbers. */
  private async joinAtEnd(id: Identity, hash: string): Promise<Step> {
    const fh = await openSame(this.path, id);
    if (!fh) return { kind: "wait" };
    try {
      const size = (await fh.stat()).size;
      const { start, inLongLine } = await lastLineStart(fh, size);
      const lines = await countNewlines(fh, start);
      this.begin(new Segment(id, start > 0 ? hash : undefined), start, lines, inLongLine);
      this.report("info", "tail_joined", `starting at its end, byte ${start} (after line ${lines})`);
      return { kind: "follow", startPos: start };
    } finally {
      await fh.close().catch(() => undefined);
    }
  }

  private reportLost(lost: Lost): void {
    this.report(
      "warn",
      "tail_resume_lost",
      `the file saved at byte ${lost.offset} (line ${lost.line}) is neither at this path nor at a rotated ` +
        `name beside it; lines written to it after the last save are lost. Reading the current file from its start.`,
    );
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
      this.missing = p === undefined;
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
      await sleep(this.opts.pollMs, this.stopping.signal);
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
        const chunkStart = consumed;
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
          const cut = Math.max(pos, b.at - chunkStart);
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
        await sleep(this.opts.pollMs, this.stopping.signal);
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

  private begin(seg: Segment, offset: number, line: number, inLongLine = false): void {
    if (this.seg) this.onData(); // a waiting consumer commits the switch to the new file
    this.seg = seg;
    this.base = offset;
    this.line = line;
    this.splitter = new LineSplitter({ inLongLine });
    this.countedTooLong = 0;
  }

  private queueFull(): boolean {
    return this.lines.length - this.queueHead >= QUEUE_MAX_LINES || this.queueBytes >= QUEUE_MAX_BYTES;
  }

  /** Splits bytes that continue the current segment at `this.offset`. */
  private feed(chunk: Buffer): void {
    this.seg!.observe(chunk, this.offset);
    this.enqueue(this.splitter.push(chunk, this.ends));
  }

  /** Emits the line held without its newline, because no newline will come any more. */
  private flushPartial(): void {
    this.enqueue(this.splitter.end(this.ends));
  }

  /** Queues what the splitter returned (`this.ends` holds where each line ends). */
  private enqueue(texts: (string | null)[]): void {
    const seg = this.seg!;
    let queued = false;
    for (let i = 0; i < texts.length; i++) {
      const text = texts[i]!;
      this.line++;
      if (text === null) continue; // too long: counted below, its number stays used
      this.lines.push({ text, file: this.path, line: this.line });
      this.lineEnds.push(this.base + this.ends[i]!);
      this.segs.push(seg);
      this.queueBytes += text.length;
      queued = true;
    }
    this.ends.length = 0;
    const tooLong = this.splitter.tooLong - this.countedTooLong;
    if (tooLong > 0) {
      this.countedTooLong = this.splitter.tooLong;
      this.opts.diagnostics.count("scanwatch_lines_rejected_total", { reason: "too-long" }, tooLong);
    }
    if (queued) this.onData();
  }

  // --- helpers -------------------------------------------------------------------------------

  private async probeQuietly(file: string): Promise<Probe | undefined> {
    try {
      return await probe(file);
    } catch (err) {
      this.report("warn", "tail_read_error", `cannot read ${file} (${describe(err)})`);
      return undefined;
    }
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
