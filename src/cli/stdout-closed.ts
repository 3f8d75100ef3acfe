import { errCode } from "../util/fs-errors.js";

/**
 * A closed stdout (`scanwatch parse FILE | head -1`: the reader is gone, writes fail with EPIPE)
 * ends the command quietly with status 0, as `cat` and `grep` do. By default that is an exit at
 * once; a command with state to save (tail) installs its own clean stop with `onStdoutClosed`.
 */
let whenClosed: () => void = () => process.exit(0);
let watching = false;

/** Replaces what happens when stdout's reader goes away; returns a function restoring the default. */
export function onStdoutClosed(handler: () => void): () => void {
  whenClosed = handler;
  return () => {
    whenClosed = () => process.exit(0);
  };
}

/**
 * Installs the handler on `stream` (once). Any other write error on stdout (a full disk behind a
 * redirect) is reported and exits 1: output was lost.
 */
export function watchStdout(stream: NodeJS.WriteStream = process.stdout): void {
  if (watching) return;
  watching = true;
  stream.on("error", (err) => {
    if (errCode(err) === "EPIPE") {
      whenClosed();
      return;
    }
    process.stderr.write(
      `scanwatch: cannot write to stdout (${errCode(err) ?? err.message}); output is lost\n`,
    );
    process.exit(1);
  });
}
