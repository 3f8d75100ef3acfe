import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Diagnostics, type DiagnosticMessage } from "../../src/diagnostics.js";
import { Spool, type SpoolOptions } from "../../src/sinks/spool.js";

let dir: string;
let diagnostics: Diagnostics;
let messages: DiagnosticMessage[];

beforeEach(async () => {
  dir = join(await mkdtemp(join(tmpdir(), "scanwatch-spool-")), "q");
  diagnostics = new Diagnostics();
  messages = [];
  diagnostics.onReport((m) => messages.push(m));
});

afterEach(async () => {
  await rm(join(dir, ".."), { recursive: true, force: true });
});

function spool(over: Partial<SpoolOptions> = {}): Spool {
  return new Spool({ dir, diagnostics, ...over });
}

function codes(): string[] {
  return messages.map((m) => m.code);
}

describe("spool", () => {
  it("spool/peek returns the oldest entry and ack removes it", async () => {
    const s = spool();
    expect(await s.enqueue("a", "id-a")).toBe(true);
    expect(await s.enqueue("b", "id-b")).toBe(true);
    const head = await s.peek();
    expect(head).toMatchObject({ body: "a", id: "id-a" });
    await s.ack(head?.seq ?? -1);
    expect(await s.peek()).toMatchObject({ body: "b", id: "id-b" });
    expect(s.depth()).toBe(1);
    expect(await readdir(dir)).toHaveLength(1);
    expect(diagnostics.get("scanwatch_spool_depth")).toBe(1);
  });

  it("spool/overlapping enqueues keep call order", async () => {
    const s = spool();
    await Promise.all(Array.from({ length: 30 }, (_, i) => s.enqueue(String(i), `id-${i}`)));
    const seen: string[] = [];
    for (let e = await s.peek(); e; e = await s.peek()) {
      seen.push(e.body);
      await s.ack(e.seq);
    }
    expect(seen).toEqual(Array.from({ length: 30 }, (_, i) => String(i)));
  });

  it("spool/restart reloads entries in order and continues the sequence", async () => {
    const before = spool();
    for (const b of ["a", "b", "c"]) await before.enqueue(b, b);
    const first = await before.peek();
    await before.ack(first?.seq ?? -1);

    const after = spool();
    expect(await after.open()).toBe(true);
    expect(after.depth()).toBe(2);
    expect(codes()).toContain("spool_loaded");
    await after.enqueue("d", "d");
    const bodies: string[] = [];
    const seqs: number[] = [];
    for (let e = await after.peek(); e; e = await after.peek()) {
      bodies.push(e.body);
      seqs.push(e.seq);
      await after.ack(e.seq);
    }
    expect(bodies).toEqual(["b", "c", "d"]);
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    expect(new Set(seqs).size).toBe(3);
  });

  it("spool/open removes temp files left by a crash", async () => {
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, "0000000000000007.json.tmp"), '{"id":"half');
    await writeFile(join(dir, "0000000000000003.json"), JSON.stringify({ id: "x", body: "kept" }));
    const s = spool();
    await s.open();
    expect(await readdir(dir)).toEqual(["0000000000000003.json"]);
    expect(await s.peek()).toMatchObject({ seq: 3, body: "kept" });
  });

  it("spool/corrupt entry is moved aside and skipped", async () => {
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, "0000000000000001.json"), "not json");
    await writeFile(join(dir, "0000000000000002.json"), JSON.stringify({ id: "ok", body: "fine" }));
    const s = spool();
    expect(await s.peek()).toMatchObject({ seq: 2, body: "fine" });
    expect(codes()).toContain("spool_corrupt_entry");
    expect((await readdir(dir)).sort()).toEqual(["0000000000000001.json.corrupt", "0000000000000002.json"]);
  });

  it("spool/max entries refuses, reports once per episode and counts drops", async () => {
    const s = spool({ maxEntries: 2 });
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await s.enqueue(`b${i}`, `i${i}`));
    expect(results).toEqual([true, true, false, false, false]);
    expect(diagnostics.get("scanwatch_spool_dropped_total", { reason: "full" })).toBe(3);
    expect(codes().filter((c) => c === "spool_full")).toHaveLength(1);
    expect(messages.find((m) => m.code === "spool_full")?.level).toBe("warn");

    const head = await s.peek();
    await s.ack(head?.seq ?? -1);
    expect(await s.enqueue("again", "again")).toBe(true);
    expect(codes()).toContain("spool_recovered");
    expect(await s.enqueue("over", "over")).toBe(false);
    expect(codes().filter((c) => c === "spool_full")).toHaveLength(2);
  });

  it("spool/max bytes refuses what would not fit", async () => {
    const s = spool({ maxBytes: 100 });
    expect(await s.enqueue("x".repeat(40), "a")).toBe(true);
    expect(await s.enqueue("x".repeat(40), "b")).toBe(false);
    expect(s.size()).toBeLessThanOrEqual(100);
    expect(codes()).toEqual(["spool_full"]);
  });

  it("spool/write failure drops the new entry and keeps the queued ones", async () => {
    const s = spool();
    await s.enqueue("a", "a");
    // A directory where the next entry goes: renaming the written entry over it fails (EISDIR), even as root.
    await mkdir(join(dir, "0000000000000002.json"));
    expect(await s.enqueue("b", "b")).toBe(false);
    expect(messages.find((m) => m.code === "spool_write_error")?.message).toContain("EISDIR");
    expect(diagnostics.get("scanwatch_spool_dropped_total", { reason: "error" })).toBe(1);
    expect(await s.peek()).toMatchObject({ body: "a" });
    expect(await s.enqueue("c", "c")).toBe(true);
    expect(s.depth()).toBe(2);
  });

  it("spool/unusable directory is reported once and never throws", async () => {
    await mkdir(join(dir, ".."), { recursive: true });
    await writeFile(dir, "a file where the spool directory should be");
    const s = spool();
    expect(await s.enqueue("a", "a")).toBe(false);
    expect(await s.enqueue("b", "b")).toBe(false);
    expect(await s.peek()).toBeUndefined();
    expect(codes()).toEqual(["spool_open_error"]);
    expect(diagnostics.get("scanwatch_spool_dropped_total", { reason: "error" })).toBe(2);
  });

  it.each([
    [{ maxEntries: 0 }, /"maxEntries" must be a positive integer/],
    [{ maxBytes: 1.5 }, /"maxBytes" must be a positive integer/],
    [{ dir: "" }, /"dir" must be/],
  ])("spool/invalid option %o", (over, message) => {
    expect(() => spool(over)).toThrow(message);
  });
});
