import { copyFile, readFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { Diagnostics } from "../diagnostics.js";
import { writeFileAtomic } from "../util/atomic-write.js";
import { describeError as describe, errCode, fsHint } from "../util/fs-errors.js";

/**
 * Where `scanwatch tail` stopped in one followed path.
 *
 * `dev` and `ino` are decimal strings because inode numbers can exceed 2^53 (XFS, btrfs, NFS)
 * and a JSON number would round them. `firstLineHash` is the sha256 (hex) of the file's first
 * line without its newline, cut at 4096 bytes; when the file has no newline yet it is the hash
 * of what is there (at most 4096 bytes). `offset` is the byte where the next unread line
 * starts; `line` is how many lines of this file identity come before `offset`, so the next
 * line read is number `line + 1`.
 */
export interface TailEntry {
  dev: string;
  ino: string;
  firstLineHash: string;
  offset: number;
  line: number;
}

/** Bytes of the first line that go into `firstLineHash`. */
export const FIRST_LINE_HASH_BYTES = 4096;

const FORMAT_VERSION = 1;

/**
 * Who an agent is, in a fleet sharing one Redis: the host it runs on and an id generated once
 * and kept in its state file (or given with --agent-id), so that it stays the same agent across
 * restarts and two agents on one host are told apart.
 */
export interface AgentIdentity {
  id: string;
  host: string;
}

/** What an agent id may look like: it goes into logs, alerts and, later, Redis keys. */
export const AGENT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

/**
 * The positions of followed files, kept in memory and saved as one JSON file:
 * `{"version": 1, "files": {"/var/log/ufw.log": TailEntry, ...}}`.
 *
 * Contract: `save()` never throws and never leaves a half-written state file. It writes a
 * temporary file in the same directory, fsyncs it and renames it over the old one, so a crash
 * or a full disk at any moment leaves either the old or the new content. A failed save is
 * reported as `state_write_failed` (once per run of failures) and the next save tries again.
 */
export class TailState {
  private readonly entries = new Map<string, TailEntry>();
  private saving: Promise<boolean> = Promise.resolve(true);
  private failing = false;
  /** The detection state saved with the positions last time, as read at start (unchecked). */
  engine: unknown = undefined;
  /** When that was saved (wall time, ms), if the file said. */
  engineSavedAt: number | undefined = undefined;
  /**
   * When (wall time, ms) the saved positions were last moved: read at start, set by `set`, saved
   * with them. It tells which of two copies of one agent's positions is newer (the state file or
   * the ones committed to a shared store).
   */
  positionsAt: number | undefined = undefined;
  /** The agent's identity, as read at start and saved with every write. */
  agent: AgentIdentity | undefined = undefined;
  private snapshot:
    { capture: () => unknown; everyMs: number; gap: number; now: () => number; last: number } | undefined;
  private captured: { files: Record<string, TailEntry>; engine: unknown; at: number } | undefined;

  private constructor(
    /** The state file. */
    readonly path: string,
    private readonly diagnostics: Diagnostics,
  ) {}

  /** A state with no positions that will save to `path`. */
  static empty(path: string, diagnostics: Diagnostics): TailState {
    return new TailState(path, diagnostics);
  }

  /**
   * Reads `path`. A missing file gives an empty state. A file that is not a valid state is
   * reported as `state_corrupt`, copied to `<path>.corrupt` for inspection, and the run starts
   * empty (files are then read as if seen for the first time). Never throws.
   */
  static async load(path: string, diagnostics: Diagnostics): Promise<TailState> {
    const state = new TailState(path, diagnostics);
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (err) {
      if (errCode(err) !== "ENOENT") {
        diagnostics.report(
          "warn",
          "state_read_failed",
          `${path}: cannot read the tail state (${describe(err)}); starting without saved positions. ` +
            `Fix the permissions or point --state elsewhere.`,
        );
      }
      return state;
    }
    const parsed = parseState(text);
    if (typeof parsed === "string") {
      let kept = ` A copy is kept at ${path}.corrupt.`;
      try {
        await copyFile(path, `${path}.corrupt`);
      } catch (err) {
        kept = ` Keeping a copy at ${path}.corrupt failed (${describe(err)}).`;
      }
      diagnostics.report(
        "warn",
        "state_corrupt",
        `${path}: not a valid tail state (${parsed}); starting without saved positions.${kept}`,
      );
      return state;
    }
    for (const [file, entry] of parsed.entries) state.entries.set(file, entry);
    state.engine = parsed.engine;
    state.engineSavedAt = parsed.engineSavedAt;
    state.positionsAt = parsed.positionsAt;
    state.agent = parsed.agent;
    return state;
  }

  get(file: string): TailEntry | undefined {
    const e = this.entries.get(file);
    return e && { ...e };
  }

  set(file: string, entry: TailEntry, at: number = Date.now()): void {
    this.entries.set(file, { ...entry });
    this.positionsAt = at;
  }

  /**
   * Saves `capture()` (the detection state) in the same file as the positions, taken at the same
   * moment: from now on a save writes the positions and the state of the last `committed()`
   * that captured, never positions newer than the state. So after a crash the lines read again
   * are replayed into exactly the state that lacked them.
   */
  attachSnapshot(capture: () => unknown, everyMs: number, now: () => number = Date.now): void {
    this.snapshot = { capture, everyMs, gap: everyMs, now, last: -Infinity };
  }

  /**
   * Called when every line delivered so far has been processed: captures the positions and the
   * state together when `everyMs` passed since the last capture, or when `force` (a stop).
   * Returns true when it captured (a save has something new to write).
   */
  committed(force: boolean): boolean {
    const snap = this.snapshot;
    if (!snap) return false;
    const now = snap.now();
    if (!force && now - snap.last < snap.gap) return false;
    snap.last = now;
    const t0 = performance.now();
    this.captured = { files: this.toJSON(), engine: snap.capture(), at: now };
    // A big state is captured less often: at most a twentieth of the time goes to capturing.
    snap.gap = Math.max(snap.everyMs, 20 * (performance.now() - t0));
    return true;
  }

  /** All positions, keyed by followed path. */
  toJSON(): Record<string, TailEntry> {
    const out: Record<string, TailEntry> = {};
    for (const [k, v] of this.entries) out[k] = { ...v };
    return out;
  }

  /**
   * Writes the positions as they are now. Resolves to `false` when the write failed (reported
   * as `state_write_failed`; the previous file is untouched). Saves run one at a time in call
   * order, so the last call's content is what ends up on disk.
   */
  save(): Promise<boolean> {
    let body: string;
    if (this.snapshot) {
      const c = this.captured;
      if (!c) return this.saving;
      body =
        JSON.stringify({
          version: FORMAT_VERSION,
          agent: this.agent,
          files: c.files,
          positionsAt: c.at,
          engineSavedAt: c.at,
          engine: c.engine,
        }) + "\n";
    } else
      body =
        JSON.stringify(
          { version: FORMAT_VERSION, agent: this.agent, positionsAt: this.positionsAt, files: this.toJSON() },
          null,
          2,
        ) + "\n";
    const run = this.saving.then(() => this.write(body));
    this.saving = run;
    return run;
  }

  private async write(body: string): Promise<boolean> {
    const dir = dirname(this.path);
    try {
      await writeFileAtomic(this.path, body, { mode: 0o640, mkdirMode: 0o750 });
    } catch (err) {
      this.diagnostics.count("scanwatch_state_save_failures_total");
      if (!this.failing) {
        this.failing = true;
        this.diagnostics.report(
          "error",
          "state_write_failed",
          `${this.path}: cannot save tail positions (${describe(err)}); still running, positions are ` +
            `kept in memory and saving is retried${fsHint(err, dir) || `. Make ${dir} writable or set --state`}.`,
        );
      }
      return false;
    }
    this.failing = false;
    return true;
  }
}

/**
 * Read positions as the text an agent commits to a shared store with each batch: the state
 * file's format (with the agent that wrote them, without the detection state), so one parser
 * checks both.
 */
export function positionsText(
  files: Record<string, TailEntry>,
  agent: AgentIdentity,
  at: number = Date.now(),
): string {
  return JSON.stringify({ version: FORMAT_VERSION, agent, positionsAt: at, files });
}

/** The positions and agent of `positionsText`, or a string saying what is wrong with the text. */
export function parsePositions(
  text: string,
): { files: Map<string, TailEntry>; agent: AgentIdentity | undefined; at: number | undefined } | string {
  const parsed = parseState(text);
  return typeof parsed === "string"
    ? parsed
    : { files: parsed.entries, agent: parsed.agent, at: parsed.positionsAt };
}

/** The entries of a state file, or a string saying what is wrong with it. */
function parseState(text: string):
  | {
      entries: Map<string, TailEntry>;
      engine: unknown;
      engineSavedAt: number | undefined;
      positionsAt: number | undefined;
      agent: AgentIdentity | undefined;
    }
  | string {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return `invalid JSON: ${describe(err)}`;
  }
  if (!isRecord(doc)) return "top level is not an object";
  if (doc["version"] !== FORMAT_VERSION) return `/version: expected ${FORMAT_VERSION}`;
  const files = doc["files"];
  if (!isRecord(files)) return "/files: expected an object";
  const out = new Map<string, TailEntry>();
  for (const [file, raw] of Object.entries(files)) {
    const where = `/files/${JSON.stringify(file)}`;
    if (!isRecord(raw)) return `${where}: expected an object`;
    const { dev, ino, firstLineHash, offset, line } = raw;
    if (typeof dev !== "string" || !/^\d+$/.test(dev)) return `${where}/dev: expected a decimal string`;
    if (typeof ino !== "string" || !/^\d+$/.test(ino)) return `${where}/ino: expected a decimal string`;
    if (typeof firstLineHash !== "string" || !/^[0-9a-f]{64}$/.test(firstLineHash)) {
      return `${where}/firstLineHash: expected 64 hex digits`;
    }
    if (!isCount(offset)) return `${where}/offset: expected an integer >= 0`;
    if (!isCount(line)) return `${where}/line: expected an integer >= 0`;
    out.set(file, { dev, ino, firstLineHash, offset, line });
  }
  const savedAt = doc["engineSavedAt"];
  const positionsAt = doc["positionsAt"];
  const agent = doc["agent"];
  if (
    agent !== undefined &&
    !(
      isRecord(agent) &&
      typeof agent["id"] === "string" &&
      AGENT_ID_PATTERN.test(agent["id"]) &&
      typeof agent["host"] === "string"
    )
  )
    return `/agent: expected {"id": "${AGENT_ID_PATTERN.source}", "host": string}`;
  return {
    agent: agent === undefined ? undefined : { id: agent["id"] as string, host: agent["host"] as string },
    entries: out,
    engine: doc["engine"],
    engineSavedAt: typeof savedAt === "number" ? savedAt : undefined,
    positionsAt: typeof positionsAt === "number" && Number.isFinite(positionsAt) ? positionsAt : undefined,
  };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isCount(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}
