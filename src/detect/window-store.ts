/**
 * Where a fleet's windows meet. The engine keeps its own exact windows for the events it reads
 * (detect/window/); a store shared by many processes (`shared: true`, RedisStore) also receives
 * every batch's window updates and answers with the fleet's windows, so that a sweep split over
 * servers is one attack. Two implementations pass one conformance suite
 * (test/detect/window-store.contract.ts): MemoryStore (in-process; the embedded default, where
 * the engine needs nothing from it) and RedisStore.
 *
 * Semantics, shared by both and by the engine's own windows (window/window-spec.ts):
 * - A key holds, for one window length W, a sliding event count, distinct-member sets (one per
 *   named dimension: ports, hosts, sources...), counters ("tags") and a few evidence samples.
 * - Time is event time: a key's clock T is the largest `ts` it has seen. Counts are kept in
 *   buckets of b = max(100 ms, W/10); an event or member counts iff its time t satisfies
 *   windowStart(T) ≤ t ≤ T with windowStart(T) = (floor(T/b) − floor(W/b) + 1)·b, a time in
 *   (T − W, T − W + b]: never an event older than T − W, at most one bucket missed at the old
 *   end. An update's `count` is booked in the bucket of its `ts`: callers send one update per
 *   key and bucket.
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
  /**
   * Every dimension the key can hold a set in (its detector's), whether or not this update has
   * members in it. A store that names every key a call touches up front (Redis) declares a set
   * for each, so that trimming one untouched this batch stays declared; without it, the key's
   * dimensions must all appear in `sets` of its updates in the call, or the store refuses it.
   */
  dims?: readonly string[];
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
  /**
   * True when the shared store could not be asked (FallbackStore while Redis is away): nothing
   * was raised anywhere, `raised` and `level` echo the request and `created` means nothing. The
   * caller decides on its own judgement and hands what it alerted to `defer`.
   */
  deferred?: boolean;
}

/** What an alert needs from the store after its verdict, for one key. */
export interface VerdictRead {
  key: string;
  /** Dimensions whose members to list (each up to `limit`, sorted as strings). */
  dims: string[];
  limit: number;
}

export interface VerdictReply {
  /** Per read, in order: members per dimension and the key's evidence samples, oldest first. */
  reads: { members: Record<string, string[]>; samples: string[] }[];
  /** Per escalation, in order. */
  escalations: EscalateResult[];
}

/** One `escalate` call's arguments, by name: batched in `verdictReads` and kept by `defer`. */
export interface EscalateRequest {
  incident: string;
  level: number;
  ttlMs: number;
  idCandidate: string;
  nowMs: number;
}

/** A small value written in the same atomic step as a batch's windows (an agent's read positions). */
export interface Commit {
  key: string;
  value: string;
}

export interface WindowStore {
  readonly kind: "memory" | "redis";
  /**
   * True when other processes' events reach this store (Redis): the engine then sends its
   * updates and reads the fleet's windows. False for the embedded store, whose windows are the
   * engine's own: the engine makes no call to it.
   */
  readonly shared: boolean;
  /** A sentence for alert evidence about the store's state (e.g. on a fallback), else undefined. */
  readonly note?: string | undefined;
  /**
   * Applies updates (many keys at once) and returns each key's state after its update, in order.
   * `commit`, when given, is stored under its key in the same step (one server: atomically with
   * the updates), for `readCommit`.
   */
  observe(updates: WindowUpdate[], commit?: Commit): Promise<WindowSnapshot[]>;
  /** The value of the last commit stored under `key`, else undefined. */
  readCommit(key: string): Promise<string | undefined>;
  /**
   * After a batch's verdicts: the reads (members, samples) of every candidate key and the
   * escalations of every incident, in one exchange. Escalations apply in order, with the
   * semantics of `escalate`; reads see the windows as `observe` left them.
   */
  verdictReads(reads: VerdictRead[], escalations: EscalateRequest[]): Promise<VerdictReply>;
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
  /**
   * Present on a store that stands in for a shared one while it is away (FallbackStore). While
   * `shared` is false the engine hands it, per batch, the window updates it would have sent
   * (in event-time order) and the escalations of the incidents it raised on its own; when the
   * shared store answers again they are written to it through `observe` and `escalate`, so the
   * fleet's windows include the outage and an incident alerted meanwhile is not alerted again.
   * `commit`, when given, is the batch's commit: the latest one kept is written with the last
   * of the updates written back, so the shared store's commit never runs ahead of its windows.
   * Must not throw and must not block; may drop what exceeds its bound, oldest first, counting it.
   */
  defer?(updates: WindowUpdate[], escalations: EscalateRequest[], commit?: Commit): void;
  /** Keys tracked right now (for bounds checks and metrics). */
  size(): Promise<number>;
  close(): Promise<void>;
}

export { MAX_SAMPLES, DEFAULT_MAX_MEMBERS } from "./window/key-window.js";
export { BUCKETS_PER_WINDOW, bucketMsFor as bucketMs } from "./window/window-spec.js";
