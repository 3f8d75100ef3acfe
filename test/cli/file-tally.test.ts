import { describe, expect, it } from "vitest";
import { FileTally } from "../../src/cli/file-tally.js";

describe("FileTally.liveWarning", () => {
  const raw = (file: string) => ({ file, line: 1, text: "" }) as never;
  it.each<[string, number, boolean, boolean]>([
    // what, lines, any with a header, warned
    ["100 lines of binary", 100, false, true],
    ["99 lines of binary", 99, false, false],
    ["a log whose first line is a header", 100, true, false],
  ])("%s", (_what, lines, header, warned) => {
    const t = new FileTally();
    for (let i = 0; i < lines; i++)
      t.record(
        raw("f"),
        header && i === 0
          ? { ok: false, reason: "unknown-program", format: "rfc3164" }
          : { ok: false, reason: "binary" },
      );
    const w = t.liveWarning("f");
    expect(w !== undefined).toBe(warned);
    if (warned) {
      expect(w).toMatch(
        /nothing in f looked like a log line \(100 lines.*binary file\?\); still following it/,
      );
      expect(t.liveWarning("f")).toBeUndefined(); // once per file
    }
  });
});
