import type { Alert } from "../events/alert.js";
import type { Event } from "../events/event.js";
import type { CompiledRule } from "../rules/compiled-rule.js";
import { buildAlert, isoAt, ladderLevel } from "./alert-builder.js";
import type { WindowView } from "./detector.js";
import type { DetectorState } from "./detector-state.js";
import { incidentId, type Incident, type IncidentBook } from "./incident-book.js";
import type { KeyWindow } from "./window/key-window.js";
import type { Commit, EscalateRequest, WindowSnapshot, WindowStore, WindowUpdate } from "./window-store.js";

/** An alert this process raised in a batch, before a shared store confirmed it. */
export interface Pending {
  alert: Alert;
  incident: Incident;
  rule: CompiledRule;
  lastSeen: number;
  /** The key and view it was judged on (this process's own window). */
  at?: { state: DetectorState; k: KeyWindow; view: number };
  /** This process's own events in that window after the batch (set by `take`). */
  own?: number;
}

/** A batch's part of an exchange, taken when the batch was fed (see `take`). */
export interface FleetBatch {
  slots: Slot[];
  pending: Pending[];
}

const SAMPLES_PER_UPDATE = 2;

interface Slot {
  update: WindowUpdate;
  state: DetectorState;
  view: number;
  k: KeyWindow;
  /** The bucket (of the view's rule) this slot aggregates. */
  bucket: number;
  /** The key's last timestamp as written in the log, when the batch was taken. */
  ts?: string;
}

/**
 * The exchange with a store shared by a fleet (Redis). The engine's own windows stay exact for
 * this process's events; the batch's events are also sent to the store, aggregated per key and
 * bucket (never across buckets, so the store's windows slide like the engine's), in one
 * exchange after the batch. The store answers with the fleet's windows: a key that other
 * servers' events push over a threshold is raised here too. Every escalation goes through the
 * store, so a fleet alerts once per incident step.
 *
 * While the shared store is away (a FallbackStore on memory), the same updates are collected
 * and handed to `store.defer` with this process's escalations, to be written back later; the
 * alerts are this process's own.
 */
export class FleetSync {
  /** The batch's slots, in creation order. */
  private slots: Slot[] = [];
  /**
   * Per key window, its slots of this batch (a few: one per view and bucket). Keyed by the
   * object: a key window is not reused while its batch is collected or exchanged (the engine
   * recycles no dropped key window while it exchanges with a fleet store).
   */
  private byKey = new Map<KeyWindow, Slot[]>();
  /**
   * Verdicts this process reached that the shared store had already alerted at that level or
   * above (another agent, or an earlier run over the same logs): not alerted again.
   */
  alreadyAlerted = 0;

  reset(): void {
    this.slots = [];
    this.byKey.clear();
  }

  private slot(s: DetectorState, k: KeyWindow, v: number, ms: number): WindowUpdate {
    const rule = s.rules[v]!;
    const b = Math.floor(ms / rule.window.bucketMs);
    let list = this.byKey.get(k);
    if (!list) this.byKey.set(k, (list = []));
    let slot: Slot | undefined;
    for (const x of list) {
      if (x.view === v && x.bucket === b) {
        slot = x;
        break;
      }
    }
    if (!slot) {
      slot = {
        update: {
          key: `${rule.id}|${k.key}`,
          windowMs: rule.windowMs,
          ts: ms,
          firstTs: ms,
          count: 0,
          dims: s.module.dims,
        },
        state: s,
        view: v,
        k,
        bucket: b,
      };
      list.push(slot);
      this.slots.push(slot);
    }
    const u = slot.update;
    if (ms > u.ts) u.ts = ms;
    if (ms < u.firstTs) u.firstTs = ms;
    return u;
  }

  count(s: DetectorState, k: KeyWindow, e: Event, n: number): void {
    for (let v = 0; v < s.rules.length; v++) {
      const u = this.slot(s, k, v, e.ms);
      u.count += n;
      if (n > 0) {
        u.samples ??= [];
        if (u.samples.length < SAMPLES_PER_UPDATE) u.samples.push(`${e.source.file}:${e.source.line}`);
      }
    }
  }

  member(s: DetectorState, k: KeyWindow, dim: number, member: string | number, e: Event): void {
    const value = String(member);
    const name = s.module.dims[dim]!;
    for (let v = 0; v < s.rules.length; v++) {
      const u = this.slot(s, k, v, e.ms);
      u.sets ??= {};
      const m = (u.sets[name] ??= new Map());
      const prev = m.get(value);
      if (prev === undefined || e.ms > prev) m.set(value, e.ms);
    }
  }

  tag(s: DetectorState, k: KeyWindow, tag: number, n: number): void {
    const name = s.module.tags[tag]!;
    for (let v = 0; v < s.rules.length; v++) {
      const u = this.slot(s, k, v, k.clock);
      u.tags ??= {};
      u.tags[name] = (u.tags[name] ?? 0) + n;
    }
  }

  /** The batch while the shared store is away: its updates and escalations are kept for later. */
  defer(store: WindowStore, pending: Pending[], commit?: Commit): Alert[] {
    const updates = this.drain().map((s) => s.update);
    store.defer?.(updates, pending.map(escalationOf), commit);
    return pending.map((p) => p.alert);
  }

  /** The batch's slots in event-time order, and a clean slate for the next batch. */
  private drain(): Slot[] {
    const slots = this.slots.sort((a, b) => a.update.ts - b.update.ts);
    this.reset();
    return slots;
  }

  /**
   * The batch just fed, with what its exchange reads of the engine's own windows copied now:
   * the next batch may be fed while the store answers this one (the key windows themselves stay
   * valid objects, and only their key, addresses and protocol are read later).
   */
  take(pending: Pending[]): FleetBatch {
    const slots = this.drain();
    for (const slot of slots) slot.ts = slot.k.ts;
    for (const p of pending) if (p.at) p.own = p.at.state.viewOf(p.at.k, p.at.view).events();
    return { slots, pending };
  }

  async exchange(
    store: WindowStore,
    batch: FleetBatch,
    states: readonly DetectorState[],
    incidents: IncidentBook,
    commit?: Commit,
  ): Promise<Alert[]> {
    const { slots, pending } = batch;
    // The batch's commit rides in the same call as its updates (alone when it has none).
    const snaps =
      slots.length || commit
        ? await store.observe(
            slots.map((s) => s.update),
            commit,
          )
        : [];
    // The fleet's window of each key after the batch: the last snapshot of its updates.
    const last = new Map<string, { slot: Slot; snap: WindowSnapshot }>();
    slots.forEach((slot, i) => last.set(slot.update.key, { slot, snap: snaps[i]! }));
    for (const p of pending) addFleetEvents(p, last);
    const raisedHere = new Set(pending.map((p) => p.incident.name));
    // Keys whose fleet window warrants an alert: their reads and every escalation go to the
    // store in one exchange (verdictReads), not one call per candidate.
    const found: {
      slot: Slot;
      snap: WindowSnapshot;
      rule: CompiledRule;
      view: WindowView;
      verdict: NonNullable<ReturnType<DetectorState["module"]["judge"]>>;
      at: number;
      incident: Incident;
      inc: Incident | undefined;
      dims: string[];
    }[] = [];
    for (const { slot, snap } of last.values()) {
      const { state, view: v, k } = slot;
      if (!states.includes(state)) continue;
      const rule = state.rules[v]!;
      const view = snapshotView(snap, k);
      const level = ladderLevel(rule, state.module.measure.of(view));
      if (level < 0) continue;
      const name = `${rule.incidentGroup}|${k.key}`;
      if (raisedHere.has(name)) continue;
      const inc = incidents.get(name, snap.lastSeen);
      if (inc && level <= inc.level) continue;
      const verdict = state.module.judge(view, rule);
      if (!verdict) continue;
      const at = ladderLevel(rule, verdict.measure);
      if (at < 0 || (inc && at <= inc.level)) continue;
      const dims = [...new Set(Object.values(verdict.dims).filter((d): d is string => !!d))];
      const id = incidentId(name, snap.firstSeen);
      const incident = inc ?? { name, id, level: -1, lastSeen: snap.lastSeen, cooldownMs: rule.cooldownMs };
      found.push({ slot, snap, rule, view, verdict, at, incident, inc, dims });
    }
    const escalations = [
      ...pending.map(escalationOf),
      ...found.map((f) => ({
        incident: f.incident.name,
        level: levelOf(f.rule, f.rule.ladder[f.at]!.severity),
        ttlMs: Math.max(f.incident.cooldownMs, f.rule.cooldownMs),
        idCandidate: f.incident.id,
        nowMs: f.snap.lastSeen,
      })),
    ];
    const reply = await store.verdictReads(
      found.map((f) => ({ key: f.slot.update.key, dims: f.dims, limit: 100 })),
      escalations,
    );
    const candidates = [...pending];
    found.forEach((f, i) => {
      const { slot, snap, rule, view, verdict, at, incident, inc } = f;
      const { k } = slot;
      const read = reply.reads[i]!;
      candidates.push({
        incident,
        rule,
        lastSeen: snap.lastSeen,
        alert: buildAlert({
          id: incident.id,
          status: inc ? "update" : "new",
          level: at,
          rule,
          verdict,
          view,
          src: k.src,
          dst: k.dst,
          host: k.host,
          firstSeen: snap.firstSeen,
          lastSeen: snap.lastSeen,
          ts: slot.ts ?? k.ts,
          members: (dim) => read.members[dim] ?? [],
          samples: read.samples.map(toRef),
          notes: [],
          lowerBound: false,
        }),
      });
    });
    const out: Alert[] = [];
    const kept: EscalateRequest[] = [];
    const results = reply.escalations;
    candidates.forEach((c, i) => {
      const r = results[i]!;
      if (r.deferred) {
        // The store went away during this exchange. An incident this process raised itself is
        // alerted on its own judgement (its book already has it) and kept for the store; one
        // that only the fleet's windows raised waits for the store to answer again.
        if (i < pending.length) {
          out.push(c.alert);
          kept.push(escalationOf(c));
        }
        return;
      }
      const local = incidents.get(c.incident.name, c.lastSeen);
      if (local) {
        local.level = Math.max(local.level, r.level);
        local.id = r.id;
      } else incidents.create(c.incident.name, r.id, r.level, c.lastSeen, c.rule.cooldownMs);
      if (!r.raised) {
        if (i < pending.length) this.alreadyAlerted++;
        return;
      }
      out.push({ ...c.alert, id: r.id, status: r.created ? "new" : "update" });
    });
    if (kept.length) store.defer?.([], kept);
    out.sort((x, y) => (x.lastSeen < y.lastSeen ? -1 : x.lastSeen > y.lastSeen ? 1 : 0));
    return out;
  }
}

/**
 * An alert judged on this process's window counts, besides its own events up to the moment it
 * fired, the events the shared window holds that this process did not send (other agents',
 * or this agent's before a restart): the store's count after the batch minus this process's own
 * count after the batch. A single process on the store adds nothing, so its alerts are those of
 * the embedded store. Distinct counts stay this process's own (sets do not subtract).
 */
function addFleetEvents(p: Pending, last: Map<string, { snap: WindowSnapshot }>): void {
  if (!p.at) return;
  const { state, k, view } = p.at;
  const snap = last.get(`${p.rule.id}|${k.key}`)?.snap;
  if (!snap) return;
  const others = snap.events - (p.own ?? state.viewOf(k, view).events());
  if (others <= 0) return;
  p.alert.events += others;
  // Those began before this process's own first event (another agent's, or before a restart).
  if (snap.firstSeen < Date.parse(p.alert.firstSeen))
    p.alert.firstSeen = isoAt(snap.firstSeen, p.alert.firstSeen.slice(23));
  p.alert.evidence.push(
    `${others.toLocaleString("en-US")} of the ${p.alert.events.toLocaleString("en-US")} events were counted in the shared window before this process saw its own (other agents, or this one before a restart)`,
  );
}

function levelOf(rule: CompiledRule, severity: string): number {
  return rule.ladder.findIndex((s) => s.severity === severity);
}

function escalationOf(c: Pending): EscalateRequest {
  return {
    incident: c.incident.name,
    level: levelOf(c.rule, c.alert.severity),
    ttlMs: Math.max(c.incident.cooldownMs, c.rule.cooldownMs),
    idCandidate: c.alert.id,
    nowMs: c.lastSeen,
  };
}

function snapshotView(s: WindowSnapshot, k: KeyWindow): WindowView {
  return {
    proto: k.proto,
    technique: k.technique,
    events: () => s.events,
    distinct: (dim) => s.sets[dim]?.count ?? 0,
    estimate: (dim) => s.sets[dim]?.estimate === true,
    tag: (name) => s.tags[name] ?? 0,
    members: () => undefined,
    fact: () => 0,
  };
}

function toRef(s: string): { file: string; line: number } {
  const i = s.lastIndexOf(":");
  return { file: s.slice(0, i), line: Number(s.slice(i + 1)) };
}
