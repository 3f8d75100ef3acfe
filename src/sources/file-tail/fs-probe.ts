import { createHash } from "node:crypto";
import { statSync } from "node:fs";
import { open, readdir, type FileHandle } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { errCode } from "../../util/fs-errors.js";
import { MAX_LINE_BYTES } from "../line.js";
import { FIRST_LINE_HASH_BYTES } from "../tail-state.js";

/** A file identity. Decimal strings: inode numbers can exceed 2^53 (XFS, btrfs, NFS). */
export interface Identity {
  dev: string;
  ino: string;
}

/** What is at a path right now, read through one descriptor so identity and head agree. */
export interface Probe {
  id: Identity;
  size: number;
  mtimeMs: number;
  /** The first line without newline, at most FIRST_LINE_HASH_BYTES. */
  head: Buffer;
  /** sha256 (hex) of `head`. */
  hash: string;
}

/** Rotated names logrotate and friends produce: name.1, name.0, name-20240131, name-2024013112. */
const ROTATED_SUFFIX = /^(?:\.\d+|-\d{8}(?:[-_]?\d{2,6})?)$/;

/** The regular file at `file`, or `undefined` when there is none. Other faults throw. */
export async function probe(file: string): Promise<Probe | undefined> {
  let fh: FileHandle;
  try {
    fh = await open(file, "r");
  } catch (err) {
    if (errCode(err) === "ENOENT" || errCode(err) === "ENOTDIR") return undefined;
    throw err;
  }
  try {
    const st = await fh.stat({ bigint: true });
    if (!st.isFile()) return undefined;
    const buf = Buffer.alloc(FIRST_LINE_HASH_BYTES);
    const { bytesRead } = await fh.read(buf, 0, FIRST_LINE_HASH_BYTES, 0);
    const nl = buf.subarray(0, bytesRead).indexOf(10);
    const head = buf.subarray(0, nl >= 0 ? nl : bytesRead);
    return {
      id: { dev: String(st.dev), ino: String(st.ino) },
      size: Number(st.size),
      mtimeMs: Number(st.mtimeMs),
      head,
      hash: sha256(head),
    };
  } finally {
    await fh.close().catch(() => undefined);
  }
}

/** The files beside `path` with a rotated name (`<name>.1`, `<name>-20240131`...). */
export async function rotatedNames(path: string): Promise<string[]> {
  const dir = dirname(path);
  const name = basename(path);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => n.startsWith(name) && ROTATED_SUFFIX.test(n.slice(name.length)))
    .map((n) => join(dir, n));
}

/** Opens `file` if it is still the file with identity `id` (it may have moved since the probe). */
export async function openSame(file: string, id: Identity): Promise<FileHandle | undefined> {
  let fh: FileHandle;
  try {
    fh = await open(file, "r");
  } catch {
    return undefined;
  }
  const st = await fh.stat({ bigint: true });
  if (sameId({ dev: String(st.dev), ino: String(st.ino) }, id)) return fh;
  await fh.close().catch(() => undefined);
  return undefined;
}

export function statIdentity(file: string): Identity | undefined {
  try {
    const st = statSync(file, { bigint: true });
    return { dev: String(st.dev), ino: String(st.ino) };
  } catch {
    return undefined;
  }
}

/**
 * Where "the end" is for a file we join: after its last newline, so a line being written is
 * read whole once finished. If the last newline is more than MAX_LINE_BYTES back, the line
 * in progress is too long anyway: start at EOF and skip to the next newline.
 */
export async function lastLineStart(
  fh: FileHandle,
  size: number,
): Promise<{ start: number; inLongLine: boolean }> {
  const len = Math.min(size, MAX_LINE_BYTES + 1);
  const buf = Buffer.alloc(len);
  const { bytesRead } = await fh.read(buf, 0, len, size - len);
  const nl = buf.subarray(0, bytesRead).lastIndexOf(10);
  if (nl >= 0) return { start: size - len + nl + 1, inLongLine: false };
  return size > MAX_LINE_BYTES ? { start: size, inLongLine: true } : { start: 0, inLongLine: false };
}

/** Lines before `end`, so that line numbers are those of the file even when we start at its end. */
export async function countNewlines(fh: FileHandle, end: number): Promise<number> {
  const buf = Buffer.alloc(1 << 20);
  let n = 0;
  for (let pos = 0; pos < end;) {
    const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, end - pos), pos);
    if (bytesRead === 0) break;
    const view = buf.subarray(0, bytesRead);
    for (let i = view.indexOf(10); i !== -1; i = view.indexOf(10, i + 1)) n++;
    pos += bytesRead;
  }
  return n;
}

export function sameId(a: Identity, b: Identity): boolean {
  return a.dev === b.dev && a.ino === b.ino;
}

export function sha256(b: Buffer): string {
  return createHash("sha256").update(b).digest("hex");
}
