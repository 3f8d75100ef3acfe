import { execFileSync } from "node:child_process";
import {
  appendFileSync,
  chmodSync,
  closeSync,
  copyFileSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Diagnostics } from "../../src/diagnostics.js";
import { tailFiles, type TailOptions, type TailSource } from "../../src/sources/file-tail/index.js";
import { MAX_LINE_BYTES, type RawLine } from "../../src/sources/line.js";
import { TailState } from "../../src/sources/tail-state.js";

const POLL = 20;

let dir: string;
let running: TailSource[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "scanwatch-tail-"));
});

afterEach(async () => {
  await Promise.all(running.map((s) => s.stop()));
  running = [];
  await rm(dir, { recursive: true, force: true });
});

/** Awaits `cond` with a deadline; the failure names what was awaited. */
async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Long enough for several polls: lets a wrongly repeated or premature line show up. */
const settle = () => new Promise((r) => setTimeout(r, POLL * 6));

interface Run {
  src: TailSource;
  diagnostics: Diagnostics;
  got: RawLine[];
  batches: RawLine[][];
  done: Promise<void>;
  texts(): string[];
  lineNos(): number[];
}

function run(paths: string[], extra: Partial<TailOptions> = {}): Run {
  const diagnostics = extra.diagnostics ?? new Diagnostics();
  const src = tailFiles(paths, { fromStart: false, pollMs: POLL, ...extra, diagnostics });
  running.push(src);
  const got: RawLine[] = [];
  const batches: RawLine[][] = [];
  const done = (async () => {
    for await (const b of src) {
      batches.push(b);
      got.push(...b);
    }
  })();
  return {
    src,
    diagnostics,
    got,
    batches,
    done,
    texts: () => got.map((l) => l.text),
    lineNos: () => got.map((l) => l.line),
  };
}

function reported(d: Diagnostics, code: string): number {
  return d
    .series("scanwatch_diagnostics_total")
    .reduce((n, [k, v]) => (k.includes(`"${code}"`) ? n + v : n), 0);
}

describe("file-tail", () => {
  it("tail/append while tailing", async () => {
    const f = join(dir, "ufw.log");
    writeFileSync(f, "old1\nold2\n");
    const r = run([f]);
    await r.src.ready();
    appendFileSync(f, "new1\nnew2\n");
    await until(() => r.got.length >= 2, "two appended lines");
    expect(r.texts()).toEqual(["new1", "new2"]);
    expect(r.lineNos()).toEqual([3, 4]); // numbered as in the file, although we started at its end
    expect(r.got[0]!.file).toBe(f);

    appendFileSync(f, "par"); // a write in progress: no newline yet
    await settle();
    expect(r.texts()).toEqual(["new1", "new2"]);
    appendFileSync(f, "tial\r\n");
    await until(() => r.got.length >= 3, "the completed line");
    expect(r.texts()).toEqual(["new1", "new2", "partial"]);
  });

  it.each([
    { fromStart: false, want: ["c"], lines: [3] },
    { fromStart: true, want: ["a", "b", "c"], lines: [1, 2, 3] },
  ])("tail/existing content with fromStart=$fromStart", async ({ fromStart, want, lines }) => {
    const f = join(dir, "auth.log");
    writeFileSync(f, "a\nb\n");
    const r = run([f], { fromStart });
    await r.src.ready();
    appendFileSync(f, "c\n");
    await until(() => r.texts().includes("c"), "the appended line");
    await settle();
    expect(r.texts()).toEqual(want);
    expect(r.lineNos()).toEqual(lines);
  });

  it("tail/start at end keeps an unfinished last line whole", async () => {
    const f = join(dir, "kern.log");
    writeFileSync(f, "a\nhalf-");
    const r = run([f]);
    await r.src.ready();
    appendFileSync(f, "written\nb\n");
    await until(() => r.got.length >= 2, "two lines");
    expect(r.texts()).toEqual(["half-written", "b"]);
    expect(r.lineNos()).toEqual([2, 3]);
  });

  it("tail/rename and create while running", async () => {
    const f = join(dir, "ufw.log");
    writeFileSync(f, "a1\n");
    const r = run([f], { fromStart: true });
    await until(() => r.got.length >= 1, "a1");
    // The writer keeps its descriptor across the rename (as rsyslog does until HUP), writes a
    // last line and a half, then the new file appears.
    const fd = openSync(f, "a");
    renameSync(f, `${f}.1`);
    writeSync(fd, "a2\na3-without-newline");
    closeSync(fd);
    writeFileSync(f, "b1\nb2\n");
    await until(() => r.got.length >= 5, "old rest and new file");
    await settle();
    expect(r.texts()).toEqual(["a1", "a2", "a3-without-newline", "b1", "b2"]);
    expect(r.lineNos()).toEqual([1, 2, 3, 1, 2]);
    expect(r.diagnostics.get("scanwatch_tail_rotations_total", { kind: "rename" })).toBe(1);
  });

  it("tail/rename with the new file created later", async () => {
    const f = join(dir, "ufw.log");
    writeFileSync(f, "a1\n");
    const r = run([f], { fromStart: true });
    await until(() => r.got.length >= 1, "a1");
    appendFileSync(f, "a2\na3-held");
    renameSync(f, `${f}.1`);
    await until(() => reported(r.diagnostics, "tail_waiting") > 0, "the waiting report");
    expect(r.texts()).toEqual(["a1", "a2", "a3-held"]); // rotated away: the held line is emitted
    writeFileSync(f, "b1\n");
    await until(() => r.got.length >= 4, "the new file");
    await settle();
    expect(r.texts()).toEqual(["a1", "a2", "a3-held", "b1"]);
    expect(r.lineNos()).toEqual([1, 2, 3, 1]);
  });

  it("tail/rename while the consumer lags behind", async () => {
    const f = join(dir, "busy.log");
    const n = 6000; // more than a follower queues: reading stops until the consumer catches up
    writeFileSync(f, Array.from({ length: n }, (_, i) => `a${i + 1}\n`).join(""));
    const diagnostics = new Diagnostics();
    const src = tailFiles([f], { fromStart: true, pollMs: POLL, diagnostics, maxBatchLines: 1000 });
    running.push(src);
    const it = src[Symbol.asyncIterator]();
    const got: RawLine[] = [...((await it.next()).value as RawLine[])];
    const fd = openSync(f, "a");
    renameSync(f, `${f}.1`);
    writeSync(fd, "a-last\n");
    closeSync(fd);
    writeFileSync(f, "b1\nb2\n");
    await settle(); // rotation noticed while lines still wait unread
    while (!got.some((l) => l.text === "b2")) got.push(...((await it.next()).value as RawLine[]));
    const texts = got.map((l) => l.text);
    expect(texts).toHaveLength(n + 3);
    expect(texts.slice(n - 1)).toEqual([`a${n}`, "a-last", "b1", "b2"]);
    expect(got.slice(n).map((l) => l.line)).toEqual([n + 1, 1, 2]);
  });

  it("tail/switch to an empty new file is committed without new lines", async () => {
    const f = join(dir, "ufw.log");
    writeFileSync(f, "a1\n");
    const r = run([f], { fromStart: true });
    await until(() => r.got.length >= 1, "a1");
    renameSync(f, `${f}.1`);
    writeFileSync(f, "");
    const newIno = String(statSync(f, { bigint: true }).ino);
    await until(() => r.src.positions()[f]?.ino === newIno, "the position in the new file");
    expect(r.src.positions()[f]).toMatchObject({ offset: 0, line: 0 });
  });

  it("tail/copytruncate", async () => {
    const f = join(dir, "app.log");
    writeFileSync(f, "a1\na2\na3-held");
    const r = run([f], { fromStart: true });
    await until(() => r.got.length >= 2, "a1 a2");
    copyFileSync(f, `${f}.1`);
    truncateSync(f, 0);
    appendFileSync(f, "b1\n"); // shorter than what we read: seen as a truncation
    await until(() => r.texts().includes("b1"), "b1");
    await settle();
    expect(r.texts()).toEqual(["a1", "a2", "a3-held", "b1"]);
    expect(r.lineNos()).toEqual([1, 2, 3, 1]);
    expect(r.diagnostics.get("scanwatch_tail_rotations_total", { kind: "truncate" })).toBe(1);
  });

  it("tail/copytruncate regrown past our offset before a poll", async () => {
    const f = join(dir, "app.log");
    writeFileSync(f, "a1\na2\n");
    const r = run([f], { fromStart: true });
    await until(() => r.got.length >= 2, "a1 a2");
    copyFileSync(f, `${f}.1`);
    truncateSync(f, 0);
    appendFileSync(f, "b1-now-longer-than-the-old-file\nb2\n");
    await until(() => r.texts().includes("b2"), "b2");
    await settle();
    // Read from our old offset, this would give "w-longer-than-the-old-file".
    expect(r.texts()).toEqual(["a1", "a2", "b1-now-longer-than-the-old-file", "b2"]);
    expect(r.lineNos()).toEqual([1, 2, 1, 2]);
  });

  it("tail/missing at start then created", async () => {
    const f = join(dir, "later.log");
    const r = run([f]);
    await r.src.ready();
    await until(() => reported(r.diagnostics, "tail_waiting") === 1, "the waiting report");
    expect(r.diagnostics.get("scanwatch_tail_waiting", { file: f })).toBe(1);
    writeFileSync(f, "x1\nx2\n"); // created after we started: all of it is new
    await until(() => r.got.length >= 2, "x1 x2");
    expect(r.texts()).toEqual(["x1", "x2"]);
    expect(r.lineNos()).toEqual([1, 2]);
    expect(r.diagnostics.get("scanwatch_tail_waiting", { file: f })).toBe(0);
  });

  it.each([
    { kind: "shorter", content: "b1\n" },
    { kind: "longer", content: "b1-the-new-file-is-longer-than-the-old\nb2\n" },
  ])("tail/delete and recreate ($kind)", async ({ content }) => {
    const f = join(dir, "app.log");
    writeFileSync(f, "a1\na2\na3\n");
    const r = run([f], { fromStart: true });
    await until(() => r.got.length >= 3, "a1..a3");
    unlinkSync(f);
    writeFileSync(f, content); // ext4 hands the same inode number back
    const want = ["a1", "a2", "a3", ...content.trimEnd().split("\n")];
    await until(() => r.got.length >= want.length, "the new file");
    await settle();
    expect(r.texts()).toEqual(want);
    expect(r.lineNos().slice(3)).toEqual(want.slice(3).map((_, i) => i + 1));
  });

  it("tail/delete, then recreate after a pause", async () => {
    const f = join(dir, "app.log");
    writeFileSync(f, "a1\na2\n");
    const r = run([f], { fromStart: true });
    await until(() => r.got.length >= 2, "a1 a2");
    unlinkSync(f); // nothing holds the inode once the rest is read: the new file may get it back
    await until(() => reported(r.diagnostics, "tail_waiting") > 0, "the waiting report");
    writeFileSync(f, "b1-longer-than-the-old-file\nb2\n");
    await until(() => r.got.length >= 4, "the new file");
    await settle();
    expect(r.texts()).toEqual(["a1", "a2", "b1-longer-than-the-old-file", "b2"]);
    expect(r.lineNos()).toEqual([1, 2, 1, 2]);
  });

  it("tail/commit covers only delivered batches", async () => {
    const f = join(dir, "bulk.log");
    writeFileSync(f, Array.from({ length: 2000 }, (_, i) => `l${i + 1}\n`).join(""));
    const diagnostics = new Diagnostics();
    const src = tailFiles([f], { fromStart: true, pollMs: POLL, diagnostics, maxBatchLines: 10 });
    running.push(src);
    const it = src[Symbol.asyncIterator]();
    const first = await it.next();
    expect(first.value).toHaveLength(10);
    await settle(); // the follower reads ahead into its queue meanwhile
    src.commit();
    expect(src.positions()[f]).toMatchObject({
      line: 10,
      offset: "l1\nl2\nl3\nl4\nl5\nl6\nl7\nl8\nl9\nl10\n".length,
    });
    await it.next(); // asking for the next batch acknowledges the first
    await it.next();
    expect(src.positions()[f]).toMatchObject({ line: 20 });
    await it.return!();
    expect(src.positions()[f]).toMatchObject({ line: 20 }); // leaving the loop acknowledges nothing
  });

  it("tail/resume from state after stop", async () => {
    const f = join(dir, "ufw.log");
    const statePath = join(dir, "state", "state.json");
    writeFileSync(f, "a1\na2\n");
    const d1 = new Diagnostics();
    const r1 = run([f], { fromStart: true, state: TailState.empty(statePath, d1), diagnostics: d1 });
    await until(() => r1.got.length >= 2, "a1 a2");
    await r1.src.stop();
    await r1.done;
    const saved = JSON.parse(readFileSync(statePath, "utf8")) as { files: Record<string, unknown> };
    expect(saved.files[f]).toMatchObject({ offset: 6, line: 2 });

    appendFileSync(f, "a3\na4\n");
    const d2 = new Diagnostics();
    // fromStart is ignored for a file with a saved position.
    const r2 = run([f], { fromStart: true, state: await TailState.load(statePath, d2), diagnostics: d2 });
    await until(() => r2.got.length >= 2, "a3 a4");
    await settle();
    expect(r2.texts()).toEqual(["a3", "a4"]);
    expect(r2.lineNos()).toEqual([3, 4]);
    expect(reported(d2, "tail_resumed")).toBe(1);
  });

  it("tail/stop while a batch is in flight saves that batch's commit", async () => {
    const f = join(dir, "ufw.log");
    const statePath = join(dir, "state.json");
    writeFileSync(f, "a1\na2\n");
    const d = new Diagnostics();
    const src = tailFiles([f], {
      fromStart: true,
      pollMs: POLL,
      diagnostics: d,
      state: TailState.empty(statePath, d),
      saveEveryMs: 0,
    });
    running.push(src);
    // The loop of `scanwatch tail`: a signal stops the source while a slow store holds the batch.
    let stopped: Promise<void> | undefined;
    for await (const _batch of src) {
      stopped = src.stop(); // SIGTERM arrives
      await new Promise((r) => setTimeout(r, 200)); // the store takes its time
      src.commit(); // the batch is done
      break; // the loop sees `stopping`; leaving it calls stop() again through return()
    }
    await stopped;
    const saved = JSON.parse(readFileSync(statePath, "utf8")) as { files: Record<string, unknown> };
    expect(saved.files[f]).toMatchObject({ offset: 6, line: 2 });
  });

  it("tail/every stop() resolves after the save it caused is on disk", async () => {
    const f = join(dir, "ufw.log");
    const statePath = join(dir, "state.json");
    writeFileSync(f, "a1\na2\n");
    const d = new Diagnostics();
    const r = run([f], {
      fromStart: true,
      state: TailState.empty(statePath, d),
      diagnostics: d,
      saveEveryMs: 0,
    });
    await until(() => r.got.length >= 2, "a1 a2");
    r.src.commit();
    // A signal handler's stop and the loop's own stop overlap; the caller of the second may exit at once.
    void r.src.stop();
    await r.src.stop();
    expect(JSON.parse(readFileSync(statePath, "utf8"))).toMatchObject({ files: { [f]: { offset: 6 } } });
  });

  it("tail/resume after a crash replays only what the last save did not cover", async () => {
    const f = join(dir, "ufw.log");
    const statePath = join(dir, "state.json");
    const crashCopy = join(dir, "state-at-crash.json");
    writeFileSync(f, "a1\na2\n");
    const d1 = new Diagnostics();
    const state = TailState.empty(statePath, d1);
    const r1 = run([f], { fromStart: true, state, diagnostics: d1, saveEveryMs: 0 });
    await until(() => r1.got.length >= 2, "a1 a2");
    r1.src.commit();
    expect(await state.save()).toBe(true);
    copyFileSync(statePath, crashCopy); // what a kill -9 now would leave
    appendFileSync(f, "a3\n");
    await until(() => r1.got.length >= 3, "a3");
    await r1.src.stop();

    appendFileSync(f, "a4\n");
    const d2 = new Diagnostics();
    const r2 = run([f], { state: await TailState.load(crashCopy, d2), diagnostics: d2 });
    await until(() => r2.got.length >= 2, "a3 a4");
    await settle();
    expect(r2.texts()).toEqual(["a3", "a4"]); // a3 was delivered after the save: replayed once
  });

  it.each([".1", "-20240131"])("tail/rotated to %s while stopped", async (suffix) => {
    const f = join(dir, "ufw.log");
    const statePath = join(dir, "state.json");
    writeFileSync(f, "a1\na2\n");
    const d1 = new Diagnostics();
    const r1 = run([f], { fromStart: true, state: TailState.empty(statePath, d1), diagnostics: d1 });
    await until(() => r1.got.length >= 2, "a1 a2");
    await r1.src.stop();

    appendFileSync(f, "a3\na4-last-without-newline");
    renameSync(f, `${f}${suffix}`);
    writeFileSync(f, "b1\nb2\n");
    writeFileSync(`${f}.2`, "unrelated old file\n");
    const d2 = new Diagnostics();
    const r2 = run([f], { state: await TailState.load(statePath, d2), diagnostics: d2 });
    await until(() => r2.got.length >= 4, "rest of the rotated file and the new one");
    await settle();
    expect(r2.texts()).toEqual(["a3", "a4-last-without-newline", "b1", "b2"]);
    expect(r2.lineNos()).toEqual([3, 4, 1, 2]);
    expect(r2.got.every((l) => l.file === f)).toBe(true);
    expect(reported(d2, "tail_resume_rotated")).toBe(1);
  });

  it("tail/rotated while stopped, new file with the same first line", async () => {
    const f = join(dir, "ufw.log");
    const statePath = join(dir, "state.json");
    writeFileSync(f, "# log started\na1\n");
    const d1 = new Diagnostics();
    const r1 = run([f], { fromStart: true, state: TailState.empty(statePath, d1), diagnostics: d1 });
    await until(() => r1.got.length >= 2, "header and a1");
    await r1.src.stop();

    appendFileSync(f, "a2\n");
    renameSync(f, `${f}.1`);
    writeFileSync(f, "# log started\nb1\nb2\nb3\n"); // same first line, long enough for the offset
    const d2 = new Diagnostics();
    const r2 = run([f], { state: await TailState.load(statePath, d2), diagnostics: d2 });
    await until(() => r2.got.length >= 5, "rest of .1 and the new file");
    await settle();
    // The inode decides first: the saved file is .1, not the look-alike at the path.
    expect(r2.texts()).toEqual(["a2", "# log started", "b1", "b2", "b3"]);
  });

  it("tail/saved file gone while stopped is reported", async () => {
    const f = join(dir, "ufw.log");
    const statePath = join(dir, "state.json");
    writeFileSync(f, "a1\n");
    const d1 = new Diagnostics();
    const r1 = run([f], { fromStart: true, state: TailState.empty(statePath, d1), diagnostics: d1 });
    await until(() => r1.got.length >= 1, "a1");
    await r1.src.stop();
    unlinkSync(f);
    writeFileSync(f, "x\nb1\n");
    const d2 = new Diagnostics();
    const r2 = run([f], { state: await TailState.load(statePath, d2), diagnostics: d2 });
    await until(() => r2.got.length >= 2, "the new file");
    expect(r2.texts()).toEqual(["x", "b1"]);
    expect(reported(d2, "tail_resume_lost")).toBe(1);
  });

  it("tail/overlong lines skipped and counted", async () => {
    const f = join(dir, "big.log");
    writeFileSync(f, "");
    const r = run([f]);
    await r.src.ready();
    const exact = "e".repeat(MAX_LINE_BYTES);
    appendFileSync(f, `ok1\n${"x".repeat(MAX_LINE_BYTES + 1)}\n${exact}\nok2\n`);
    // An overlong line arriving in pieces is dropped without being held whole.
    appendFileSync(f, "y".repeat(MAX_LINE_BYTES - 10));
    await settle();
    appendFileSync(f, `${"y".repeat(20)}\nok3\n`);
    await until(() => r.texts().includes("ok3"), "ok3");
    expect(r.texts()).toEqual(["ok1", exact, "ok2", "ok3"]);
    expect(r.lineNos()).toEqual([1, 3, 4, 6]);
    expect(r.diagnostics.get("scanwatch_lines_rejected_total", { reason: "too-long" })).toBe(2);
  });

  it("tail/many lines arrive in order, in bounded batches", async () => {
    const f = join(dir, "bulk.log");
    const n = 20_000;
    writeFileSync(f, Array.from({ length: n }, (_, i) => `line ${i + 1}\n`).join(""));
    const r = run([f], { fromStart: true, maxBatchLines: 500 });
    await until(() => r.got.length >= n, "all lines");
    expect(r.got.every((l, i) => l.text === `line ${i + 1}` && l.line === i + 1)).toBe(true);
    expect(Math.max(...r.batches.map((b) => b.length))).toBeLessThanOrEqual(500);
  });

  it("tail/two files", async () => {
    const a = join(dir, "a.log");
    const b = join(dir, "b.log");
    writeFileSync(a, "");
    writeFileSync(b, "");
    const r = run([a, b]);
    await r.src.ready();
    appendFileSync(a, "a1\n");
    appendFileSync(b, "b1\nb2\n");
    await until(() => r.got.length >= 3, "three lines");
    expect(r.got.filter((l) => l.file === a).map((l) => l.text)).toEqual(["a1"]);
    expect(r.got.filter((l) => l.file === b).map((l) => l.text)).toEqual(["b1", "b2"]);
    await r.src.stop();
    expect(Object.keys(r.src.positions()).sort()).toEqual([a, b].sort());
  });

  it("tail/invalid options", () => {
    const diagnostics = new Diagnostics();
    expect(() => tailFiles([], { fromStart: false, diagnostics })).toThrow(/paths/);
    expect(() => tailFiles(["x"], { fromStart: false, diagnostics, pollMs: 0 })).toThrow(/pollMs/);
  });
});

describe("tail-state", () => {
  const entry = {
    dev: "2049",
    ino: "18446744073709551615",
    firstLineHash: "ab".repeat(32),
    offset: 42,
    line: 3,
  };

  it("tail/state save then load", async () => {
    const p = join(dir, "nested", "state.json");
    const d = new Diagnostics();
    const s = TailState.empty(p, d);
    s.set("/var/log/ufw.log", entry);
    expect(await s.save()).toBe(true);
    const loaded = await TailState.load(p, d);
    expect(loaded.get("/var/log/ufw.log")).toEqual(entry); // the 64-bit inode survives
    expect(await readdir(join(dir, "nested"))).toEqual(["state.json"]); // no temp file left
    expect(reported(d, "state_write_failed")).toBe(0);
  });

  it("tail/state missing file is empty", async () => {
    const d = new Diagnostics();
    const s = await TailState.load(join(dir, "none.json"), d);
    expect(s.toJSON()).toEqual({});
    expect(d.series("scanwatch_diagnostics_total")).toEqual([]);
  });

  it.each([
    ["not JSON", "{garbage"],
    ["wrong shape", JSON.stringify({ version: 1, files: { "/x": { ...entry, offset: -1 } } })],
  ])("tail/state corrupt (%s)", async (_what, body) => {
    const p = join(dir, "state.json");
    writeFileSync(p, body);
    const d = new Diagnostics();
    const s = await TailState.load(p, d);
    expect(s.toJSON()).toEqual({});
    expect(reported(d, "state_corrupt")).toBe(1);
    expect(readFileSync(`${p}.corrupt`, "utf8")).toBe(body);
  });

  it("tail/state save where the directory cannot be created", async () => {
    const blocker = join(dir, "a-file");
    writeFileSync(blocker, "");
    const d = new Diagnostics();
    const s = TailState.empty(join(blocker, "state.json"), d);
    s.set("/x", entry);
    await expect(s.save()).resolves.toBe(false);
    await expect(s.save()).resolves.toBe(false);
    expect(reported(d, "state_write_failed")).toBe(1); // reported once per run of failures
    expect(d.get("scanwatch_state_save_failures_total")).toBe(2);
  });

  it("tail/state save into a non-writable dir keeps the old file", async (ctx) => {
    const sub = join(dir, "ro");
    const p = join(sub, "state.json");
    const d = new Diagnostics();
    const s = TailState.empty(p, d);
    s.set("/x", entry);
    expect(await s.save()).toBe(true);
    const before = readFileSync(p, "utf8");
    const unlock = lockDir(sub);
    if (!unlock) return ctx.skip();
    try {
      s.set("/x", { ...entry, offset: 99 });
      await expect(s.save()).resolves.toBe(false);
      expect(readFileSync(p, "utf8")).toBe(before);
      expect(reported(d, "state_write_failed")).toBe(1);
    } finally {
      unlock();
    }
  });
});

/** Makes `d` unwritable (root ignores modes, so chattr +i then); undefined if impossible here. */
function lockDir(d: string): (() => void) | undefined {
  if (process.getuid?.() !== 0) {
    chmodSync(d, 0o555);
    return () => chmodSync(d, 0o755);
  }
  try {
    execFileSync("chattr", ["+i", d], { stdio: "ignore" });
    return () => execFileSync("chattr", ["-i", d], { stdio: "ignore" });
  } catch {
    return undefined;
  }
}
