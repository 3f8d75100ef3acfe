import { mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { linesBefore } from "../../src/sources/lines-before.js";
import type { TailEntry } from "../../src/sources/tail-state.js";

const dir = mkdtempSync(join(tmpdir(), "lines-before-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A saved position after the first `lines` lines of `path`, as the tail source saves it. */
function at(path: string, lines: number): TailEntry {
  const st = statSync(path, { bigint: true });
  const text = readFileSync(path, "utf8");
  let offset = 0;
  for (let i = 0; i < lines; i++) offset = text.indexOf("\n", offset) + 1;
  return {
    dev: String(st.dev),
    ino: String(st.ino),
    firstLineHash: "0".repeat(64),
    offset: Buffer.byteLength(text.slice(0, offset)),
    line: lines,
  };
}

describe("lines-before", () => {
  const f = join(dir, "kern.log");
  writeFileSync(f, "one\ntwo\r\nthree\nfour\nfive-not-yet-ended");

  it("lines-before/the whole lines before a position, numbered as read", async () => {
    expect(await linesBefore(f, at(f, 3))).toEqual([
      { text: "one", file: f, line: 1 },
      { text: "two", file: f, line: 2 },
      { text: "three", file: f, line: 3 },
    ]);
  });

  it("lines-before/at most maxBytes: the line cut at the start is left out", async () => {
    // "three\nfour\n" is 11 bytes; 13 reach back into "two\r\n" without its start.
    expect((await linesBefore(f, at(f, 4), 13)).map((l) => [l.text, l.line])).toEqual([
      ["three", 3],
      ["four", 4],
    ]);
  });

  it("lines-before/nothing once the file is another (rotated, truncated) or gone", async () => {
    const pos = at(f, 4);
    expect(await linesBefore(f, { ...pos, ino: String(BigInt(pos.ino) + 1n) })).toEqual([]);
    expect(await linesBefore(f, { ...pos, offset: 10_000 })).toEqual([]);
    expect(await linesBefore(join(dir, "absent.log"), pos)).toEqual([]);
    const g = join(dir, "rotated.log");
    writeFileSync(g, "a\nb\n");
    const before = at(g, 2);
    renameSync(g, `${g}.1`);
    writeFileSync(g, "c\nd\n");
    expect(await linesBefore(g, before)).toEqual([]);
  });
});
