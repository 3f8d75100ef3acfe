import { describe, expect, it } from "vitest";
import type { Probe } from "../../src/sources/file-tail/fs-probe.js";
import { planStart, type StartPlan, type StartProbes } from "../../src/sources/file-tail/resume.js";
import type { TailEntry } from "../../src/sources/tail-state.js";

/*
 * Where a follower starts, as a table: the saved entry, what is on disk, the decision. The disk
 * is described by probes only (inode, size, first-line hash, mtime), so no file is touched.
 */

const H1 = "a".repeat(64); // the first line of the file we were reading
const H2 = "b".repeat(64); // another first line

function file(ino: string, size: number, hash = H1, mtimeMs = 1000): Probe {
  return { id: { dev: "1", ino }, size, mtimeMs, head: Buffer.alloc(0), hash };
}

function saved(ino: string, offset: number, line: number, hash = H1): TailEntry {
  return { dev: "1", ino, firstLineHash: hash, offset, line };
}

const none: StartProbes = { current: undefined, rotated: [], fromStart: false };
const at = (p: Partial<StartProbes>): StartProbes => ({ ...none, ...p });
const id = (ino: string) => ({ dev: "1", ino });

const cases: [string, TailEntry | undefined, StartProbes, StartPlan][] = [
  // Nothing saved.
  ["first start, no file", undefined, none, { kind: "wait" }],
  [
    "first start joins at the end",
    undefined,
    at({ current: file("7", 500) }),
    { kind: "end", id: id("7"), hash: H1 },
  ],
  [
    "first start with --from-start",
    undefined,
    at({ current: file("7", 500), fromStart: true }),
    { kind: "fresh", id: id("7") },
  ],
  // Saved, and the file is still there.
  [
    "same file grew",
    saved("7", 300, 3),
    at({ current: file("7", 500) }),
    { kind: "resume", id: id("7"), offset: 300, line: 3, knownHash: H1 },
  ],
  [
    "same file, nothing read yet (offset 0: the inode decides)",
    saved("7", 0, 0),
    at({ current: file("7", 500, H2) }),
    { kind: "resume", id: id("7"), offset: 0, line: 0, knownHash: undefined },
  ],
  [
    "a copy at the path (new inode, same content) is resumed too",
    saved("7", 300, 3),
    at({ current: file("9", 500) }),
    { kind: "resume", id: id("9"), offset: 300, line: 3, knownHash: H1 },
  ],
  // Rotated while stopped.
  [
    "renamed to .1, a new file at the path",
    saved("7", 300, 3),
    at({ current: file("8", 40, H2), rotated: [{ file: "/l/kern.log.1", probe: file("7", 450) }] }),
    { kind: "drain", file: "/l/kern.log.1", id: id("7"), offset: 300, line: 3, knownHash: H1 },
  ],
  [
    "the same inode beats a copy with the same content",
    saved("7", 300, 3),
    at({
      current: file("9", 400),
      rotated: [{ file: "/l/kern.log.1", probe: file("7", 450, H1, 500) }],
    }),
    { kind: "drain", file: "/l/kern.log.1", id: id("7"), offset: 300, line: 3, knownHash: H1 },
  ],
  [
    "among copies (copytruncate keeps several) the newest wins",
    saved("7", 300, 3),
    at({
      current: file("8", 10, H2),
      rotated: [
        { file: "/l/kern.log.2", probe: file("5", 400, H1, 100) },
        { file: "/l/kern.log.1", probe: file("6", 400, H1, 900) },
      ],
    }),
    { kind: "drain", file: "/l/kern.log.1", id: id("6"), offset: 300, line: 3, knownHash: H1 },
  ],
  [
    "a rotated file shorter than the saved offset is not it",
    saved("7", 300, 3),
    at({ current: file("8", 10, H2), rotated: [{ file: "/l/kern.log.1", probe: file("7", 200) }] }),
    { kind: "fresh", id: id("8"), lost: { offset: 300, line: 3 } },
  ],
  // The saved file is gone.
  [
    "truncated below the saved offset: read the path from its start, report the loss",
    saved("7", 300, 3),
    at({ current: file("7", 100) }),
    { kind: "fresh", id: id("7"), lost: { offset: 300, line: 3 } },
  ],
  [
    "another file at the path, nothing rotated",
    saved("7", 300, 3),
    at({ current: file("8", 900, H2) }),
    { kind: "fresh", id: id("8"), lost: { offset: 300, line: 3 } },
  ],
  [
    "saved at offset 0 and replaced: nothing was read, nothing is lost",
    saved("7", 0, 0),
    at({ current: file("8", 900, H2) }),
    { kind: "fresh", id: id("8") },
  ],
  ["path gone, nothing rotated", saved("7", 300, 3), none, { kind: "wait", lost: { offset: 300, line: 3 } }],
  [
    "path gone but the file is at .1",
    saved("7", 300, 3),
    at({ rotated: [{ file: "/l/kern.log.1", probe: file("7", 300) }] }),
    { kind: "drain", file: "/l/kern.log.1", id: id("7"), offset: 300, line: 3, knownHash: H1 },
  ],
  [
    "a saved position wins over --from-start",
    saved("7", 300, 3),
    at({ current: file("7", 500), fromStart: true }),
    { kind: "resume", id: id("7"), offset: 300, line: 3, knownHash: H1 },
  ],
];

describe("planStart", () => {
  it.each(cases)("resume/%s", (_name, entry, probes, want) => {
    expect(planStart(entry, probes)).toEqual(want);
  });
});
