import type { Cluster, Redis } from "ioredis";
import type { Diagnostics } from "../../diagnostics.js";
import { sortMembers } from "../alert-builder.js";
import {
  DEFAULT_MAX_MEMBERS,
  MAX_SAMPLES,
  type Commit,
  type EscalateRequest,
  type EscalateResult,
  type VerdictRead,
  type VerdictReply,
  type WindowSnapshot,
  type WindowStore,
  type WindowUpdate,
} from "../window-store.js";
import { badReply, encodeUpdate, isStringArray, parseSnapshot } from "./codec.js";
import { defineCommands, SCRIPTS } from "./commands.js";
import {
  createClient,
  parseTarget,
  probeClusterMode,
  refusal,
  StoreError,
  type Target,
} from "./connection.js";
import {
  commitKey,
  escapePart,
  incidentKey,
  isStateKey,
  keyBase,
  keyBaseIn,
  keySlot,
  logicalKeys,
  memberKeys,
  scratchKeys,
  shardIndexKey,
  shardOf,
  SHARDS,
  stateKey,
  statePattern,
  zsetKey,
} from "./keys.js";

export interface RedisStoreOptions {
  /**
   * `redis://[user:password@]host:port/db` (`rediss://` for TLS), or
   * `redis+cluster://[user:password@]host:port[,host:port...]` for a Redis Cluster.
   */
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
  /**
   * Most window keys kept in Redis (default 200 000): past it, keys whose window has passed go
   * first, then the stalest (counted in scanwatch_store_evictions_total). What bounds Redis memory
   * under a flood of new sources: the bench's spoofed flood holds about 0.9 KB per window key
   * (a meta hash, a one-member set, its index entry), so about 180 MB at the default.
   */
  maxKeys?: number;
}

/**
 * Added to every key's TTL beyond 2 × window, and to an incident's remaining life: Redis expiry
 * runs on the wall clock, the window on event time, and a fleet's clocks disagree a little.
 */
export const TTL_SLACK_MS = 60_000;

type Client = Redis | Cluster;

/** One observe script call: the logical keys of one slot and what each declares. */
interface ObserveCall {
  groups: number[][];
  /** Per group, the base of its keys (keys.ts). */
  bases: string[];
  /** Per group, its declared dimensions, escaped, in the order of its set keys. */
  dims: string[][];
  /** Per group, its shard index's position (1-based) in `shards`. */
  at: number[];
  shards: Map<number, number>;
}

/** `c` with the sets an "undeclared" answer named (`[group, dim...]`, 1-based groups) added. */
function redeclare(c: ObserveCall, missing: unknown[]): ObserveCall {
  const dims = c.dims.map((d) => [...d]);
  for (let i = 0; i + 1 < missing.length; i += 2) {
    const g = Number(missing[i]) - 1;
    const dim = missing[i + 1];
    if (!dims[g] || typeof dim !== "string") throw badReply("observe", missing);
    if (!dims[g].includes(dim)) dims[g].push(dim);
  }
  return { ...c, dims };
}

/**
 * The dimensions a logical key's updates in one call declare (escaped): each update's `dims`
 * and the dimensions of its sets, in first-seen order.
 */
function declaredDims(updates: WindowUpdate[], idx: number[]): string[] {
  const out = new Set<string>();
  for (const i of idx) {
    const u = updates[i]!;
    if (u.dims) for (const d of u.dims) out.add(escapePart(d));
    if (u.sets) for (const d in u.sets) out.add(escapePart(d));
  }
  return [...out];
}

/**
 * The shared store: WindowStore semantics in Redis (6.2 or newer, for ZADD GT) or a Redis
 * Cluster, so a fleet of scanwatch processes sees one window per key and alerts once per incident
 * step.
 *
 * Cost: one `observe(updates)` is ONE script call on a plain Redis (one per hash slot touched on
 * a Cluster: keys carry their shard's tag, keys.ts, so that is at most 64), carrying every update
 * of the batch; one `verdictReads` is one pipeline (one call per slot on a Cluster).
 * Connection policy: connection.ts (createClient).
 */
export class RedisStore implements WindowStore {
  readonly kind = "redis" as const;
  readonly shared = true;
  readonly keyPrefix: string;
  /** The URL without its password, as every message shows it. */
  readonly displayUrl: string;
  private readonly target: Target;
  private readonly maxMembers: number;
  private readonly maxPerShard: number;
  private readonly client: Client;
  private readonly connectTimeout: number;
  private connecting: Promise<void> | undefined;
  private everReady = false;
  /** The connection's latest error event, said with "cannot reach". */
  private lastConnectionError: string | undefined = undefined;
  private outage = false;
  private closed = false;
  private trips = 0;

  constructor(private readonly opts: RedisStoreOptions) {
    this.target = parseTarget(opts.url);
    this.displayUrl = this.target.displayUrl;
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
    const maxKeys = opts.maxKeys ?? 200_000;
    if (!Number.isInteger(maxKeys) || maxKeys < SHARDS) {
      throw new StoreError(`maxKeys ${opts.maxKeys}: must be an integer >= ${SHARDS}`, "STORE_BAD_OPTION");
    }
    this.maxPerShard = Math.floor(maxKeys / SHARDS);
    const connectTimeout = opts.connectTimeoutMs ?? 5_000;
    const commandTimeout = opts.commandTimeoutMs ?? 10_000;
    for (const [name, v] of [
      ["connectTimeoutMs", connectTimeout],
      ["commandTimeoutMs", commandTimeout],
    ] as const) {
      if (!(v > 0)) throw new StoreError(`${name} ${v}: must be > 0`, "STORE_BAD_OPTION");
    }
    this.connectTimeout = connectTimeout;
    this.client = createClient(opts.url, this.target, {
      connectTimeout,
      commandTimeout,
      retry: () => this.everReady && !this.closed,
    });
    defineCommands(this.client);

    // Without a listener ioredis prints every connection error; count them instead.
    this.client.on("error", (e: Error) => {
      this.lastConnectionError = e.message;
      opts.diagnostics?.count("scanwatch_store_errors_total", { reason: "connection" });
    });
    this.client.on("reconnecting", () => {
      if (this.outage || !this.everReady) return;
      this.outage = true;
      opts.diagnostics?.report(
        "warn",
        "STORE_RECONNECTING",
        `lost the connection to Redis at ${this.displayUrl}; reconnecting (batches fail until it is back)`,
      );
    });
    this.client.on("ready", () => {
      this.lastConnectionError = undefined; // a later failure has a cause of its own
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
    if (this.target.cluster && (await probeClusterMode(this.target, this.connectTimeout)) === false) {
      throw new StoreError(
        `Redis at ${this.displayUrl} is not a Cluster node (cluster_enabled:0): use redis://host:port/db for a single server`,
        "STORE_NOT_CLUSTER",
      );
    }
    try {
      await this.client.connect();
    } catch (e) {
      this.client.disconnect();
      throw this.unreachable(e);
    }
    this.everReady = true;
    try {
      await this.checkServer();
    } catch (e) {
      // Unusable server: drop the link so the next call checks again instead of running on it.
      this.everReady = false;
      this.client.disconnect();
      throw e;
    }
  }

  /**
   * Checks the server once up front: ZADD GT needs 6.2, a plain URL must not name a Cluster node,
   * and a script that does not compile should fail here, naming the URL, rather than on the first
   * batch.
   */
  private async checkServer(): Promise<void> {
    const nodes = this.masters();
    for (const node of nodes) {
      const pipe = node.pipeline().info("server").info("cluster").client("INFO");
      for (const lua of SCRIPTS) pipe.script("LOAD", lua);
      const replies = await this.exec(pipe);
      // ioredis selects the URL's database on connect, and a server without it answers that with
      // an error ioredis does not pass on: the connection stays on database 0. Say so instead.
      const want = Number(node.options.db ?? 0);
      const client = replies[2];
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
      const cluster = typeof replies[1] === "string" && /cluster_enabled:1/.test(replies[1]);
      if (cluster && !this.target.cluster) {
        const u = new URL(this.displayUrl);
        throw new StoreError(
          `Redis at ${this.displayUrl} is a Cluster node: use redis+cluster://${u.host}[,host:port...] so that every key goes to the node that owns it`,
          "STORE_IS_CLUSTER",
        );
      }
    }
  }

  /** The connections that hold keys: the one server, or each Cluster master. */
  private masters(): Redis[] {
    const c = this.client;
    return "nodes" in c && typeof c.nodes === "function" ? (c as Cluster).nodes("master") : [c as Redis];
  }

  private get isCluster(): boolean {
    return this.target.cluster;
  }

  async observe(updates: WindowUpdate[], commit?: Commit): Promise<WindowSnapshot[]> {
    if (updates.length === 0 && !commit) return [];
    await this.ready();
    // Updates grouped by logical key (in batch order inside each), keys grouped by slot.
    const byKey = new Map<string, number[]>();
    for (let i = 0; i < updates.length; i++) {
      const key = updates[i]!.key;
      const g = byKey.get(key);
      if (g) g.push(i);
      else byKey.set(key, [i]);
    }
    const calls = new Map<number, ObserveCall>();
    const callFor = (slot: number) => {
      let c = calls.get(slot);
      if (!c) calls.set(slot, (c = { groups: [], bases: [], dims: [], at: [], shards: new Map() }));
      return c;
    };
    for (const [key, idx] of byKey) {
      const shard = shardOf(key);
      const base = keyBaseIn(this.keyPrefix, shard, key);
      const c = callFor(this.isCluster ? keySlot(base) : 0);
      let at = c.shards.get(shard);
      if (at === undefined) c.shards.set(shard, (at = c.shards.size + 1));
      c.groups.push(idx);
      c.bases.push(base);
      c.dims.push(declaredDims(updates, idx));
      c.at.push(at);
    }
    const cKey = commit ? commitKey(this.keyPrefix, commit.key) : undefined;
    const cSlot = cKey && this.isCluster ? keySlot(cKey) : 0;
    if (cKey) callFor(cSlot);

    const out = new Array<WindowSnapshot>(updates.length);
    const run = async (slot: number, c: ObserveCall, tries = 0): Promise<void> => {
      const keys: string[] = [];
      const offsets: number[] = [];
      c.bases.forEach((base, g) => {
        offsets.push(keys.length + 1);
        keys.push(...logicalKeys(base, c.dims[g]!));
      });
      const ip = keys.length + 1;
      const shards = [...c.shards.keys()];
      for (const shard of shards) keys.push(shardIndexKey(this.keyPrefix, shard));
      const x = keys.length + 1;
      // Scratch keys under the first group's shard tag (its shard is the first in `shards`).
      if (c.groups.length) keys.push(...scratchKeys(this.keyPrefix, shards[0]!));
      const withCommit = cKey !== undefined && slot === cSlot;
      const cp = keys.length + 1;
      if (withCommit) keys.push(cKey);
      const payload = JSON.stringify({
        g: c.groups.map((idx) => idx.map((i) => encodeUpdate(updates[i]!))),
        o: offsets,
        d: c.dims,
        i: c.at,
        n: shards.length,
        ip,
        x,
        cp,
      });
      const args: (string | number)[] = [
        ...keys,
        this.maxMembers,
        MAX_SAMPLES,
        TTL_SLACK_MS,
        payload,
        this.maxPerShard,
      ];
      if (withCommit) args.push(commit!.value);
      const reply = await this.send(() => this.client.scanwatchObserve(keys.length, args));
      if (Array.isArray(reply) && reply[0] === "undeclared" && tries < 3) {
        // A key holds a set its updates did not name (a caller without `dims`, or another agent
        // that added one): declare it and send the call again.
        const missing = reply[1] as unknown;
        if (!Array.isArray(missing)) throw badReply("observe", reply);
        return run(slot, redeclare(c, missing), tries + 1);
      }
      if (!Array.isArray(reply) || reply.length !== c.groups.length + 2) throw badReply("observe", reply);
      c.groups.forEach((idx, g) => {
        const r = reply[g] as unknown;
        if (!Array.isArray(r) || r.length !== idx.length) throw badReply("observe", r);
        idx.forEach((i, j) => (out[i] = parseSnapshot(r[j])));
      });
      const evicted = Number(reply[c.groups.length]);
      if (evicted > 0) this.opts.diagnostics?.count("scanwatch_store_evictions_total", undefined, evicted);
      const victims = reply[c.groups.length + 1] as unknown;
      if (!Array.isArray(victims)) throw badReply("observe", victims);
      if (victims.length) await this.evict(victims, shards);
    };
    await Promise.all([...calls].map(([slot, c]) => run(slot, c)));
    return out;
  }

  /**
   * Deletes the keys of the logical keys a batch took out of their shard's index (one call: they
   * are all in that batch call's slot), naming each key.
   */
  private async evict(victims: unknown[], shards: number[]): Promise<void> {
    const keys: string[] = [];
    const args: string[] = [];
    for (let i = 0; i + 2 < victims.length; i += 3) {
      const shard = shards[Number(victims[i]) - 1];
      const member = victims[i + 1];
      const score = victims[i + 2];
      if (shard === undefined || typeof member !== "string" || typeof score !== "string")
        throw badReply("observe", victims);
      const own = memberKeys(this.keyPrefix, shard, member);
      keys.push(shardIndexKey(this.keyPrefix, shard), ...own);
      args.push(member, String(own.length - 2), score);
    }
    // The batch's windows are written: a failed clean-up leaves keys to their TTL, and must not
    // fail the batch (a fallback would write it again).
    try {
      await this.send(() => this.client.scanwatchEvict(keys.length, [...keys, ...args]));
    } catch {
      this.opts.diagnostics?.count("scanwatch_store_errors_total", { reason: "evict" });
    }
  }

  async readCommit(key: string): Promise<string | undefined> {
    await this.ready();
    const v = await this.send(() => this.client.get(commitKey(this.keyPrefix, key)));
    return v ?? undefined;
  }

  async verdictReads(reads: VerdictRead[], escalations: EscalateRequest[]): Promise<VerdictReply> {
    for (const e of escalations)
      if (!(e.ttlMs >= 0))
        throw new StoreError(`escalate ttlMs ${e.ttlMs}: must be >= 0`, "STORE_BAD_OPTION");
    const reply: VerdictReply = { reads: [], escalations: [] };
    if (reads.length === 0 && escalations.length === 0) return reply;
    await this.ready();
    // Escalations of one slot go in one script call, in order (one incident's steps stay ordered).
    const escBySlot = new Map<number, number[]>();
    escalations.forEach((e, i) => {
      const slot = this.isCluster ? keySlot(incidentKey(this.keyPrefix, e.incident)) : 0;
      const l = escBySlot.get(slot);
      if (l) l.push(i);
      else escBySlot.set(slot, [i]);
    });
    const readKeys = (r: VerdictRead) => {
      const base = keyBase(this.keyPrefix, r.key);
      return [stateKey(base), ...r.dims.map((d) => zsetKey(base, escapePart(d)))];
    };
    const escArgs = (idx: number[]) => {
      const keys = idx.map((i) => incidentKey(this.keyPrefix, escalations[i]!.incident));
      const args: (string | number)[] = [...keys, TTL_SLACK_MS];
      for (const i of idx) {
        const e = escalations[i]!;
        args.push(e.level, e.ttlMs, e.idCandidate, e.nowMs);
      }
      return { n: keys.length, args };
    };
    let readReplies: unknown[];
    const escReplies = new Map<number, unknown>();
    if (!this.isCluster) {
      const pipe = (this.client as Redis).pipeline();
      for (const r of reads) {
        const keys = readKeys(r);
        pipe.scanwatchReads(keys.length, ...keys);
      }
      const slots = [...escBySlot.values()];
      for (const idx of slots) {
        const { n, args } = escArgs(idx);
        pipe.scanwatchEscalate(n, ...args);
      }
      const all = await this.exec(pipe);
      readReplies = all.slice(0, reads.length);
      slots.forEach((_, i) => escReplies.set(i, all[reads.length + i]));
    } else {
      const slots = [...escBySlot.values()];
      [readReplies] = await Promise.all([
        Promise.all(
          reads.map((r) => {
            const keys = readKeys(r);
            return this.send(() => this.client.scanwatchReads(keys.length, ...keys));
          }),
        ),
        Promise.all(
          slots.map(async (idx, i) => {
            const { n, args } = escArgs(idx);
            escReplies.set(i, await this.send(() => this.client.scanwatchEscalate(n, ...args)));
          }),
        ),
      ]);
    }
    reads.forEach((r, i) => {
      const rr = readReplies[i];
      if (!Array.isArray(rr) || rr.length !== r.dims.length + 1 || !rr.every(isStringArray))
        throw badReply("reads", rr);
      const members: Record<string, string[]> = {};
      r.dims.forEach(
        (d, j) => (members[d] = sortMembers(rr[j + 1] as string[]).slice(0, Math.max(0, r.limit))),
      );
      reply.reads.push({ samples: rr[0] as string[], members });
    });
    reply.escalations = new Array<EscalateResult>(escalations.length);
    [...escBySlot.values()].forEach((idx, s) => {
      const er = escReplies.get(s);
      if (!Array.isArray(er) || er.length !== idx.length) throw badReply("escalate", er);
      idx.forEach((i, j) => {
        const r = er[j] as unknown;
        if (!Array.isArray(r) || r.length !== 4 || typeof r[1] !== "string") throw badReply("escalate", r);
        reply.escalations[i] = {
          raised: Number(r[0]) === 1,
          id: r[1],
          level: Number(r[2]),
          created: Number(r[3]) === 1,
        };
      });
    });
    return reply;
  }

  async members(key: string, dim: string, limit: number): Promise<string[]> {
    const r = await this.verdictReads([{ key, dims: [dim], limit }], []);
    return r.reads[0]!.members[dim]!;
  }

  async samples(key: string): Promise<string[]> {
    const r = await this.verdictReads([{ key, dims: [], limit: 0 }], []);
    return r.reads[0]!.samples;
  }

  async escalate(
    incident: string,
    level: number,
    ttlMs: number,
    idCandidate: string,
    nowMs: number,
  ): Promise<EscalateResult> {
    const r = await this.verdictReads([], [{ incident, level, ttlMs, idCandidate, nowMs }]);
    return r.escalations[0]!;
  }

  /** Logical keys present under the prefix (one SCAN round trip per 1000 keys or so, per master). */
  async size(): Promise<number> {
    await this.ready();
    const match = statePattern(this.keyPrefix);
    const seen = new Set<string>(); // SCAN may return a key twice while the keyspace rehashes
    for (const node of this.masters()) {
      let cursor = "0";
      do {
        const [next, keys] = await this.send(() => node.scan(cursor, "MATCH", match, "COUNT", 1000));
        for (const k of keys) if (isStateKey(this.keyPrefix, k)) seen.add(k);
        cursor = next;
      } while (cursor !== "0");
    }
    return seen.size;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.client.status === "ready") {
      try {
        await this.client.quit();
        return;
      } catch {
        // Fall through: the link is going anyway.
      }
    }
    this.client.disconnect();
  }

  private async ready(): Promise<void> {
    if (this.client.status === "ready") return;
    if (this.closed) throw new StoreError(`RedisStore for ${this.displayUrl} is closed`, "STORE_ERROR");
    if (!this.everReady) return this.connect();
    throw this.unreachable(new Error(`connection ${this.client.status}`));
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
    const refused = refusal(msg);
    if (refused) {
      this.opts.diagnostics?.count("scanwatch_store_errors_total", { reason: refused.reason });
      return new StoreError(
        `Redis at ${this.displayUrl} refused the write: ${refused.fix} (${msg})`,
        refused.code,
        {
          cause: e,
        },
      );
    }
    if (
      this.client.status !== "ready" ||
      /Connection is closed|isn't writeable|timed out|MaxRetriesPerRequest|ClusterAllFailed/i.test(msg)
    ) {
      return this.unreachable(e);
    }
    this.opts.diagnostics?.count("scanwatch_store_errors_total", { reason: "error" });
    return new StoreError(`Redis at ${this.displayUrl} failed: ${msg}`, "STORE_ERROR", { cause: e });
  }

  private unreachable(e: unknown): StoreError {
    this.opts.diagnostics?.count("scanwatch_store_errors_total", { reason: "unreachable" });
    let why = e instanceof Error ? e.message : String(e);
    // A command fails with "Connection is closed."; the socket's own error says why (a host
    // name that does not resolve, a refused port, a TLS failure).
    const cause = this.lastConnectionError;
    if (cause && !why.includes(cause)) why = `${why.replace(/\.$/, "")}: ${cause}`;
    return new StoreError(
      `cannot reach Redis at ${this.displayUrl} (${why}): start redis-server there (or fix the URL), ` +
        `or run with --store memory to keep windows in process memory`,
      "STORE_UNREACHABLE",
      { cause: e },
    );
  }
}

export { StoreError, type StoreErrorCode } from "./connection.js";
