import type { Diagnostics } from "../diagnostics.js";
import { HyperLogLog } from "./hll.js";
import { sortMembers } from "./alert-builder.js";
import { LazyMap } from "./lazy-map.js";
import { oldestBucket as oldestBucketOf, windowSpec, windowStart } from "./window/window-spec.js";
import { detach } from "../util/detach.js";
import {
  bucketMs,
  DEFAULT_MAX_MEMBERS,
  MAX_SAMPLES,
  type Commit,
  type EscalateRequest,
  type EscalateResult,
  type VerdictRead,
  type VerdictReply,
  type SetState,
  type WindowSnapshot,
  type WindowStore,
  type WindowUpdate,
} from "./window-store.js";

interface MemSet {
  /** member → last seen; kept roughly in time order (re-inserted on update) for cheap trimming. */
  members: LazyMap<string, number>;
  /** Set when the exact bound overflowed: per-bucket HLLs and when the overflow last happened. */
  hll?: Map<number, HyperLogLog>;
  overflowAt?: number;
}

interface MemKey {
  windowMs: number;
  clock: number;
  firstSeen: number;
  buckets: LazyMap<number, number>;
  sets: Record<string, MemSet>;
  tags: Record<string, number>;
  samples: string[];
}

interface Incident {
  id: string;
  level: number;
  expires: number;
}

export interface MemoryStoreOptions {
  /** True for an in-process store shared by several engines (tests of fleet behaviour). */
  shared?: boolean;
  /** Most keys tracked at once; past it the stalest key is evicted (counted). */
  maxKeys?: number;
  maxMembers?: number;
  diagnostics?: Diagnostics;
}

/** The embedded store: the WindowStore semantics in process memory, bounded in keys. */
export class MemoryStore implements WindowStore {
  readonly kind = "memory" as const;
  readonly shared: boolean;
  private readonly keys = new Map<string, MemKey>();
  private readonly incidents = new Map<string, Incident>();
  private readonly commits = new Map<string, string>();
  private readonly maxKeys: number;
  private readonly maxMembers: number;
  private evicted = 0;

  constructor(private readonly opts: MemoryStoreOptions = {}) {
    this.shared = opts.shared === true;
    this.maxKeys = opts.maxKeys ?? 100_000;
    this.maxMembers = opts.maxMembers ?? DEFAULT_MAX_MEMBERS;
    if (!(this.maxKeys > 0) || !(this.maxMembers > 0))
      throw new RangeError("maxKeys and maxMembers must be > 0");
  }

  get evictions(): number {
    return this.evicted;
  }

  async observe(updates: WindowUpdate[], commit?: Commit): Promise<WindowSnapshot[]> {
    const out = updates.map((u) => this.apply(u));
    if (commit) this.commits.set(commit.key, commit.value);
    if (this.keys.size > this.maxKeys) this.sweep();
    return out;
  }

  /**
   * Bounds the key count: drops keys whose window has passed (in event time), then, if still
   * over the cap, the stalest tenth (by last event time), counted as evictions. Runs once per
   * batch at most, and sorts only when it must: per-insert eviction from the front of a Map
   * degrades badly under a flood of fresh keys (the Map's deleted slots pile up at its front).
   */
  private sweep(): void {
    let now = -Infinity;
    for (const k of this.keys.values()) if (k.clock > now) now = k.clock;
    for (const [key, k] of this.keys) if (k.clock + k.windowMs < now) this.keys.delete(key);
    if (this.keys.size <= this.maxKeys) return;
    const target = Math.floor(this.maxKeys * 0.9);
    const byAge = [...this.keys].sort((a, b) => a[1].clock - b[1].clock);
    const drop = this.keys.size - target;
    for (let i = 0; i < drop; i++) this.keys.delete(byAge[i]![0]);
    this.evicted += drop;
    this.opts.diagnostics?.count("scanwatch_store_evictions_total", undefined, drop);
  }

  private apply(u: WindowUpdate): WindowSnapshot {
    let k = this.keys.get(u.key);
    if (k && u.ts - k.clock > k.windowMs) k = undefined; // quiet for a whole window: start over
    if (!k) {
      k = {
        windowMs: u.windowMs,
        clock: u.ts,
        firstSeen: u.firstTs,
        buckets: new LazyMap(),
        sets: {},
        tags: {},
        samples: [],
      };
      this.keys.set(u.key, k);
    }

    k.windowMs = u.windowMs;
    if (u.ts > k.clock) k.clock = u.ts;
    if (u.firstTs < k.firstSeen) k.firstSeen = u.firstTs;
    const bms = bucketMs(u.windowMs);
    const spec = windowSpec(u.windowMs)!;
    // The first bucket that counts and the earliest time that does (window-spec.ts).
    const oldestBucket = oldestBucketOf(spec, k.clock);
    const cutoff = oldestBucket * bms;
    if (u.count > 0) {
      const b = Math.floor(u.ts / bms);
      k.buckets.set(b, (k.buckets.get(b) ?? 0) + u.count);
    }
    let events = 0;
    for (const [b, n] of k.buckets) {
      if (b < oldestBucket) k.buckets.delete(b);
      else events += n;
    }
    if (u.tags) for (const t in u.tags) k.tags[t] = (k.tags[t] ?? 0) + (u.tags[t] ?? 0);
    if (u.samples) for (const s of u.samples) if (k.samples.length < MAX_SAMPLES) k.samples.push(s);

    const sets: Record<string, SetState> = {};
    if (u.sets) {
      for (const dim in u.sets) {
        const add = u.sets[dim] as Map<string, number>;
        let s = k.sets[dim];
        if (!s) k.sets[dim] = s = { members: new LazyMap() };
        for (const [m, t] of add) {
          if (t < cutoff) continue;
          // A new member is stored as its own copy: addresses sliced out of a log line would
          // otherwise keep the whole line alive for as long as they stay in the window.
          if (!s.members.delete(m)) s.members.set(detach(m), t);
          else s.members.set(m, t);
          if (s.hll) hllFor(s, Math.floor(t / bms)).add(m);
        }
        sets[dim] = this.trimSet(s, cutoff, bms, oldestBucket, k.clock);
      }
    }
    for (const dim in k.sets)
      if (!(dim in sets)) sets[dim] = this.trimSet(k.sets[dim]!, cutoff, bms, oldestBucket, k.clock);
    return { events, firstSeen: k.firstSeen, lastSeen: k.clock, sets, tags: { ...k.tags } };
  }

  private trimSet(s: MemSet, cutoff: number, bms: number, oldestBucket: number, clock: number): SetState {
    for (const [m, t] of s.members) {
      if (t >= cutoff) break;
      s.members.delete(m);
    }
    // Members are not strictly time-ordered (out-of-order events): a second pass is cheap only
    // when something is left to find, so it runs on overflow only.
    if (s.members.size > this.maxMembers) {
      if (!s.hll) {
        s.hll = new Map();
        const h = hllFor(s, Math.floor(clock / bms));
        for (const m of s.members.keys()) h.add(m);
      }
      s.overflowAt = clock;
      let excess = s.members.size - this.maxMembers;
      for (const m of s.members.keys()) {
        if (excess-- <= 0) break;
        s.members.delete(m);
      }
    }
    if (s.hll) {
      for (const b of s.hll.keys()) if (b < oldestBucket) s.hll.delete(b);
      if ((s.overflowAt ?? 0) >= cutoff) {
        return { count: Math.max(HyperLogLog.union([...s.hll.values()]), s.members.size), estimate: true };
      }
      delete s.hll;
      delete s.overflowAt;
    }
    return { count: s.members.size, estimate: false };
  }

  async members(key: string, dim: string, limit: number): Promise<string[]> {
    const k = this.keys.get(key);
    const s = k?.sets[dim];
    if (!k || !s) return [];
    const cutoff = windowStart(windowSpec(k.windowMs)!, k.clock);
    const out: string[] = [];
    for (const [m, t] of s.members) if (t >= cutoff) out.push(m);
    return sortMembers(out).slice(0, limit);
  }

  async samples(key: string): Promise<string[]> {
    return [...(this.keys.get(key)?.samples ?? [])];
  }

  async escalate(
    incident: string,
    level: number,
    ttlMs: number,
    idCandidate: string,
    nowMs: number,
  ): Promise<EscalateResult> {
    let inc = this.incidents.get(incident);
    if (inc && inc.expires <= nowMs) {
      this.incidents.delete(incident);
      inc = undefined;
    }
    if (this.incidents.size > this.maxKeys) {
      for (const [k, v] of this.incidents) if (v.expires <= nowMs) this.incidents.delete(k);
    }
    if (!inc) {
      this.incidents.set(incident, { id: idCandidate, level, expires: nowMs + ttlMs });
      return { raised: true, id: idCandidate, level, created: true };
    }
    if (level > inc.level) {
      inc.level = level;
      inc.expires = nowMs + ttlMs;
      return { raised: true, id: inc.id, level, created: false };
    }
    inc.expires = Math.max(inc.expires, nowMs + ttlMs);
    return { raised: false, id: inc.id, level: inc.level, created: false };
  }

  async readCommit(key: string): Promise<string | undefined> {
    return this.commits.get(key);
  }

  async verdictReads(reads: VerdictRead[], escalations: EscalateRequest[]): Promise<VerdictReply> {
    const out: VerdictReply = { reads: [], escalations: [] };
    for (const r of reads) {
      const members: Record<string, string[]> = {};
      for (const d of r.dims) members[d] = await this.members(r.key, d, r.limit);
      out.reads.push({ members, samples: await this.samples(r.key) });
    }
    for (const e of escalations)
      out.escalations.push(await this.escalate(e.incident, e.level, e.ttlMs, e.idCandidate, e.nowMs));
    return out;
  }

  async size(): Promise<number> {
    return this.keys.size;
  }

  async close(): Promise<void> {
    this.keys.clear();
    this.incidents.clear();
    this.commits.clear();
  }
}

function hllFor(s: MemSet, bucket: number): HyperLogLog {
  let h = s.hll!.get(bucket);
  if (!h) s.hll!.set(bucket, (h = new HyperLogLog()));
  return h;
}

export { sortMembers };
