import type { Writable } from "node:stream";

/**
 * Writes to a stream with backpressure: resolves when the stream has room again (undefined when
 * it has room now). A stream whose reader went away (`| head` closed the pipe: EPIPE) takes
 * nothing more and never drains; writing to it is then a no-op, so a writer never waits forever.
 */
export function writeOut(stream: Writable, text: string): Promise<void> | undefined {
  if (stream.destroyed || stream.writableEnded) return undefined;
  if (stream.write(text)) return undefined;
  return new Promise((resolve) => {
    const done = () => {
      stream.off("drain", done);
      stream.off("close", done);
      stream.off("error", done);
      resolve();
    };
    stream.once("drain", done);
    stream.once("close", done);
    stream.once("error", done);
  });
}
