import { randomBytes } from "node:crypto";
import { mkdir, open, rename, rm, type FileHandle } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

export interface AtomicWriteOptions {
  /** Mode of the new file. Default 0o640. */
  mode?: number;
  /** Create the parent directory (with this mode) when missing. Default: do not. */
  mkdirMode?: number;
}

/**
 * Replaces `path` with `content` so that a crash, a power cut or a full disk at any moment leaves
 * either the old content or the new, never a mix or an empty file: the content goes to a
 * temporary file in the same directory (`.<name>.<pid>.<random>.tmp`), is fsynced, renamed over
 * `path`, and the directory is fsynced so the rename itself survives a power cut.
 *
 * Throws the file system's error (with its `code`) when the write fails; the temporary file is
 * removed and `path` is untouched. Readers that scan the directory should ignore `*.tmp`.
 */
export async function writeFileAtomic(
  path: string,
  content: string,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  let fh: FileHandle | undefined;
  try {
    if (options.mkdirMode !== undefined) await mkdir(dir, { recursive: true, mode: options.mkdirMode });
    fh = await open(tmp, "wx", options.mode ?? 0o640);
    await fh.writeFile(content, "utf8");
    // Without the fsync a crash right after the rename can leave an empty file on ext4 and xfs.
    await fh.sync();
    await fh.close();
    fh = undefined;
    await rename(tmp, path);
  } catch (err) {
    await fh?.close().catch(() => undefined);
    await rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
  await syncDir(dir);
}

/**
 * Makes renames and creations in `dir` durable. Best effort: some file systems refuse fsync on a
 * directory; the file is then whole, merely less certain to survive a power cut.
 */
export async function syncDir(dir: string): Promise<void> {
  let d: FileHandle | undefined;
  try {
    d = await open(dir, "r");
    await d.sync();
  } catch {
    // best effort, see above
  } finally {
    await d?.close().catch(() => undefined);
  }
}
