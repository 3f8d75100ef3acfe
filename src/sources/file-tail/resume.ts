import type { TailEntry } from "../tail-state.js";
import { sameId, type Identity, type Probe } from "./fs-probe.js";

/** What a follower found when it started: the file at its path and the rotated files beside it. */
export interface StartProbes {
  /** The file at the followed path, if there is one. */
  current: Probe | undefined;
  /** Files with rotated names beside it (`<name>.1`, `<name>-20240131`), in any order. */
  rotated: readonly { file: string; probe: Probe }[];
  /** `--from-start`: a file never seen before is read from its beginning, not its end. */
  fromStart: boolean;
}

/** Where reading begins: `line` lines of the file come before `offset`. */
interface At {
  id: Identity;
  offset: number;
  line: number;
  /** The saved first-line hash, when reading starts past the first line and so never sees it. */
  knownHash: string | undefined;
}

/** The saved position could not be found: lines written after the last save are lost. */
export interface Lost {
  offset: number;
  line: number;
}

export type StartPlan =
  /** The saved file is still at the path: go on from the saved position. */
  | ({ kind: "resume" } & At)
  /** The saved file was rotated to `file` while we were stopped: read its rest, then the path. */
  | ({ kind: "drain"; file: string } & At)
  /** Read the file at the path from byte 0. */
  | { kind: "fresh"; id: Identity; lost?: Lost }
  /** Join the file at the path at its end (after its last newline). */
  | { kind: "end"; id: Identity; hash: string }
  /** Nothing at the path: wait for it. */
  | { kind: "wait"; lost?: Lost };

/**
 * Decides where a follower starts, from the saved entry (if any) and what is on disk now. Pure.
 *
 * A saved position is looked for first at the path, then among rotated names; a candidate with
 * the same inode *and* content beats one that matches by content only (a copy, as copytruncate
 * makes), and among rotated copies the newest wins. A file matches when it is at least as long as
 * the saved offset and, past line 1, starts with the saved first line; at offset 0 only the inode
 * can tell. When the saved file is nowhere, the path is read from its start (its lines are all
 * new to us) and, if the saved position was past byte 0, the loss is reported.
 */
export function planStart(saved: TailEntry | undefined, probes: StartProbes): StartPlan {
  const { current } = probes;
  if (saved) {
    const rotated = probes.rotated
      .filter((r) => matchesEntry(r.probe, saved))
      .sort((a, b) => b.probe.mtimeMs - a.probe.mtimeMs);
    const strong = (p: Probe) => sameId(p.id, saved) && matchesEntry(p, saved);
    const at = (id: Identity): At => ({
      id,
      offset: saved.offset,
      line: saved.line,
      knownHash: saved.offset > 0 ? saved.firstLineHash : undefined,
    });
    if (current && strong(current)) return { kind: "resume", ...at(current.id) };
    const strongRotated = rotated.find((r) => strong(r.probe));
    if (strongRotated) return { kind: "drain", file: strongRotated.file, ...at(strongRotated.probe.id) };
    if (current && matchesEntry(current, saved)) return { kind: "resume", ...at(current.id) };
    const copy = rotated[0];
    if (copy) return { kind: "drain", file: copy.file, ...at(copy.probe.id) };
    const lost = saved.offset > 0 ? { offset: saved.offset, line: saved.line } : undefined;
    if (current) return { kind: "fresh", id: current.id, ...(lost ? { lost } : {}) };
    return { kind: "wait", ...(lost ? { lost } : {}) };
  }
  if (!current) return { kind: "wait" };
  if (probes.fromStart) return { kind: "fresh", id: current.id };
  return { kind: "end", id: current.id, hash: current.hash };
}

/** Could `p` be the file `e` was saved from? */
export function matchesEntry(p: Probe, e: TailEntry): boolean {
  if (p.size < e.offset) return false;
  // Nothing read yet: only the inode tells it is the same file. Past line 1, the first line
  // tells it too, also after a copy (new inode, same content).
  return e.offset === 0 ? sameId(p.id, e) : p.hash === e.firstLineHash;
}
