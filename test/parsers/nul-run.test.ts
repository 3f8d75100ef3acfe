import { describe, expect, it } from "vitest";
import { LineParser } from "../../src/parsers/line-parser.js";

/* A file written up to a crash: NULs where its last block never reached the disk, then the first
 * line after the restart glued on. That line is read; a line with NULs elsewhere stays binary. */
describe("a run of NULs before a line", () => {
  const LINE = "Nov 28 14:35:41 fw1 sshd[2]: Failed password for root from 198.51.100.8 port 5 ssh2";
  const parse = (text: string) =>
    new LineParser({ time: { zone: "UTC", year: 2026, referenceMs: Date.UTC(2026, 11, 1) } }).parse(
      text,
      "t.log",
      1,
    );

  it.each<[string, string, string | undefined]>([
    ["one NUL", "\0" + LINE, undefined],
    ["4,096 NULs", "\0".repeat(4096) + LINE, undefined],
    ["NULs only", "\0\0\0", "binary"],
    ["a NUL inside", LINE.replace("password", "pass\0word"), "binary"],
    ["NULs before and inside", "\0\0" + LINE.replace("root", "ro\0ot"), "binary"],
    ["NULs at the end", LINE + "\0\0", "binary"],
  ])("%s", (_name, text, reason) => {
    const out = parse(text);
    if (reason === undefined)
      expect(out).toMatchObject({ ok: true, event: { kind: "failure", src: "198.51.100.8" } });
    else expect(out).toMatchObject({ ok: false, reason });
  });
});
