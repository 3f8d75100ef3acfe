import { UsageError } from "./usage-error.js";

/** More parse workers than this gains nothing: the engine, in one thread, is the slower half. */
const MAX_WORKERS = 64;

/**
 * `--workers N`: parse threads for `analyze`. 1 (the default) parses in the main thread: on the
 * bench's logs 2 workers are about 1.2x faster (analyze 1.16x on the kernel log, 0.98-1.25x on
 * the auth log, 1.17x on the flood) but twice as heavy (peak RSS 421 against 160 MB on the
 * kernel log), past the 200 MB the default keeps under.
 */
export function workersOption(v: string | undefined): number {
  if (v === undefined) return 1;
  const n = v.trim() === "" ? NaN : Number(v);
  if (!Number.isInteger(n) || n < 1 || n > MAX_WORKERS)
    throw new UsageError(`--workers: expected a whole number from 1 to ${MAX_WORKERS}, got "${v}"`);
  return n;
}
