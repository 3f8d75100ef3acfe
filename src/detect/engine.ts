import type { Diagnostics } from "../diagnostics.js";
import type { Alert } from "../events/alert.js";
import type { Event } from "../events/event.js";
import type { CompiledRule } from "../rules/compiled-rule.js";
import { buildAlert, ladderLevel } from "./alert-builder.js";
import type { EventClass, FeedContext } from "./detector.js";
import { DetectorState } from "./detector-state.js";
import {
  restoreInto,
  signature,
  snapshotOf,
  SNAPSHOT_MAX_KEYS,
  type EngineSnapshot,
} from "./engine-snapshot.js";
import { FleetSync, type Pending } from "./fleet-sync.js";
import { boundKeys } from "./key-bound.js";
import { Parking } from "./parking.js";
import { IncidentBook, incidentId, isLive, type Incident } from "./incident-book.js";
import { detectorNamed, DETECTORS } from "./registry.js";
import { KeyWindow } from "./window/key-window.js";
import type { Commit, WindowStore } from "./window-store.js";
import { detach } from "../util/detach.js";

/** Most keys held across all detectors unless `maxKeys` says otherwise. */
export const DEFAULT_MAX_KEYS = 100_000;

export interface EngineOptions {
  /** How far back in event time an event may arrive and still count as in order (default 5 s). */
  disorderMs?: number;
  diagnostics: Diagnostics;
  /** Most keys held across all detectors (default 100,000); past it the stalest are evicted. */
  maxKeys?: number;
  /** Exact members per dimension of a key before counts become estimates (default 20,000). */
  maxMembers?: number;
  /**
   * Whether a new key's first event waits parked until a second reaches the key (default true;
   * see parking.ts). Alerts are the same either way; only memory differs.
   */
  parkFirstEvents?: boolean;
}

/** A kernel "callbacks suppressed" notice: counts around it are lower bounds. */
interface Suppressed {
  ms: number;
  count: number;
}

/**
 * The detection loop shared by `analyze` and `tail`: events in, alerts out, one event at a
 * time in log order. Each event visits only the detector states whose rules accept its class;
 * each state keeps one window per key, exact under window-spec.ts, so an alert's counts are the
 * window's when its verdict was reached, whatever the batch size. A verdict is only computed
 * when a view's measure grew and could climb a severity step. With a shared store (Redis), the
 * batch's window updates and escalations are sent in one exchange after the batch, and fleet
 * totals can raise what this process alone did not see.
 */
export class Engine {
  private states: DetectorState[] = [];
  private route = new Map<EventClass, DetectorState[]>();
  /** Each fact's providers: every state of a detector that provides it (one per filter). */
  private facts = new Map<
    string,
    { state: DetectorState; fn: (s: DetectorState, key: string) => number }[]
  >();
  private readonly incidents = new IncidentBook();
  private watermark = -Infinity;
  private readonly suppressed = new Map<string, Suppressed>();
  private pending: Pending[] = [];
  private current!: DetectorState;
  private fleet: FleetSync | undefined;
  /** The last batch's exchange with a shared store, settled or not (the next one waits for it). */
  private exchanging: Promise<void> = Promise.resolve();
  private readonly ctx: FeedContext;
  private evicted = 0;
  /** More than half `maxKeys` held after the last batch: keys in use move to the back of their map. */
  private nearBound = false;
  /** Dropped keys' objects kept for new keys (see KeyWindow.reuse), across all states. */
  private spares = 0;
  /** New keys wait for their second event (see parking.ts). */
  private readonly parking = new Parking((s, e) => {
    this.current = s;
    s.module.feed(e, this.ctx, s.rules[0]!);
  });
  readonly stats = { events: 0, stragglers: 0, alerts: 0 };

  constructor(
    rules: readonly CompiledRule[],
    private store: WindowStore,
    private readonly opts: EngineOptions,
  ) {
    this.ctx = this.feedContext();
    this.setRules(rules);
  }

  /** Replaces the rules (SIGHUP reload); states whose rules did not change keep their windows. */
  setRules(rules: readonly CompiledRule[]): void {
    const old = new Map(this.states.map((s) => [signature(s.module, s.rules), s]));
    const groups = new Map<string, CompiledRule[]>();
    for (const r of rules) {
      const m = detectorNamed(r.detector);
      if (!m) throw new Error(`rule ${r.id}: unknown detector ${r.detector}`);
      const g = `${m.name}|${m.stateKey(r)}|${r.filterKey}`;
      let list = groups.get(g);
      if (!list) groups.set(g, (list = []));
      list.push(r);
    }
    const states: DetectorState[] = [];
    for (const list of groups.values()) {
      list.sort((a, b) => a.windowMs - b.windowMs || (a.id < b.id ? -1 : 1));
      const m = detectorNamed(list[0]!.detector)!;
      const state = new DetectorState(m, list, this.opts.maxMembers);
      const prev = old.get(signature(m, list));
      if (prev) {
        for (const [key, k] of prev.keys) state.keys.set(key, k);
        for (const [key, e] of prev.parked) state.parked.set(key, e);
      }
      states.push(state);
    }
    // Providers of facts before the detectors that need them, then in registry order.
    const rank = (s: DetectorState) => (s.module.needs?.length ? 1 : 0) * 100 + DETECTORS.indexOf(s.module);
    states.sort((a, b) => rank(a) - rank(b));
    this.states = states;
    this.spares = 0; // the old states' spare objects go with them
    this.route = new Map();
    this.facts = new Map();
    for (const s of states) {
      const m = s.module;
      for (const c of typeof m.accepts === "function" ? m.accepts(s.rules[0]!) : m.accepts) {
        let list = this.route.get(c);
        if (!list) this.route.set(c, (list = []));
        list.push(s);
      }
      for (const [name, fn] of Object.entries(s.module.provides ?? {}))
        this.facts.set(name, [...(this.facts.get(name) ?? []), { state: s, fn }]);
    }
    for (const s of states) s.facts = (name, key) => this.fact(name, key);
    this.fleet?.reset();
  }

  /** True when the store is shared by a fleet: each batch ends with an exchange with it. */
  get sharedStore(): boolean {
    return this.store.shared;
  }

  /** The windows and incidents now, as JSON (see EngineSnapshot). Synchronous: one moment. */
  snapshot(maxKeys = SNAPSHOT_MAX_KEYS): EngineSnapshot {
    return snapshotOf(this.states, this.incidents, this.watermark, maxKeys);
  }

  /**
   * Takes the windows and incidents of a snapshot. Keys of detector states whose rules changed
   * since (another window, another filter) are left out. Returns what is wrong with a snapshot
   * that is not one (nothing is taken then), else undefined.
   */
  restore(snap: unknown): string | undefined {
    const r = restoreInto(this.states, this.incidents, snap);
    if (typeof r === "string") return r;
    if (r.watermark !== undefined) this.watermark = Math.max(this.watermark, r.watermark);
    return undefined;
  }

  /** Swaps the store (fallback to memory while Redis is away, and back). */
  setStore(store: WindowStore): void {
    this.store = store;
  }

  get currentStore(): WindowStore {
    return this.store;
  }

  /** Keys evicted so far to stay under `maxKeys` (not those whose windows had passed). */
  get evictions(): number {
    return this.evicted;
  }

  /** Verdicts a shared store had already alerted (see FleetSync.alreadyAlerted). */
  get alreadyAlerted(): number {
    return this.fleet?.alreadyAlerted ?? 0;
  }

  /** The bound on keys held across all detectors. */
  get maxKeys(): number {
    return this.opts.maxKeys ?? DEFAULT_MAX_KEYS;
  }

  /** Keys held right now across all detectors. */
  get keyCount(): number {
    let n = 0;
    for (const s of this.states) n += s.size;
    return n;
  }

  /**
   * Detects on one batch. `commit` (a live agent's read positions after this batch) is written
   * to a shared store in the same call as the batch's window updates, so what the store counted
   * and where the agent resumes after a crash never disagree; the embedded store ignores it.
   */
  async process(events: readonly Event[], commit?: Commit): Promise<Alert[]> {
    if (events.length === 0 && !(commit && (this.store.shared || this.store.defer))) return [];
    const disorder = this.opts.disorderMs ?? 5000;
    const shared = this.store.shared;
    // A stand-in for an absent shared store still gets the batch's updates, to write back later.
    const deferring = !shared && this.store.defer !== undefined;
    if (shared || deferring) this.fleet ??= new FleetSync();
    else this.fleet = undefined;
    // A shared store is told of every event as it is counted, so nothing waits parked for it.
    this.parking.on = !shared && !deferring && this.opts.parkFirstEvents !== false;
    if (!this.parking.on) this.parking.unparkAll(this.states);
    for (const e of events) {
      this.stats.events++;
      if (e.ms < this.watermark - disorder) {
        this.stats.stragglers++;
        this.opts.diagnostics.count("scanwatch_events_late_total");
      }
      if (e.ms > this.watermark) this.watermark = e.ms;
      if (e.type === "suppressed") {
        const prev = this.suppressed.get(e.host);
        this.suppressed.set(e.host, {
          ms: e.ms,
          count: (prev && e.ms - prev.ms < 3_600_000 ? prev.count : 0) + e.count,
        });
        continue;
      }
      const states = this.route.get(e.type === "packet" ? e.cls : "auth");
      if (!states) continue;
      for (const s of states) {
        if (!s.accepts(e)) continue;
        this.current = s;
        if (this.parking.on && s.parks) this.parking.feedFirst(s, e);
        else s.module.feed(e, this.ctx, s.rules[0]!);
      }
    }
    const pending = this.pending;
    this.pending = [];
    // With a shared store, everything this batch needs from the engine is taken now and the keys
    // are bounded before the exchange (no key window is recycled while a fleet exchange runs):
    // the caller may feed the next batch while the store answers this one.
    const batch = shared ? this.fleet!.take(pending) : undefined;
    this.bound();
    this.nearBound = this.keyCount > this.maxKeys >> 1;
    let alerts: Alert[];
    if (batch) {
      // Exchanges run in batch order.
      const fleet = this.fleet!;
      const before = this.exchanging;
      const states = this.states;
      const run = (async () => {
        await before;
        return fleet.exchange(this.store, batch, states, this.incidents, commit);
      })();
      this.exchanging = run.then(
        () => undefined,
        () => undefined,
      );
      alerts = await run;
    } else {
      alerts = deferring ? this.fleet!.defer(this.store, pending, commit) : pending.map((p) => p.alert);
    }
    // Said after the exchange: a store that failed during it has just switched to its fallback.
    const note = this.store.note;
    if (note) for (const a of alerts) a.evidence.push(note);
    this.stats.alerts += alerts.length;
    for (const al of alerts) this.opts.diagnostics.count("scanwatch_alerts_total", { type: al.type });
    return alerts;
  }

  private feedContext(): FeedContext {
    return {
      touch: (key, e, src, dst, proto, technique) => {
        const s = this.current;
        let k = s.find(key);
        if (!k && this.parking.applies(s)) {
          k = this.parking.missing(s, key);
          if (k && k === s.scratch) return k;
          if (!k) {
            const first = this.parking.scratch(s, key, e, src, dst, proto, technique);
            if (first) return first;
          }
        }
        this.parking.used(s);
        if (!k) {
          // Copies: a key sliced from a log line would keep the whole line alive.
          const own = detach(key);
          const [sc, dc] = [src && detach(src), dst && detach(dst)];
          k = s.spare.pop();
          if (k) {
            this.spares--;
            k.reuse(own, sc, dc, proto, e.host, technique);
          } else k = new KeyWindow(s.layout, own, sc, dc, proto, e.host, technique);
          k.seq = ++s.tick;
          s.put(k);
        } else if (this.nearBound && s.tick - k.seq > s.keys.size >> 1) {
          // Keys are evicted from the front of the map: a key still in use moves to the back
          // (at most once per half a map's worth of insertions, so this stays cheap). Only near
          // the bound, where the order matters: each move leaves a hole in the map's table, and
          // refilled tables were rebuilt (and promoted to the old generation) every few thousand
          // packets on a busy log with no key ever evicted. A key in use when the engine passes
          // half its bound moves back at its next event, well before any eviction.
          s.keys.delete(k.key);
          s.keys.set(k.key, k);
          k.seq = ++s.tick;
        }
        k.advance(e.ms, e.ts);
        if (k.incidents) active(k);
        return k;
      },
      peek: (key, e) => {
        const s = this.current;
        let k = s.find(key);
        if (!k && this.parking.applies(s)) {
          k = this.parking.missing(s, key);
          if (k && k === s.scratch) return k;
        }
        this.parking.used(s);
        if (!k) return undefined;
        k.advance(e.ms, e.ts);
        if (k.incidents) active(k);
        return k;
      },
      count: (k, e, n = 1) => {
        k.count(e.ms, n, e.source);
        this.fleet?.count(this.current, k, e, n);
      },
      member: (k, dim, value, e) => {
        this.fleet?.member(this.current, k, dim, value, e);
        return k.member(dim, value, e.ms);
      },
      tag: (k, tag, n = 1) => {
        k.tag(tag, n);
        this.fleet?.tag(this.current, k, tag, n);
      },
      check: (k, views) => {
        // A parked event was judged when it came, and could not alert then: never again (the
        // rules may have changed since, by SIGHUP or across a restart).
        if (this.parking.promoting) return;
        const n = this.current.rules.length;
        for (let v = 0; v < n; v++) if (views & (1 << v)) this.judge(this.current, k, v);
      },
      fact: (name, key) => this.fact(name, key),
    };
  }

  /**
   * The largest answer of the fact's providers: two tcp-scan rules with different filters (an
   * interface each, say) are two states, and a source is a scanner when either says so.
   */
  private fact(name: string, key: string): number | undefined {
    const providers = this.facts.get(name);
    if (!providers) return undefined;
    let v = 0;
    for (const p of providers) v = Math.max(v, p.fn(p.state, key));
    return v;
  }

  private judge(s: DetectorState, k: KeyWindow, v: number): void {
    const rule = s.rules[v]!;
    const view = s.viewOf(k, v);
    const level = ladderLevel(rule, s.module.measure.of(view));
    if (level < 0) return;
    this.parking.judging(s, k);
    const now = k.clock;
    const inc = this.incidentOf(rule, k, v, now);
    if (inc && level <= inc.level) {
      if (now > inc.lastSeen) inc.lastSeen = now;
      return;
    }
    const verdict = s.module.judge(view, rule);
    if (!verdict) return;
    const at = ladderLevel(rule, verdict.measure);
    if (at < 0 || (inc && at <= inc.level)) return;
    let status: "new" | "update" = "update";
    let raised = inc;
    if (raised) {
      raised.level = at;
      raised.lastSeen = now;
      raised.cooldownMs = Math.max(raised.cooldownMs, rule.cooldownMs);
    } else {
      status = "new";
      const name = `${rule.incidentGroup}|${k.key}`;
      const id = incidentId(name, k.first[v]!);
      raised = this.incidents.create(name, id, at, now, rule.cooldownMs);
    }
    // Every view of this key in the same incident group joins it: the key's events keep it active.
    const joined = (k.incidents ??= new Array(s.rules.length).fill(undefined));
    for (let j = 0; j < s.rules.length; j++)
      if (s.rules[j]!.incidentGroup === rule.incidentGroup) joined[j] = raised;
    const lower = this.lowerBound(k.host, k.first[v]!, now, rule.windowMs);
    this.pending.push({
      incident: raised,
      rule,
      lastSeen: now,
      at: { state: s, k, view: v },
      alert: buildAlert({
        id: raised.id,
        status,
        level: at,
        rule,
        verdict,
        view,
        src: k.src,
        dst: k.dst,
        host: k.host,
        firstSeen: k.first[v]!,
        lastSeen: now,
        ts: k.ts,
        members: (dim) => k.members(s.dimIndex(dim), v),
        samples: k.samples(v),
        notes: lower ? [lower.note] : [],
        lowerBound: lower !== undefined,
      }),
    });
  }

  private incidentOf(rule: CompiledRule, k: KeyWindow, v: number, now: number): Incident | undefined {
    const cached = k.incidents?.[v] as Incident | undefined;
    if (cached && isLive(cached, now)) return cached;
    const inc = this.incidents.get(`${rule.incidentGroup}|${k.key}`, now);
    if (inc) (k.incidents ??= new Array(this.current.rules.length).fill(undefined))[v] = inc;
    return inc;
  }

  private lowerBound(
    host: string,
    first: number,
    last: number,
    windowMs: number,
  ): { note: string } | undefined {
    const sup = this.suppressed.get(host);
    if (!sup || sup.ms < first - windowMs || sup.ms > last + windowMs) return undefined;
    return {
      note: `the kernel dropped ${sup.count} log message(s) ("callbacks suppressed") around this time: counts are lower bounds`,
    };
  }

  /**
   * Bounds memory once per batch (see key-bound.ts). Nothing outside the maps refers to a dropped
   * key unless a fleet exchange kept it, so only without one are dropped keys' objects recycled.
   */
  private bound(): void {
    const max = this.maxKeys;
    if (this.keyCount <= max) return;
    const now = this.watermark;
    this.incidents.sweep(now);
    const spareRoom = this.fleet === undefined ? Math.max(0, Math.floor(max / 10) - this.spares) : 0;
    const { evicted, recycled } = boundKeys(this.states, max, now, spareRoom, (s) =>
      this.parking.expire(s, now),
    );
    this.spares += recycled;
    this.evicted += evicted;
    this.opts.diagnostics.count("scanwatch_store_evictions_total", undefined, evicted);
  }
}

/** An event reached key `k`: its open incidents are active until the key's clock. */
function active(k: KeyWindow): void {
  for (const inc of k.incidents as (Incident | undefined)[])
    if (inc && isLive(inc, k.clock) && k.clock > inc.lastSeen) inc.lastSeen = k.clock;
}
