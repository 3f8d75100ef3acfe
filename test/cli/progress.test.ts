import { describe, expect, it } from "vitest";
import { Progress } from "../../src/cli/progress.js";

describe("progress bar", () => {
  it("a first frame shows how much was read, no rate or time left before there is one", () => {
    const frames: string[] = [];
    const out = { write: (s: string) => frames.push(s) } as unknown as NodeJS.WriteStream;
    const p = new Progress(4 << 20, out);
    p.add(1 << 20);
    expect(frames).toHaveLength(1);
    expect(frames[0]).toMatch(/ 25% 1\.0 MB\/4\.0 MB\x1b\[K$/);
    expect(frames[0]).not.toMatch(/lines\/s|eta/);
    p.clear();
    expect(frames[1]).toBe("\r\x1b[K");
  });
});
