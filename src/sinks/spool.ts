import { mkdir, readdir, readFile, rename, rm, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import type { Diagnostics, Labels } from "../diagnostics.js";
import { writeFileAtomic } from "../util/atomic-write.js";
import { errCode as codeOf, fsHint } from "../util/fs-errors.js";

export const DEFAULT_SPOOL_MAX_ENTRIES = 10_000;
export const DEFAULT_SPOOL_MAX_BYTES = 50 * 1024 * 1024;

export interface SpoolOptions {
  /** The directory that holds this queue and nothing else; created if missing. */
  dir: string;
  diagnostics: Diagnostics;
  /** Most entries held at once; an enqueue beyond it is refused. Default 10 000. */
  maxEntries?: number;
  /** Most bytes of entry files held at once; an enqueue beyond it is refused. Default 50 MiB. */
  maxBytes?: number;
  /** Added to every metric this spool writes, so two spools in one process stay apart. */
  labels?: Labels;
  /** How operator messages name this spool. Default: `dir`. */
  name?: string;
}

/** One pending delivery. `seq` orders entries and is what `ack` takes. */
export interface SpoolEntry {
  seq: number;
  id: string;
  body: string;
}

interface Slot {
  seq: number;
  bytes: number;
}

// 16 digits hold every safe integer, so names sort the same as numbers in `ls` too.
const SEQ_DIGITS = 16;
const ENTRY_NAME = /^(\d{16})\.json$/;
const TMP_SUFFIX = ".tmp";
const CORRUPT_SUFFIX = ".corrupt";

/**
 * A durable, bounded, ordered queue on disk: one file per entry, named by a zero-padded sequence
 * number, oldest first.
 *
 * Contract:
 * - An entry is written to a temp file, fsynced and renamed into place, so after a crash an entry
 *   file is either whole or absent; stray temp files are removed on open. Existing entries are
 *   never rewritten, so a failing disk can lose the entry being added but not those already queued.
 * - `enqueue` resolves `false` instead of throwing when the spool is full or the disk fails; both
 *   are reported through diagnostics (`spool_full` once per fill episode, `spool_write_error`)
 *   and counted in `scanwatch_spool_dropped_total{reason}`.
 * - Entries found on open (a previous run's) come before new ones, in their order. Limits apply
 *   to new entries only: lowering them never deletes what is queued.
 * - One consumer: `peek` and `ack` assume a single caller working through the head. Enqueues may
 *   overlap each other and the consumer; they are applied in call order.
 * - One process per directory; two processes sharing one would deliver entries twice.
 */
export class Spool {
  readonly dir: string;
  readonly maxEntries: number;
  readonly maxBytes: number;
  private readonly diagnostics: Diagnostics;
  private readonly labels: Labels | undefined;
  private readonly name: string;
  private slots: Slot[] = [];
  private bytes = 0;
  private nextSeq = 1;
  private opening: Promise<boolean> | undefined;
  private openFailing = false;
  private full = false;
  private droppedWhileFull = 0;
  // Enqueues run one at a time so that seq order, file order and slot order all agree: with two in
  // flight, seq 6 could land before seq 5 and a consumer peeking in between would skip 5.
  private chain: Promise<unknown> = Promise.resolve();

  constructor(options: SpoolOptions) {
    if (typeof options.dir !== "string" || options.dir === "") {
      throw optionError(`spool: "dir" must be a non-empty directory path`);
    }
    this.dir = options.dir;
    this.maxEntries = positiveInt("maxEntries", options.maxEntries ?? DEFAULT_SPOOL_MAX_ENTRIES);
    this.maxBytes = positiveInt("maxBytes", options.maxBytes ?? DEFAULT_SPOOL_MAX_BYTES);
    this.diagnostics = options.diagnostics;
    this.labels = options.labels && Object.keys(options.labels).length > 0 ? options.labels : undefined;
    this.name = options.name ?? options.dir;
  }

  /**
   * Creates the directory and loads the entries already in it. Never throws: resolves `false`
   * (reported once as `spool_open_error`) when the directory is unusable, and the next call tries
   * again, so a spool on a late mount starts working once the mount appears.
   */
  open(): Promise<boolean> {
    this.opening ??= this.load().then((ok) => {
      if (!ok) this.opening = undefined;
      return ok;
    });
    return this.opening;
  }

  /** Entries queued now. */
  depth(): number {
    return this.slots.length;
  }

  /** Bytes of entry files queued now. */
  size(): number {
    return this.bytes;
  }

  /**
   * Appends an entry. Resolves once it is on disk (`true`) or refused (`false`: full, or a disk
   * error). Never throws.
   */
  enqueue(body: string, id: string): Promise<boolean> {
    const run = this.chain.then(() => this.add(body, id));
    this.chain = run;
    return run;
  }

  /**
   * The oldest entry, or `undefined` when there is none or it cannot be read now (reported as
   * `spool_read_error`). An entry file that is not a spool entry is renamed `*.corrupt`, reported
   * and skipped, so one bad file cannot stop delivery of the rest.
   */
  async peek(): Promise<SpoolEntry | undefined> {
    if (!(await this.open())) return undefined;
    for (;;) {
      const head = this.slots[0];
      if (!head) return undefined;
      let text: string;
      try {
        text = await readFile(this.file(head.seq), "utf8");
      } catch (err) {
        if (errCode(err) === "ENOENT") {
          // Removed behind our back (an operator clearing the spool): nothing to deliver.
          this.forget(head.seq);
          continue;
        }
        this.diagnostics.report(
          "error",
          "spool_read_error",
          `spool ${this.name}: cannot read entry ${head.seq} (${errCode(err)}); delivery waits and retries`,
        );
        return undefined;
      }
      const parsed = parseEntry(text);
      if (parsed) return { seq: head.seq, ...parsed };
      await this.quarantine(head.seq);
    }
  }

  /**
   * Removes a delivered entry. Never throws: if the file cannot be deleted the entry leaves the
   * queue anyway (so this process does not send it again) and is reported, since it would be sent
   * once more after a restart.
   */
  async ack(seq: number): Promise<void> {
    if (!this.forget(seq)) return;
    try {
      await unlink(this.file(seq));
    } catch (err) {
      if (errCode(err) === "ENOENT") return;
      this.diagnostics.report(
        "warn",
        "spool_ack_error",
        `spool ${this.name}: cannot delete delivered entry ${seq} (${errCode(err)}); it may be sent again after a restart`,
      );
    }
  }

  private async add(body: string, id: string): Promise<boolean> {
    if (!(await this.open())) {
      this.countDrop("error");
      return false;
    }
    const content = JSON.stringify({ id, body });
    const bytes = Buffer.byteLength(content);
    if (this.slots.length >= this.maxEntries || this.bytes + bytes > this.maxBytes) {
      this.refuseFull();
      return false;
    }
    const seq = this.nextSeq++;
    try {
      await writeFileAtomic(this.file(seq), content, { mode: 0o600 });
    } catch (err) {
      this.countDrop("error");
      this.diagnostics.report(
        "error",
        "spool_write_error",
        `spool ${this.name}: cannot write an entry (${errCode(err)}); this alert is dropped, queued entries are intact${hint(err, this.dir)}`,
      );
      return false;
    }
    this.slots.push({ seq, bytes });
    this.bytes += bytes;
    this.publish();
    if (this.full) {
      this.diagnostics.report(
        "info",
        "spool_recovered",
        `spool ${this.name}: accepting alerts again after dropping ${this.droppedWhileFull} while full`,
      );
      this.full = false;
      this.droppedWhileFull = 0;
    }
    return true;
  }

  private refuseFull(): void {
    this.countDrop("full");
    this.droppedWhileFull++;
    if (this.full) return;
    this.full = true;
    this.diagnostics.report(
      "warn",
      "spool_full",
      `spool ${this.name} is full (${this.slots.length} entries, ${this.bytes} bytes; limits ` +
        `${this.maxEntries} entries, ${this.maxBytes} bytes): new alerts are dropped until deliveries ` +
        `make room. Fix the endpoint or raise the spool limits.`,
    );
  }

  private async load(): Promise<boolean> {
    try {
      await mkdir(this.dir, { recursive: true });
      const found: Slot[] = [];
      for (const name of await readdir(this.dir)) {
        const path = join(this.dir, name);
        if (name.endsWith(TMP_SUFFIX)) {
          // A write cut short by a crash: never renamed, so never acknowledged to the caller.
          await rm(path, { force: true });
          continue;
        }
        const m = ENTRY_NAME.exec(name);
        if (!m?.[1]) continue;
        try {
          found.push({ seq: Number(m[1]), bytes: (await stat(path)).size });
        } catch (err) {
          if (errCode(err) !== "ENOENT") throw err;
        }
      }
      found.sort((a, b) => a.seq - b.seq);
      this.slots = found;
      this.bytes = found.reduce((n, s) => n + s.bytes, 0);
      this.nextSeq = (found.at(-1)?.seq ?? 0) + 1;
      this.openFailing = false;
      this.publish();
      if (found.length > 0) {
        this.diagnostics.report(
          "info",
          "spool_loaded",
          `spool ${this.name}: ${found.length} pending entries from a previous run are delivered first`,
        );
      }
      return true;
    } catch (err) {
      if (!this.openFailing) {
        this.openFailing = true;
        this.diagnostics.report(
          "error",
          "spool_open_error",
          `spool ${this.name}: cannot open directory ${this.dir} (${errCode(err)}); alerts are dropped until it opens${hint(err, this.dir)}`,
        );
      }
      return false;
    }
  }

  private async quarantine(seq: number): Promise<void> {
    this.forget(seq);
    const path = this.file(seq);
    await rename(path, path + CORRUPT_SUFFIX).catch(() => undefined);
    this.diagnostics.report(
      "error",
      "spool_corrupt_entry",
      `spool ${this.name}: entry ${seq} is not a valid spool entry; moved aside as ${path + CORRUPT_SUFFIX} and skipped`,
    );
  }

  private forget(seq: number): boolean {
    const i = this.slots.findIndex((s) => s.seq === seq);
    if (i < 0) return false;
    const [slot] = this.slots.splice(i, 1);
    this.bytes -= slot?.bytes ?? 0;
    this.publish();
    return true;
  }

  private countDrop(reason: "full" | "error"): void {
    this.diagnostics.count("scanwatch_spool_dropped_total", { ...this.labels, reason });
  }

  private publish(): void {
    this.diagnostics.gauge("scanwatch_spool_depth", this.slots.length, this.labels);
    this.diagnostics.gauge("scanwatch_spool_bytes", this.bytes, this.labels);
  }

  private file(seq: number): string {
    return join(this.dir, String(seq).padStart(SEQ_DIGITS, "0") + ".json");
  }
}

/** The stored form `{"id": string, "body": string}`, or `undefined` for anything else. */
function parseEntry(text: string): { id: string; body: string } | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof v !== "object" || v === null) return undefined;
  const { id, body } = v as Record<string, unknown>;
  return typeof id === "string" && typeof body === "string" ? { id, body } : undefined;
}

function errCode(err: unknown): string {
  return codeOf(err) ?? "unknown error";
}

/** The fix for the common disk faults, appended to the message. */
function hint(err: unknown, dir: string): string {
  const code = codeOf(err);
  return fsHint(err, dir) + (code === "ENOSPC" || code === "EDQUOT" ? ", or lower the spool limits" : "");
}

function positiveInt(name: string, v: number): number {
  if (!Number.isInteger(v) || v <= 0)
    throw optionError(`spool: "${name}" must be a positive integer, got ${v}`);
  return v;
}

function optionError(message: string): Error {
  return Object.assign(new Error(message), { code: "ERR_SPOOL_OPTION" });
}
