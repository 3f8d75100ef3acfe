import { UsageError } from "./usage-error.js";

/** More parse workers than this gains nothing: the engine, in one thread, is the slower half. */
const MAX_WORKERS = 64;

/**
 * `--workers N`: parse threads for `analyze`. 1 (the default) parses in the main thread: on the
 * bench's logs 2 workers were slower (analyze 0.92x on the kernel log, 0.99x on the auth log,
 * 1.09x on the flood) and heavier (peak RSS 286 against 122 MB), since decoding the workers'
 * events costs the main thread about what parsing them did.
 */
export function workersOption(v: string | undefined): number {
  if (v === undefined) return 1;
  const n = v.trim() === "" ? NaN : Number(v);
  if (!Number.isInteger(n) || n < 1 || n > MAX_WORKERS)
    throw new UsageError(`--workers: expected a whole number from 1 to ${MAX_WORKERS}, got "${v}"`);
  return n;
}
