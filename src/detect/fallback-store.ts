import type { Diagnostics } from "../diagnostics.js";
import { MemoryStore } from "./memory-store.js";
import type { EscalateResult, WindowSnapshot, WindowStore, WindowUpdate } from "./window-store.js";

/**
 * For `tail`: Redis when it answers, the memory store while it does not. A failed call switches
 * to memory at once (the batch is applied there, so detection goes on), says so in the logs, the
 * metrics (`scanwatch_store_fallback` = 1) and in every alert raised meanwhile; a probe every
 * `retryMs` of wall time switches back when Redis answers again. Windows restart on each switch:
 * what was counted on one side is not copied to the other.
 */
export class FallbackStore implements WindowStore {
  private readonly memory: MemoryStore;
  private usingMemory = false;
  private lastProbe = 0;
  private probing = false;
  private probeTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly primary: WindowStore,
    private readonly diagnostics: Diagnostics,
    private readonly retryMs = 5000,
    private readonly now: () => number = Date.now,
  ) {
    this.memory = new MemoryStore({ diagnostics });
    diagnostics.gauge("scanwatch_store_fallback", 0);
  }

  get shared(): boolean {
    return !this.usingMemory && this.primary.shared;
  }

  get kind(): "memory" | "redis" {
    return this.usingMemory ? "memory" : this.primary.kind;
  }

  /** A sentence for alert evidence while on the fallback, else undefined. */
  get note(): string | undefined {
    return this.usingMemory
      ? "window store: Redis unreachable, counted in this process's memory only (other servers' events not included)"
      : undefined;
  }

  /** Asks Redis whether it answers again and switches back to it if so. */
  private async probe(): Promise<void> {
    if (!this.usingMemory || this.probing) return;
    this.probing = true;
    this.lastProbe = this.now();
    try {
      await this.primary.size();
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
    if (!this.usingMemory) {
      try {
        return await op(this.primary);
      } catch (e) {
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
          `Redis failed (${(e as Error).message}); detecting with the in-memory store until it answers again`,
        );
      }
    }
    return op(this.memory);
  }

  observe(updates: WindowUpdate[]): Promise<WindowSnapshot[]> {
    return this.run((s) => s.observe(updates));
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
    clearInterval(this.probeTimer);
    this.probeTimer = undefined;
    await Promise.allSettled([this.primary.close(), this.memory.close()]);
  }
}
