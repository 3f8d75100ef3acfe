/**
 * The one definition of a sliding window, shared by the engine's own windows, the memory store,
 * the Redis scripts and the reference implementation in the tests.
 *
 * A window of length W is kept in N buckets of b ms: b = max(100, floor(W / 10)) and
 * N = floor(W / b) (10 for every W ≥ 1 s). A key's clock T is the latest event time it has seen.
 * An event at time t counts in the key's window iff
 *
 *     windowStart(T) ≤ t ≤ T,   windowStart(T) = (floor(T / b) − N + 1) · b
 *
 * so the window always covers whole buckets, ends at T and starts in (T − W, T − W + b]: it
 * never counts an event older than T − W, and it may miss events in the oldest b ms of
 * [T − W, T]. That is the error bound the bucketing gives: at most one bucket (a tenth of the
 * window) at its old end, never an event outside it. Distinct members count the same way, by
 * the time each member was last seen.
 */
export interface WindowSpec {
  readonly windowMs: number;
  readonly bucketMs: number;
  readonly buckets: number;
}

export const BUCKETS_PER_WINDOW = 10;
export const MIN_BUCKET_MS = 100;

export function bucketMsFor(windowMs: number): number {
  return Math.max(MIN_BUCKET_MS, Math.floor(windowMs / BUCKETS_PER_WINDOW));
}

/** The spec of a window; `undefined` when the window is shorter than one bucket. */
export function windowSpec(windowMs: number): WindowSpec | undefined {
  const bucketMs = bucketMsFor(windowMs);
  const buckets = Math.floor(windowMs / bucketMs);
  if (buckets < 1) return undefined;
  return { windowMs, bucketMs, buckets };
}

export function bucketOf(spec: WindowSpec, t: number): number {
  return Math.floor(t / spec.bucketMs);
}

/** The oldest bucket that counts for a key whose clock is `clock`. */
export function oldestBucket(spec: WindowSpec, clock: number): number {
  return Math.floor(clock / spec.bucketMs) - spec.buckets + 1;
}

/** The earliest event time that counts for a key whose clock is `clock`. */
export function windowStart(spec: WindowSpec, clock: number): number {
  return oldestBucket(spec, clock) * spec.bucketMs;
}
