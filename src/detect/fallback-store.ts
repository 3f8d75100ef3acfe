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
  now?: () => number;
}

/**
 * For `tail`: Redis when it answers, the memory store while it does not. A failed call switches
 * to memory at once (the batch is applied there, so detection goes on), says so in the logs, the
 * metrics (`scanwatch_store_fallback` = 1) and in every alert raised meanwhile; a probe every
 * `retryMs` of wall time switches back when Redis answers again, and says so. Windows restart on
 * each switch: what was counted on one side is not copied to the other.
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

  private constructor(
    private readonly connect: () => Promise<WindowStore>,
    private readonly diagnostics: Diagnostics,
    options: FallbackStoreOptions,
  ) {
    this.retryMs = options.retryMs ?? 5000;
    this.now = options.now ?? Date.now;
    this.memory = new MemoryStore({ diagnostics });
    diagnostics.gauge("scanwatch_store_fallback", 0);
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
      ? "window store: Redis unreachable, counted in this process's memory only (other servers' events not included)"
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
      this.usingMemory = false;
      clearInterval(this.probeTimer);
      this.probeTimer = undefined;
      this.diagnostics.gauge("scanwatch_store_fallback", 0);
      this.diagnostics.report("info", "store_recovered", "Redis answers again: windows are shared again");
    } catch {
      // still down
    } finally {
      this.probing = false;
    }
  }

  private async run<T>(op: (s: WindowStore) => Promise<T>): Promise<T> {
    if (this.usingMemory && this.now() - this.lastProbe >= this.retryMs) await this.probe();
    if (!this.usingMemory && this.primary) {
      try {
        return await op(this.primary);
      } catch (e) {
        this.fallBack(`Redis failed (${(e as Error).message})`);
      }
    }
    return op(this.memory);
  }

  observe(updates: WindowUpdate[], commit?: Commit): Promise<WindowSnapshot[]> {
    return this.run((s) => s.observe(updates, commit));
  }
  readCommit(key: string): Promise<string | undefined> {
    return this.run((s) => s.readCommit(key));
  }
  verdictReads(reads: VerdictRead[], escalations: EscalateRequest[]): Promise<VerdictReply> {
    return this.run((s) => s.verdictReads(reads, escalations));
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
    return this.run((s) => s.escalate(incident, level, ttlMs, idCandidate, nowMs));
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
