import { Redis, type Result } from "ioredis";
import type { Diagnostics } from "../diagnostics.js";
import { sortMembers } from "./memory-store.js";
import { ESCALATE_LUA, MEMBERS_LUA, OBSERVE_LUA } from "./redis/scripts.js";
import {
  DEFAULT_MAX_MEMBERS,
  MAX_SAMPLES,
  type EscalateResult,
  type SetState,
  type WindowSnapshot,
  type WindowStore,
  type WindowUpdate,
} from "./window-store.js";

declare module "ioredis" {
  interface RedisCommander<Context> {
    /** OBSERVE_LUA: the updates of one logical key, in order. */
    scanwatchObserve(
      metaKey: string,
      tagsKey: string,
      samplesKey: string,
      base: string,
      maxMembers: number,
      maxSamples: number,
      slackMs: number,
      updatesJson: string,
    ): Result<unknown, Context>;
    /** MEMBERS_LUA: members of a dimension still in the window. */
    scanwatchMembers(metaKey: string, setKey: string): Result<unknown, Context>;
    /** ESCALATE_LUA: raise an incident atomically. */
    scanwatchEscalate(
      incidentKey: string,
      level: number,
      ttlMs: number,
      idCandidate: string,
      nowMs: number,
      slackMs: number,
    ): Result<unknown, Context>;
  }
}

export interface RedisStoreOptions {
  /** `redis://[user:password@]host:port/db` (`rediss://` for TLS). */
  url: string;
  /** Prefix of every key this store writes (default "scanwatch:"); may not contain `{` or `}`. */
  keyPrefix?: string;
  /** Exact members kept per set before switching to HyperLogLogs (default 20 000). */
  maxMembers?: number;
  diagnostics?: Diagnostics;
  /** How long one connection attempt may take, ms (default 5000). */
  connectTimeoutMs?: number;
  /** How long one command (a whole batch's script call) may take, ms (default 10 000). */
  commandTimeoutMs?: number;
}

export type StoreErrorCode =
  "STORE_UNREACHABLE" | "STORE_ERROR" | "STORE_BAD_OPTION" | "STORE_UNSUPPORTED" | "STORE_BAD_DB";

/** A RedisStore failure; `code` is stable, the message names the URL (never its password) and the fix. */
export class StoreError extends Error {
  constructor(
    message: string,
    readonly code: StoreErrorCode,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "StoreError";
  }
}

/**
 * Added to every key's TTL beyond 2 × window, and to an incident's remaining life: Redis expiry
 * runs on the wall clock, the window on event time, and a fleet's clocks disagree a little.
 */
export const TTL_SLACK_MS = 60_000;

/**
 * The shared store: WindowStore semantics in Redis (6.2 or newer, for ZADD GT), so a fleet of
 * scanwatch processes sees one window per key and alerts once per incident step.
 *
 * Cost: one `observe(updates)` is ONE pipeline round trip, whatever its size, with one atomic
 * script call per distinct logical key (its updates applied in order inside the script).
 *
 * Connection policy (why each ioredis option is set as it is):
 * - `lazyConnect`: nothing happens until `connect()` or the first call, which then fails with
 *   `STORE_UNREACHABLE` (naming the URL and the fix) instead of retrying forever.
 * - `enableOfflineQueue: false` and `autoResendUnfulfilledCommands: false`: while the link is
 *   down a call fails at once instead of queueing without bound, and a batch whose reply was lost
 *   is not resent, because resending a non-idempotent update could count events twice (a false
 *   alert) whereas a failed batch is visible to the caller, which may retry or drop it. A failed
 *   batch may still have been applied (it reached Redis, its reply did not come back).
 * - `maxRetriesPerRequest: 0`: with auto-resend off, ioredis would otherwise keep the commands in
 *   flight at a disconnect unsettled until `commandTimeout`; 0 rejects them as the link drops.
 * - `retryStrategy`: no retry before the first successful connect (fail fast at startup); after
 *   it, reconnect in the background with backoff capped at 2 s, reported through diagnostics.
 * - `commandTimeout`: a hung server fails the call instead of hanging ingestion.
 * Cluster: keys of one logical key share a hash tag, so the scripts are slot-safe, but this
 * class drives a single `Redis` connection; a Cluster client would need one pipeline per node.
 */
export class RedisStore implements WindowStore {
  readonly kind = "redis" as const;
  readonly shared = true;
  readonly keyPrefix: string;
  /** The URL without its password, as every message shows it. */
  readonly displayUrl: string;
  private readonly maxMembers: number;
  private readonly redis: Redis;
  private connecting: Promise<void> | undefined;
  private everReady = false;
  private outage = false;
  private closed = false;
  private trips = 0;

  constructor(private readonly opts: RedisStoreOptions) {
    this.displayUrl = checkUrl(opts.url);
    this.keyPrefix = opts.keyPrefix ?? "scanwatch:";
    if (/[{}]/.test(this.keyPrefix)) {
      throw new StoreError(
        `keyPrefix ${JSON.stringify(this.keyPrefix)}: must not contain "{" or "}" (they would change the Cluster hash slot)`,
        "STORE_BAD_OPTION",
      );
    }
    this.maxMembers = opts.maxMembers ?? DEFAULT_MAX_MEMBERS;
    if (!Number.isInteger(this.maxMembers) || this.maxMembers <= 0) {
      throw new StoreError(`maxMembers ${opts.maxMembers}: must be an integer > 0`, "STORE_BAD_OPTION");
    }
    const connectTimeout = opts.connectTimeoutMs ?? 5_000;
    const commandTimeout = opts.commandTimeoutMs ?? 10_000;
    for (const [name, v] of [
      ["connectTimeoutMs", connectTimeout],
      ["commandTimeoutMs", commandTimeout],
    ] as const) {
      if (!(v > 0)) throw new StoreError(`${name} ${v}: must be > 0`, "STORE_BAD_OPTION");
    }

    this.redis = new Redis(opts.url, {
      lazyConnect: true,
      connectTimeout,
      commandTimeout,
      enableOfflineQueue: false,
      autoResendUnfulfilledCommands: false,
      maxRetriesPerRequest: 0,
      retryStrategy: (times) => (this.everReady && !this.closed ? Math.min(times * 200, 2_000) : null),
    });
    this.redis.defineCommand("scanwatchObserve", { numberOfKeys: 3, lua: OBSERVE_LUA });
    this.redis.defineCommand("scanwatchMembers", { numberOfKeys: 2, lua: MEMBERS_LUA, readOnly: true });
    this.redis.defineCommand("scanwatchEscalate", { numberOfKeys: 1, lua: ESCALATE_LUA });

    // Without a listener ioredis prints every connection error; count them instead.
    this.redis.on("error", () => opts.diagnostics?.count("scanwatch_store_errors_total", { store: "redis" }));
    this.redis.on("reconnecting", () => {
      if (this.outage || !this.everReady) return;
      this.outage = true;
      opts.diagnostics?.report(
        "warn",
        "STORE_RECONNECTING",
        `lost the connection to Redis at ${this.displayUrl}; reconnecting (batches fail until it is back)`,
      );
    });
    this.redis.on("ready", () => {
      if (!this.outage) return;
      this.outage = false;
      opts.diagnostics?.report("info", "STORE_RECONNECTED", `reconnected to Redis at ${this.displayUrl}`);
    });
  }

  /** Connects and checks the server (version, scripts compile). */
  static async open(opts: RedisStoreOptions): Promise<RedisStore> {
    const s = new RedisStore(opts);
    try {
      await s.connect();
    } catch (e) {
      await s.close();
      throw e;
    }
    return s;
  }

  /** Pipeline executions and single commands sent so far (the bench's round-trip count). */
  get roundTrips(): number {
    return this.trips;
  }

  /**
   * Connects (once; later calls share the attempt). Rejects with `STORE_UNREACHABLE` within
   * about `connectTimeoutMs` when Redis cannot be reached; a later call tries again.
   */
  connect(): Promise<void> {
    if (this.closed)
      return Promise.reject(new StoreError(`RedisStore for ${this.displayUrl} is closed`, "STORE_ERROR"));
    this.connecting ??= this.doConnect().catch((e: unknown) => {
      this.connecting = undefined;
      throw e;
    });
    return this.connecting;
  }

  private async doConnect(): Promise<void> {
    try {
      await this.redis.connect();
    } catch (e) {
      this.redis.disconnect();
      throw this.unreachable(e);
    }
    this.everReady = true;
    try {
      await this.checkServer();
    } catch (e) {
      // Unusable server: drop the link so the next call checks again instead of running on it.
      this.everReady = false;
      this.redis.disconnect();
      throw e;
    }
  }

  /**
   * Checks the server once up front: ZADD GT needs 6.2, and a script that does not compile
   * should fail here, naming the URL, rather than on the first batch.
   */
  private async checkServer(): Promise<void> {
    const replies = await this.exec(
      this.redis
        .pipeline()
        .info("server")
        .script("LOAD", OBSERVE_LUA)
        .script("LOAD", MEMBERS_LUA)
        .script("LOAD", ESCALATE_LUA)
        .client("INFO"),
    );
    // ioredis selects the URL's database on connect, and a server without it answers that with
    // an error ioredis does not pass on: the connection stays on database 0. Say so instead.
    const want = Number(this.redis.options.db ?? 0);
    const client = replies[4];
    const db = typeof client === "string" ? /\bdb=(\d+)/.exec(client) : null;
    if (db && Number(db[1]) !== want) {
      throw new StoreError(
        `Redis at ${this.displayUrl} has no database ${want} (the connection is on database ${db[1]}); use an index below the server's "databases" setting`,
        "STORE_BAD_DB",
      );
    }
    const info = replies[0];
    const version = typeof info === "string" ? /redis_version:(\d+)\.(\d+)/.exec(info) : null;
    if (version && Number(version[1]) * 100 + Number(version[2]) < 602) {
      throw new StoreError(
        `Redis at ${this.displayUrl} is version ${version[1]}.${version[2]}; scanwatch needs Redis 6.2 or newer (or use --store memory)`,
        "STORE_UNSUPPORTED",
      );
    }
  }

  async observe(updates: WindowUpdate[]): Promise<WindowSnapshot[]> {
    if (updates.length === 0) return [];
    await this.ready();
    // One script call per logical key, carrying its updates in batch order.
    const groups = new Map<string, number[]>();
    for (let i = 0; i < updates.length; i++) {
      const key = (updates[i] as WindowUpdate).key;
      const g = groups.get(key);
      if (g) g.push(i);
      else groups.set(key, [i]);
    }
    const pipe = this.redis.pipeline();
    for (const [key, idx] of groups) {
      const base = this.base(key);
      const payload = idx.map((i) => encodeUpdate(updates[i] as WindowUpdate));
      pipe.scanwatchObserve(
        `${base}:m`,
        `${base}:t`,
        `${base}:s`,
        base,
        this.maxMembers,
        MAX_SAMPLES,
        TTL_SLACK_MS,
        JSON.stringify(payload),
      );
    }
    const replies = await this.exec(pipe);
    const out = new Array<WindowSnapshot>(updates.length);
    let g = 0;
    for (const idx of groups.values()) {
      const reply = replies[g++];
      if (!Array.isArray(reply) || reply.length !== idx.length) throw badReply("observe", reply);
      idx.forEach((i, j) => (out[i] = parseSnapshot(reply[j])));
    }
    return out;
  }

  async members(key: string, dim: string, limit: number): Promise<string[]> {
    await this.ready();
    const base = this.base(key);
    const reply = await this.send(() =>
      this.redis.scanwatchMembers(`${base}:m`, `${base}:z:${escapePart(dim)}`),
    );
    if (!isStringArray(reply)) throw badReply("members", reply);
    return sortMembers(reply).slice(0, Math.max(0, limit));
  }

  async samples(key: string): Promise<string[]> {
    await this.ready();
    return this.send(() => this.redis.lrange(`${this.base(key)}:s`, 0, -1));
  }

  async escalate(
    incident: string,
    level: number,
    ttlMs: number,
    idCandidate: string,
    nowMs: number,
  ): Promise<EscalateResult> {
    if (!(ttlMs >= 0)) throw new StoreError(`escalate ttlMs ${ttlMs}: must be >= 0`, "STORE_BAD_OPTION");
    await this.ready();
    const key = `${this.keyPrefix}{${escapePart(incident)}}:i`;
    const r = await this.send(() =>
      this.redis.scanwatchEscalate(key, level, ttlMs, idCandidate, nowMs, TTL_SLACK_MS),
    );
    if (!Array.isArray(r) || r.length !== 4 || typeof r[1] !== "string") throw badReply("escalate", r);
    return { raised: Number(r[0]) === 1, id: r[1], level: Number(r[2]), created: Number(r[3]) === 1 };
  }

  /** Logical keys present under the prefix (one SCAN round trip per 1000 keys or so). */
  async size(): Promise<number> {
    await this.ready();
    const match = `${globEscape(this.keyPrefix)}{*}:m`;
    const seen = new Set<string>(); // SCAN may return a key twice while the keyspace rehashes
    let cursor = "0";
    do {
      const [next, keys] = await this.send(() => this.redis.scan(cursor, "MATCH", match, "COUNT", 1000));
      for (const k of keys) seen.add(k);
      cursor = next;
    } while (cursor !== "0");
    return seen.size;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.redis.status === "ready") {
      try {
        await this.redis.quit();
        return;
      } catch {
        // Fall through: the link is going anyway.
      }
    }
    this.redis.disconnect();
  }

  /** `P{K}`: every Redis key of logical key K starts with this, so all share K's hash slot. */
  private base(key: string): string {
    return `${this.keyPrefix}{${escapePart(key)}}`;
  }

  private async ready(): Promise<void> {
    if (this.redis.status === "ready") return;
    if (this.closed) throw new StoreError(`RedisStore for ${this.displayUrl} is closed`, "STORE_ERROR");
    if (!this.everReady) return this.connect();
    throw this.unreachable(new Error(`connection ${this.redis.status}`));
  }

  private async send<T>(cmd: () => Promise<T>): Promise<T> {
    this.trips++;
    try {
      return await cmd();
    } catch (e) {
      throw this.failure(e);
    }
  }

  private async exec(pipe: ReturnType<Redis["pipeline"]>): Promise<unknown[]> {
    this.trips++;
    let replies: [Error | null, unknown][] | null;
    try {
      replies = await pipe.exec();
    } catch (e) {
      throw this.failure(e);
    }
    if (!replies) throw this.unreachable(new Error("pipeline aborted"));
    return replies.map(([err, value]) => {
      if (err) throw this.failure(err);
      return value;
    });
  }

  private failure(e: unknown): StoreError {
    if (e instanceof StoreError) return e;
    const msg = e instanceof Error ? e.message : String(e);
    if (
      this.redis.status !== "ready" ||
      /Connection is closed|isn't writeable|timed out|MaxRetriesPerRequest/i.test(msg)
    ) {
      return this.unreachable(e);
    }
    return new StoreError(`Redis at ${this.displayUrl} failed: ${msg}`, "STORE_ERROR", { cause: e });
  }

  private unreachable(e: unknown): StoreError {
    const why = e instanceof Error ? e.message : String(e);
    return new StoreError(
      `cannot reach Redis at ${this.displayUrl} (${why}): start redis-server there (or fix the URL), ` +
        `or run with --store memory to keep windows in process memory`,
      "STORE_UNREACHABLE",
      { cause: e },
    );
  }
}

/** Validates the URL eagerly and returns it without its password. */
function checkUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new StoreError(`url: not a URL; expected redis://host:port/db`, "STORE_BAD_OPTION");
  }
  if (u.password) u.password = "";
  const shown = u.toString();
  if (u.protocol !== "redis:" && u.protocol !== "rediss:") {
    throw new StoreError(`url ${shown}: expected redis://host:port/db or rediss://...`, "STORE_BAD_OPTION");
  }
  return shown;
}

/**
 * Keeps a logical key (or dimension) from breaking the key layout: without braces the hash tag
 * is exactly the escaped key, and without them in a dimension no set key can look like `…}:m`.
 */
function escapePart(s: string): string {
  return s.replace(/[%{}]/g, (c) => (c === "%" ? "%25" : c === "{" ? "%7B" : "%7D"));
}

function unescapePart(s: string): string {
  return s.replace(/%(25|7B|7D)/g, (_, h: string) => (h === "25" ? "%" : h === "7B" ? "{" : "}"));
}

function globEscape(s: string): string {
  return s.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

function encodeUpdate(u: WindowUpdate): unknown[] {
  const sets: [string, (string | number)[]][] = [];
  if (u.sets) {
    for (const dim in u.sets) {
      const flat: (string | number)[] = [];
      for (const [m, t] of u.sets[dim] ?? []) flat.push(m, t);
      sets.push([escapePart(dim), flat]);
    }
  }
  const tags: (string | number)[] = [];
  if (u.tags) for (const t in u.tags) tags.push(t, u.tags[t] ?? 0);
  return [u.windowMs, u.ts, u.firstTs, u.count, sets, tags, u.samples ?? []];
}

function parseSnapshot(r: unknown): WindowSnapshot {
  if (!Array.isArray(r) || r.length !== 5) throw badReply("observe", r);
  const [events, firstSeen, lastSeen, setsFlat, tagsFlat] = r as unknown[];
  if (!isStringOrNumberArray(setsFlat) || !isStringOrNumberArray(tagsFlat)) throw badReply("observe", r);
  const sets: Record<string, SetState> = {};
  for (let i = 0; i + 2 < setsFlat.length; i += 3) {
    sets[unescapePart(String(setsFlat[i]))] = {
      count: toNumber(setsFlat[i + 1]),
      estimate: Number(setsFlat[i + 2]) === 1,
    };
  }
  const tags: Record<string, number> = {};
  for (let i = 0; i + 1 < tagsFlat.length; i += 2) tags[String(tagsFlat[i])] = toNumber(tagsFlat[i + 1]);
  return {
    events: toNumber(events),
    firstSeen: toNumber(firstSeen),
    lastSeen: toNumber(lastSeen),
    sets,
    tags,
  };
}

function toNumber(v: unknown): number {
  const n = typeof v === "number" ? v : typeof v === "string" ? Number(v) : NaN;
  if (Number.isNaN(n)) throw badReply("observe", v);
  return n;
}

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === "string");
}

function isStringOrNumberArray(v: unknown): v is (string | number)[] {
  return Array.isArray(v) && v.every((x) => typeof x === "string" || typeof x === "number");
}

function badReply(what: string, r: unknown): StoreError {
  return new StoreError(
    `unexpected Redis reply to ${what}: ${JSON.stringify(r)?.slice(0, 200)}`,
    "STORE_ERROR",
  );
}
