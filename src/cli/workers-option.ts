import { availableParallelism } from "node:os";
import { UsageError } from "./usage-error.js";

/** More parse workers than this gains nothing: the engine, in one thread, is the slower half. */
const MAX_WORKERS = 64;

/**
 * `--workers N`: parse threads for `analyze`. 1 parses in the main thread, as before; the default
 * is one per core, at most 2: with more, the main thread (decoding events and running the
 * engine) falls behind and the extra workers wait.
 */
export function workersOption(v: string | undefined, cores = availableParallelism()): number {
  if (v === undefined) return Math.max(1, Math.min(2, cores));
  const n = v.trim() === "" ? NaN : Number(v);
  if (!Number.isInteger(n) || n < 1 || n > MAX_WORKERS)
    throw new UsageError(`--workers: expected a whole number from 1 to ${MAX_WORKERS}, got "${v}"`);
  return n;
}
