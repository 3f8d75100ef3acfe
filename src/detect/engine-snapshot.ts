import type { Event } from "../events/event.js";
import { isEvent } from "../events/event-check.js";
import type { CompiledRule } from "../rules/compiled-rule.js";
import type { AnyDetector } from "./detector.js";
import type { DetectorState } from "./detector-state.js";
import type { Incident, IncidentBook } from "./incident-book.js";
import {
  keyWindowFromJson,
  keyWindowToJson,
  type KeyWindow,
  type KeyWindowJson,
} from "./window/key-window.js";

/** Most keys a snapshot keeps (the most recently active), and about how many bytes. */
export const SNAPSHOT_MAX_KEYS = 20_000;
export const SNAPSHOT_MAX_BYTES = 32 << 20;

/**
 * The engine's windows and incidents as plain JSON: what `tail` saves with its file positions
 * (one write, one moment), so that a restart resumes both. Keys beyond SNAPSHOT_MAX_KEYS (the
 * least recently active) and members beyond SNAPSHOT_MEMBERS per dimension are left out.
 */
export interface EngineSnapshot {
  version: 1;
  watermark: number | null;
  states: {
    sig: string;
    keys: KeyWindowJson[];
    joined: (string | null)[][];
    /** Keys parked on their first event (see parking.ts): the key and that event. */
    parked?: [key: string, first: Event][];
  }[];
  incidents: [name: string, id: string, level: number, lastSeen: number, cooldownMs: number][];
}

/**
 * What identifies a detector state across reloads and restarts: its detector, keying, filter
 * and rules with their windows. A state whose signature changed starts empty.
 */
export function signature(m: AnyDetector, rules: readonly CompiledRule[]): string {
  const r0 = rules[0]!;
  return `${m.name}|${m.stateKey(r0)}|${r0.filterKey}|${rules.map((r) => `${r.id}:${r.windowMs}`).join(",")}`;
}

/** The states' windows and the open incidents as JSON, the most recently active keys first. */
export function snapshotOf(
  states: readonly DetectorState[],
  incidents: IncidentBook,
  watermark: number,
  maxKeys = SNAPSHOT_MAX_KEYS,
): EngineSnapshot {
  // Keys and parked keys together, the most recently active first (a parked key's clock is
  // its one event's time).
  type Item =
    | { i: number; k: KeyWindow; key?: undefined; e?: undefined }
    | { i: number; key: string; e: Event; k?: undefined };
  const all: { at: number; item: Item }[] = [];
  states.forEach((s, i) => {
    for (const k of s.keys.values()) all.push({ at: k.clock, item: { i, k } });
    for (const [key, e] of s.parked) all.push({ at: e.ms, item: { i, key, e } });
  });
  all.sort((a, b) => b.at - a.at);
  const out: EngineSnapshot["states"] = states.map((s) => ({
    sig: signature(s.module, s.rules),
    keys: [],
    joined: [],
  }));
  // A byte budget too (about 24 bytes of JSON per member, 300 per key, 600 per parked key),
  // so that a state file stays a few tens of MB whatever the keys hold.
  let budget = SNAPSHOT_MAX_BYTES;
  for (const { item } of all.slice(0, maxKeys)) {
    const st = out[item.i]!;
    if (item.k) {
      const j = keyWindowToJson(item.k);
      budget -= 300 + 24 * (j.m ?? []).reduce((n, d) => n + (d?.e.length ?? 0), 0);
      if (budget < 0) break;
      st.keys.push(j);
      st.joined.push(((item.k.incidents ?? []) as (Incident | undefined)[]).map((i) => i?.name ?? null));
    } else {
      budget -= 600;
      if (budget < 0) break;
      (st.parked ??= []).push([item.key, item.e]);
    }
  }
  const open: EngineSnapshot["incidents"] = [];
  for (const i of incidents.all()) open.push([i.name, i.id, i.level, i.lastSeen, i.cooldownMs]);
  return {
    version: 1,
    watermark: Number.isFinite(watermark) ? watermark : null,
    states: out.filter((x) => x.keys.length || x.parked),
    incidents: open,
  };
}

/**
 * Puts a snapshot's windows and incidents into `states` and `incidents`. Keys of detector states
 * whose rules changed since (another window, another filter) are left out. Returns what is
 * wrong with a snapshot that is not one, else the snapshot's watermark (when it has one).
 */
export function restoreInto(
  states: readonly DetectorState[],
  incidents: IncidentBook,
  snap: unknown,
): string | { watermark?: number } {
  const s = snap as Partial<EngineSnapshot> | null;
  if (!s || typeof s !== "object" || s.version !== 1) return "not an engine snapshot of version 1";
  if (!Array.isArray(s.states) || !Array.isArray(s.incidents)) return "states or incidents missing";
  try {
    const byName = new Map<string, Incident>();
    for (const [name, id, level, lastSeen, cooldownMs] of s.incidents) {
      if (
        typeof name !== "string" ||
        typeof id !== "string" ||
        ![level, lastSeen, cooldownMs].every(Number.isFinite)
      )
        return "a malformed incident";
      byName.set(name, incidents.create(name, id, level, lastSeen, cooldownMs));
    }
    const bySig = new Map(states.map((x) => [signature(x.module, x.rules), x]));
    for (const st of s.states) {
      const state = bySig.get(st.sig);
      if (!state) continue;
      st.keys.forEach((j, i) => {
        const k = keyWindowFromJson(state.layout, j);
        if (!k) return;
        const joined = st.joined[i] ?? [];
        if (joined.some((n) => n !== null))
          k.incidents = joined.map((n) => (n === null ? undefined : byName.get(n)));
        k.seq = ++state.tick;
        state.put(k);
        state.parked.delete(k.key); // a key is parked or has windows, never both
      });
      // Oldest first, as they were parked; an entry that is not a key and an event is left out,
      // and so is every one for a state that no longer parks (a detector that now needs facts).
      const parked = Array.isArray(st.parked) && state.parks ? [...st.parked].reverse() : [];
      for (const p of parked)
        if (Array.isArray(p) && typeof p[0] === "string" && isEvent(p[1]) && !state.keys.has(p[0]))
          state.parked.set(p[0], p[1]);
    }
    return typeof s.watermark === "number" ? { watermark: s.watermark } : {};
  } catch (e) {
    return `unreadable (${(e as Error).message})`;
  }
}
