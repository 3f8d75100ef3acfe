/**
 * The port every detector keeps its state behind. Two implementations pass one conformance
 * suite (test/detect/window-store.contract.ts): MemoryStore (embedded, one machine) and
 * RedisStore (shared by a fleet, survives restarts).
 *
 * Semantics, shared by both:
 * - A key holds, for one window length, a sliding event count, distinct-member sets (one per
 *   named dimension: ports, hosts, sources...), counters ("tags") and a few evidence samples.
 * - Time is event time: a key's clock is the largest `ts` it has seen. Members older than
 *   clock - window drop out; counts are kept in buckets of window/10 and summed over the window.
 * - A key that sees nothing for a whole window starts over: first-seen, tags and samples reset.
 * - A set never holds more than `maxMembers` exact members. Past that it keeps a HyperLogLog
 *   per bucket and reports the union's estimate with `estimate: true` until the window has
 *   slid past the overflow.
 * Implementations must not read the wall clock for any of this (TTL-based expiry of whole
 * keys in Redis is only a memory bound and is always longer than the window).
 */
export interface WindowUpdate {
  key: string;
  windowMs: number;
  /** Latest and earliest event time in this update, epoch ms. */
  ts: number;
  firstTs: number;
  /** Events to add to the sliding count. */
  count: number;
  /** Per dimension, members with the time they were seen. */
  sets?: Record<string, Map<string, number>>;
  /** Counters added to the key's tags (reset with the key). */
  tags?: Record<string, number>;
  /** Evidence references ("file:line"); the first `MAX_SAMPLES` of an incident are kept. */
  samples?: string[];
}

export interface SetState {
  count: number;
  estimate: boolean;
}

export interface WindowSnapshot {
  events: number;
  firstSeen: number;
  lastSeen: number;
  sets: Record<string, SetState>;
  tags: Record<string, number>;
}

export interface EscalateResult {
  /** True when this call raised the incident to `level` (the caller should alert). */
  raised: boolean;
  id: string;
  /** The incident's level after the call. */
  level: number;
  /** True when the incident did not exist before this call. */
  created: boolean;
}

export interface WindowStore {
  readonly kind: "memory" | "redis";
  /** Applies updates (many keys at once) and returns each key's state after its update, in order. */
  observe(updates: WindowUpdate[]): Promise<WindowSnapshot[]>;
  /** Up to `limit` members of a dimension still in the window, sorted as strings. */
  members(key: string, dim: string, limit: number): Promise<string[]>;
  /** The evidence samples kept for a key, oldest first. */
  samples(key: string): Promise<string[]>;
  /**
   * Raises incident `incident` to `level` if it is currently lower (or absent), atomically, so
   * that many scanwatch processes sharing one store alert once per step. The incident expires
   * `ttlMs` after its last escalation (the rule's cooldown); `idCandidate` becomes its id when new.
   * `nowMs` is event time.
   */
  escalate(
    incident: string,
    level: number,
    ttlMs: number,
    idCandidate: string,
    nowMs: number,
  ): Promise<EscalateResult>;
  /** Keys tracked right now (for bounds checks and metrics). */
  size(): Promise<number>;
  close(): Promise<void>;
}

export const MAX_SAMPLES = 5;
export const BUCKETS_PER_WINDOW = 10;
export const DEFAULT_MAX_MEMBERS = 20_000;

export function bucketMs(windowMs: number): number {
  return Math.max(100, Math.floor(windowMs / BUCKETS_PER_WINDOW));
}
