import { describe, expect, it } from "vitest";
import { LineSplitter } from "../../src/sources/line-splitter.js";
import { MAX_LINE_BYTES } from "../../src/sources/line.js";

/** Feeds `chunks`, then ends the input; returns the lines with the offset after each. */
function split(chunks: (string | Buffer)[], s = new LineSplitter()) {
  const lines: (string | null)[] = [];
  const ends: number[] = [];
  for (const c of chunks) lines.push(...s.push(Buffer.isBuffer(c) ? c : Buffer.from(c), ends));
  const beforeEnd = s.lineEnd;
  lines.push(...s.end(ends));
  return { lines, ends, beforeEnd, fed: s.fed, tooLong: s.tooLong };
}

const long = "x".repeat(MAX_LINE_BYTES + 1);

describe("line splitter offsets", () => {
  it.each([
    ["one chunk", ["a\nbc\n"], ["a", "bc"], [2, 5], 5],
    ["a line split across chunks", ["ab", "c\nd", "e\n"], ["abc", "de"], [4, 7], 7],
    ["CRLF counts the CR", ["a\r\nb\r\n"], ["a", "b"], [3, 6], 6],
    ["a last line without newline ends at the end", ["a\nbc"], ["a", "bc"], [2, 4], 2],
    [
      "an overlong line keeps its place",
      [`${long}\nok\n`],
      [null, "ok"],
      [MAX_LINE_BYTES + 2, MAX_LINE_BYTES + 5],
      MAX_LINE_BYTES + 5,
    ],
    ["an overlong last line without newline", ["ok\n", long], ["ok", null], [3, MAX_LINE_BYTES + 4], 3],
  ])("splitter/%s", (_name, chunks, lines, ends, beforeEnd) => {
    const r = split(chunks);
    expect(r.lines).toEqual(lines);
    expect(r.ends).toEqual(ends);
    // Where a reader that restarts before `end()` must begin: after the last newline.
    expect(r.beforeEnd).toBe(beforeEnd);
  });

  it("splitter/joining inside an overlong line skips to the next newline, counted once", () => {
    const s = new LineSplitter({ inLongLine: true });
    const r = split(["rest of a long line\nnext\n"], s);
    expect(r.lines).toEqual([null, "next"]);
    expect(r.ends).toEqual([20, 25]);
    expect(r.tooLong).toBe(1);
  });

  it("splitter/end leaves the splitter ready for more input", () => {
    const s = new LineSplitter();
    expect(s.push(Buffer.from("partial"))).toEqual([]);
    expect(s.end()).toEqual(["partial"]);
    expect(s.push(Buffer.from("next\n"))).toEqual(["next"]);
    expect(s.lineEnd).toBe(12);
  });
});
