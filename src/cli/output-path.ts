import { constants } from "node:fs";
import { access, stat } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { UsageError } from "./usage-error.js";

/**
 * Checks where an output flag (`--report`, `--out`) will write before any work is done, so an
 * hour-long analysis does not end in "no such folder", nor lose its alerts one by one: the path
 * must not be a folder, its folder must exist, and what is there must be writable by this user.
 * `special`: a device or a named pipe is fine too (`--out /dev/stderr`). Returns the path.
 */
export async function checkOutputPath(
  flag: string,
  path: string,
  example: string,
  special = false,
): Promise<string> {
  if (path === "") throw new UsageError(`${flag}: give a file name, e.g. ${flag} ${example}`);
  const target = await stat(path).catch(() => undefined);
  if (target?.isDirectory())
    throw new UsageError(
      `${flag}: ${path} is a folder; give a file name, e.g. ${flag} ${join(path, example)}`,
    );
  if (target && !target.isFile() && !special)
    throw new UsageError(`${flag}: ${path} exists and is not a regular file`);
  const dir = dirname(resolve(path));
  const parent = await stat(dir).catch(() => undefined);
  if (!parent)
    throw new UsageError(`${flag}: the folder ${dir} does not exist; create it first or choose another path`);
  if (!parent.isDirectory()) throw new UsageError(`${flag}: ${dir} is not a folder`);
  const writable = (p: string) =>
    access(p, constants.W_OK).then(
      () => true,
      () => false,
    );
  if (target ? !(await writable(path)) : !(await writable(dir)))
    throw new UsageError(
      `${flag}: ${target ? path : `the folder ${dir}`} is not writable by this user; choose another path or fix its permissions`,
    );
  return path;
}
