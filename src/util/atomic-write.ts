import { randomBytes } from "node:crypto";
import { open, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/**
 * Writes `body` to `path` through a temporary file in the same folder, fsynced, then renamed
 * over `path`: a reader sees the old file or the whole new one, never a partial write, even when
 * the process is killed half way. The temporary file is removed on failure.
 */
export async function writeFileAtomic(path: string, body: string, mode = 0o644): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  const fh = await open(tmp, "wx", mode);
  try {
    await fh.writeFile(body, "utf8");
    // Without the fsync a crash right after the rename can leave an empty file on ext4/xfs.
    await fh.sync();
    await fh.close();
    await rename(tmp, path);
  } catch (e) {
    await fh.close().catch(() => undefined);
    await rm(tmp, { force: true }).catch(() => undefined);
    throw e;
  }
}
