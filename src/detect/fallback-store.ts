import type { Diagnostics } from "../diagnostics.js";
import { MemoryStore } from "./memory-store.js";
import type {
  Commit,
  EscalateRequest,
  EscalateResult,
  VerdictRead,
  VerdictReply,
  WindowSnapshot,
  WindowStore,
  WindowUpdate,
} from "./window-store.js";

export interface FallbackStoreOptions {
  /** How often, in wall time, an unreachable Redis is asked again. Default 5000 ms. */
  retryMs?: number;
  /** Most window updates kept for Redis while it is away (default 200,000). */
  maxDeferredUpdates?: number;
  /** About how many bytes those may take (default 64 MiB). */
  maxDeferredBytes?: number;
  /** Most incidents kept for Redis while it is away (default 10,000). */
  maxDeferredIncidents?: number;
  now?: () => number;
}

/** Updates written back per `observe` call: one batch's worth, so a big backlog is not one call. */
const WRITE_BACK_CHUNK = 1000;

/**
 * For `tail`: Redis when it answers, the memory store while it does not. A failed call switches
 * to memory at once (the batch is applied there, so detection goes on), says so in the logs, the
 * metrics (`scanwatch_store_fallback` = 1) and in every alert raised meanwhile; a probe every
 * `retryMs` of wall time switches back when Redis answers again, and says so.
 *
 * The outage is not lost to the fleet. While on memory, `defer` keeps the window updates the
 * engine would have sent (and the updates of the call that failed), up to `maxDeferredUpdates` /
 * `maxDeferredBytes` (the oldest are dropped first, counted in
 * `scanwatch_store_deferred_dropped_total`), and the escalations of the incidents this process
 * raised on its own (highest level per incident). When Redis answers again they are written
 * back before anything else reaches it: the updates through `observe` in event-time order, so
 * Redis slides its windows as if it had seen them live, then the escalations, so an incident
 * alerted here during the outage is known there and neither this process nor another one alerts
 * it again as `new`. Only then does the store say `shared` again. A write-back that fails
 * midway keeps the rest. A call that failed may have been applied with only its reply lost: when
 * it carried a commit (a `tail` batch's positions), Redis holding that commit says it was, and it
 * is not sent again; without one it is resent (distinct members are idempotent, its counts may
 * be counted twice). What another agent alerted meanwhile on its own
 * is alerted here too: neither could ask the other.
 *
 * `start` begins the same way when Redis cannot be reached at all at startup: detection starts
 * in memory and the probe keeps trying to connect, so a Redis that comes up after scanwatch (boot
 * order, a restart of both) is picked up without a restart of scanwatch.
 */
export class FallbackStore implements WindowStore {
  private readonly memory: MemoryStore;
  private primary: WindowStore | undefined;
  private usingMemory = false;
  private lastProbe = 0;
  private probing = false;
  private probeTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly retryMs: number;
  private readonly now: () => number;
  private kept: WindowUpdate[] = [];
  private keptBytes = 0;
  private readonly keptIncidents = new Map<string, EscalateRequest>();
  /** The latest commit of a batch kept for Redis: written with the last update written back. */
  private keptCommit: Commit | undefined;
  /**
   * The call that failed, when it carried a commit: Redis may have applied it and only the reply
   * was lost. Its commit in Redis tells, before the write-back, whether to send it again.
   */
  private uncertain: { updates: WindowUpdate[]; commit: Commit } | undefined;
  private dropped = 0;
  private readonly maxUpdates: number;
  private readonly maxBytes: number;
  private readonly maxIncidents: number;

  private constructor(
    private readonly connect: () => Promise<WindowStore>,
    private readonly diagnostics: Diagnostics,
    options: FallbackStoreOptions,
  ) {
    this.retryMs = options.retryMs ?? 5000;
    this.now = options.now ?? Date.now;
    this.maxUpdates = options.maxDeferredUpdates ?? 200_000;
    this.maxBytes = options.maxDeferredBytes ?? 64 << 20;
    this.maxIncidents = options.maxDeferredIncidents ?? 10_000;
    this.memory = new MemoryStore({ diagnostics });
    diagnostics.gauge("scanwatch_store_fallback", 0);
    diagnostics.gauge("scanwatch_store_deferred_updates", 0);
  }

  get shared(): boolean {
    return !this.usingMemory && this.primary?.shared === true;
  }

  /**
   * Connects through `connect`. When that fails and `isUnreachable(error)` says Redis is merely
   * not answering, starts on the memory store (reported as `store_fallback`) and keeps trying;
   * any other failure (a bad URL, a server too old) is thrown, as it will not fix itself.
   */
  static async start(
    connect: () => Promise<WindowStore>,
    diagnostics: Diagnostics,
    isUnreachable: (e: unknown) => boolean,
    options: FallbackStoreOptions = {},
  ): Promise<FallbackStore> {
    const s = new FallbackStore(connect, diagnostics, options);
    try {
      s.primary = await connect();
    } catch (e) {
      if (!isUnreachable(e)) throw e;
      s.fallBack(`Redis unreachable at start (${(e as Error).message})`);
    }
    return s;
  }

  get kind(): "memory" | "redis" {
    return this.usingMemory || !this.primary ? "memory" : this.primary.kind;
  }

  /** A sentence for alert evidence while on the fallback, else undefined. */
  get note(): string | undefined {
    return this.usingMemory
      ? "window store: Redis unreachable, counted in this process's memory only (other servers' events not included; written back to Redis when it answers)"
      : undefined;
  }

  private fallBack(why: string): void {
    this.usingMemory = true;
    this.lastProbe = this.now();
    // Probing only on calls left a quiet log on the fallback (and /healthz at 503) long
    // after Redis was back: no lines, no calls, no probe. Probe on a timer as well.
    this.probeTimer ??= setInterval(() => void this.probe(), this.retryMs);
    this.probeTimer.unref();
    this.diagnostics.gauge("scanwatch_store_fallback", 1);
    this.diagnostics.count("scanwatch_store_failures_total");
    this.diagnostics.report(
      "warn",
      "store_fallback",
      `${why}; detecting with the in-memory store until it answers again`,
    );
  }

  /** Asks Redis whether it answers again (connecting if it never did) and switches back if so. */
  private async probe(): Promise<void> {
    if (!this.usingMemory || this.probing || this.closed) return;
    this.probing = true;
    this.lastProbe = this.now();
    try {
      if (this.primary) await this.primary.size();
      else {
        const connected = await this.connect();
        if (this.closed) {
          await connected.close();
          return;
        }
        this.primary = connected;
      }
      const written = await this.writeBack(this.primary);
      this.usingMemory = false;
      clearInterval(this.probeTimer);
      this.probeTimer = undefined;
      this.diagnostics.gauge("scanwatch_store_fallback", 0);
      this.diagnostics.report(
        "info",
        "store_recovered",
        `Redis answers again: windows are shared again; wrote back ${written.updates} window update(s) ` +
          `and ${written.incidents} incident(s) of the outage` +
          (written.dropped ? ` (${written.dropped} older update(s) were dropped over the bound)` : ""),
      );
    } catch {
      // still down
    } finally {
      this.probing = false;
    }
  }

  /**
   * Writes what was kept during the outage to `primary`: updates in event-time order, chunk by
   * chunk (a chunk leaves the backlog once Redis took it), then the escalations. Updates kept
   * meanwhile (the engine goes on while this awaits) are written in the same run. Throws when
   * Redis fails again; what was not written stays kept.
   */
  private async writeBack(
    primary: WindowStore,
  ): Promise<{ updates: number; incidents: number; dropped: number }> {
    let updates = 0;
    let incidents = 0;
    const u = this.uncertain;
    if (u) {
      // Applied if Redis holds its commit: sending it again would count the batch twice.
      const applied = (await primary.readCommit(u.commit.key)) === u.commit.value;
      this.uncertain = undefined;
      this.gaugeKept();
      if (!applied) {
        this.kept = u.updates.concat(this.kept);
        for (const x of u.updates) this.keptBytes += sizeOf(x);
        this.keptCommit ??= u.commit;
      }
    }
    // Until both are empty at once: the engine may keep more while a call is awaited.
    while (this.kept.length || this.keptIncidents.size || this.keptCommit) {
      while (this.kept.length || this.keptCommit) {
        this.kept.sort((a, b) => a.ts - b.ts); // stable: one key's updates keep their order
        // Off the backlog while in flight: what the engine keeps meanwhile, and the bound's
        // dropping, only touch what was not sent. Back at the front if the call fails.
        const chunk = this.kept.splice(0, WRITE_BACK_CHUNK);
        // The commit goes with the last chunk: Redis never holds positions past its windows.
        const commit = this.kept.length === 0 ? this.keptCommit : undefined;
        try {
          await primary.observe(chunk, commit);
        } catch (e) {
          if (commit) {
            // Like the call that failed first: whether Redis took it is read before a retry.
            for (const x of chunk) this.keptBytes -= sizeOf(x);
            this.uncertain = { updates: chunk, commit };
          } else this.kept = chunk.concat(this.kept);
          throw e;
        }
        if (commit && this.keptCommit === commit) this.keptCommit = undefined;
        for (const x of chunk) this.keptBytes -= sizeOf(x);
        updates += chunk.length;
        this.diagnostics.count("scanwatch_store_written_back_total", { what: "update" }, chunk.length);
        this.gaugeKept();
      }
      const batch = [...this.keptIncidents.values()];
      if (batch.length === 0) continue;
      await primary.verdictReads([], batch);
      for (const e of batch)
        if (this.keptIncidents.get(e.incident) === e) this.keptIncidents.delete(e.incident);
      incidents += batch.length;
      this.diagnostics.count("scanwatch_store_written_back_total", { what: "incident" }, batch.length);
    }
    const dropped = this.dropped;
    this.dropped = 0;
    this.keptBytes = Math.max(0, this.keptBytes);
    return { updates, incidents, dropped };
  }

  /** Keeps window updates and escalations for Redis while it is away (see the class comment). */
  defer(updates: WindowUpdate[], escalations: EscalateRequest[], commit?: Commit): void {
    if (commit) this.keptCommit = commit;
    for (const u of updates) {
      this.kept.push(u);
      this.keptBytes += sizeOf(u);
    }
    let over = 0;
    let bytes = this.keptBytes;
    while (over < this.kept.length && (this.kept.length - over > this.maxUpdates || bytes > this.maxBytes))
      bytes -= sizeOf(this.kept[over++]!);
    if (over) {
      this.kept.splice(0, over);
      this.keptBytes = bytes;
      this.dropped += over;
      this.diagnostics.count("scanwatch_store_deferred_dropped_total", { what: "update" }, over);
    }
    for (const e of escalations) this.keepEscalation(e);
    this.gaugeKept();
  }

  /** Updates kept for Redis, the failed call's that may be resent included. */
  private gaugeKept(): void {
    this.diagnostics.gauge(
      "scanwatch_store_deferred_updates",
      this.kept.length + (this.uncertain?.updates.length ?? 0),
    );
  }

  private keepEscalation(e: EscalateRequest): void {
    const prev = this.keptIncidents.get(e.incident);
    if (!prev && this.keptIncidents.size >= this.maxIncidents) {
      this.diagnostics.count("scanwatch_store_deferred_dropped_total", { what: "incident" });
      return;
    }
    this.keptIncidents.set(
      e.incident,
      prev
        ? {
            incident: e.incident,
            level: Math.max(prev.level, e.level),
            ttlMs: Math.max(prev.ttlMs, e.ttlMs),
            idCandidate: prev.idCandidate,
            nowMs: Math.max(prev.nowMs, e.nowMs),
          }
        : { ...e },
    );
  }

  private async run<T>(op: (s: WindowStore) => Promise<T>, onFail?: () => void): Promise<T> {
    if (this.usingMemory && this.now() - this.lastProbe >= this.retryMs) await this.probe();
    if (!this.usingMemory && this.primary) {
      try {
        return await op(this.primary);
      } catch (e) {
        this.fallBack(`Redis failed (${(e as Error).message})`);
        onFail?.();
      }
    }
    return op(this.memory);
  }

  observe(updates: WindowUpdate[], commit?: Commit): Promise<WindowSnapshot[]> {
    // The updates of a call that failed are kept too: Redis may not have applied them.
    return this.run(
      (s) => s.observe(updates, commit),
      () => {
        if (commit) {
          this.uncertain = { updates, commit };
          this.gaugeKept();
        } else this.defer(updates, []);
      },
    );
  }
  readCommit(key: string): Promise<string | undefined> {
    return this.run((s) => s.readCommit(key));
  }
  verdictReads(reads: VerdictRead[], escalations: EscalateRequest[]): Promise<VerdictReply> {
    // As `escalate`: without Redis nothing is raised anywhere; the caller alerts on its own
    // judgement and hands what it alerted to `defer`.
    return this.run(async (s) => {
      if (s !== this.memory) return s.verdictReads(reads, escalations);
      const reply = await s.verdictReads(reads, []);
      return {
        reads: reply.reads,
        escalations: escalations.map((e) => ({
          raised: true,
          id: e.idCandidate,
          level: e.level,
          created: false,
          deferred: true,
        })),
      };
    });
  }
  members(key: string, dim: string, limit: number): Promise<string[]> {
    return this.run((s) => s.members(key, dim, limit));
  }
  samples(key: string): Promise<string[]> {
    return this.run((s) => s.samples(key));
  }
  escalate(
    incident: string,
    level: number,
    ttlMs: number,
    idCandidate: string,
    nowMs: number,
  ): Promise<EscalateResult> {
    // Without Redis nothing is raised anywhere: the caller alerts on its own judgement and hands
    // what it alerted to `defer`. (Kept here, a fleet-only candidate would be raised in Redis
    // later without anyone having alerted it.)
    return this.run((s) =>
      s === this.memory
        ? Promise.resolve({ raised: true, id: idCandidate, level, created: false, deferred: true })
        : s.escalate(incident, level, ttlMs, idCandidate, nowMs),
    );
  }
  size(): Promise<number> {
    return this.run((s) => s.size());
  }
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.probeTimer);
    this.probeTimer = undefined;
    await Promise.allSettled([this.primary?.close(), this.memory.close()]);
  }
}

/** About the bytes an update holds in memory: enough to bound the backlog, not an exact count. */
function sizeOf(u: WindowUpdate): number {
  let n = 120 + 2 * u.key.length;
  for (const m of Object.values(u.sets ?? {})) for (const k of m.keys()) n += 48 + 2 * k.length;
  for (const k of Object.keys(u.tags ?? {})) n += 32 + 2 * k.length;
  for (const r of u.samples ?? []) n += 32 + 2 * r.length;
  return n;
}
