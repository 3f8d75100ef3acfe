import type { Event } from "../events/event.js";
import type { CompiledRule } from "../rules/compiled-rule.js";
import type { AnyDetector, FactSource, WindowView } from "./detector.js";
import { KeyWindow, WindowLayout } from "./window/key-window.js";

/**
 * One detector's keyed state for the rules that share it (same detector, same filter, same
 * keying): one KeyWindow per key, one view per rule. Rule r of `rules` is view r of every key.
 */
export class DetectorState implements FactSource {
  /** Keys with windows. Look up with `find`; add and remove with `put` and `drop` only. */
  readonly keys = new Map<string, KeyWindow>();
  /** Insertions and moves to the back of `keys`, for least-recently-used eviction. */
  tick = 0;
  /** Objects of dropped keys, for new keys of this state to take over (the engine bounds it). */
  readonly spare: KeyWindow[] = [];
  /**
   * Keys that saw one event so far, as that event, not yet fed (see Engine: a key is made on its
   * second event). Insertion order is arrival order, so the front is the oldest.
   */
  readonly parked = new Map<string, Event>();
  /** The key a parked event is fed into first (reset for each new key; never in `keys`). */
  scratch: KeyWindow | undefined;
  /**
   * Whether this state may park a new key's first event. Not for a detector that reads another
   * detector's facts: fed later, the event could read them changed.
   */
  readonly parks: boolean;
  readonly layout: WindowLayout;
  private readonly dimIdx = new Map<string, number>();
  /** One reusable view, re-pointed for each judgement (judge is pure and keeps nothing). */
  private readonly scratchView: LocalView;

  /**
   * The key found last, with its own copy of the key text: the packets of a scan or a flood come
   * one after another from one source or to one target, and a compare costs far less than a
   * lookup in a map of thousands of keys. Forgotten whenever a key leaves `keys`.
   */
  private lastKey: string | undefined = undefined;
  private lastWin: KeyWindow | undefined = undefined;

  /** Answers `WindowView.fact`; set by the engine once every state exists. */
  facts: (name: string, key: string) => number | undefined = () => undefined;

  constructor(
    readonly module: AnyDetector,
    readonly rules: readonly CompiledRule[],
    maxMembers?: number,
  ) {
    this.layout = new WindowLayout(
      rules.map((r) => r.window),
      module.dims,
      module.tags,
      maxMembers,
      // The largest any rule needs; a rule that names no cap for a dimension needs every member.
      module.dims.map((d) => Math.max(...rules.map((r) => module.distinctUpTo?.(r)[d] ?? Infinity))),
    );
    module.dims.forEach((d, i) => this.dimIdx.set(d, i));
    this.parks = !module.needs?.length;
    this.scratchView = new LocalView(this);
  }

  /** The rules' shared filter: `match` and allow-lists are the same for every rule here. */
  accepts(e: Event): boolean {
    const r = this.rules[0]!;
    if (e.type === "packet") {
      if (!r.matches(e)) return false;
      if (r.allowSrc.size && r.allowSrc.has(e.src)) return false;
      if (r.allowDst.size && r.allowDst.has(e.dst)) return false;
      return true;
    }
    if (e.type === "auth") return !(r.allowSrc.size && r.allowSrc.has(e.src));
    return false;
  }

  dimIndex(name: string): number {
    return this.dimIdx.get(name) ?? -1;
  }

  /** Key `k` through rule `v`'s window. The view is reused: read it before the next call. */
  viewOf(k: KeyWindow, v: number): WindowView {
    this.scratchView.at(k, v);
    return this.scratchView;
  }

  /** Keys held: those with windows and those parked on their first event. */
  get size(): number {
    return this.keys.size + this.parked.size;
  }

  /** The key's windows, if it has any (parked keys have none). */
  find(key: string): KeyWindow | undefined {
    if (key === this.lastKey) return this.lastWin;
    const k = this.keys.get(key);
    if (k) {
      this.lastKey = k.key;
      this.lastWin = k;
    }
    return k;
  }

  /** Removes a key from `keys`; the only way one leaves it. */
  drop(k: KeyWindow): void {
    this.keys.delete(k.key);
    if (k === this.lastWin) this.lastKey = this.lastWin = undefined;
  }

  /** Puts `k` under its key, replacing any key there. */
  put(k: KeyWindow): void {
    const old = this.keys.get(k.key);
    if (old && old === this.lastWin) this.lastKey = this.lastWin = undefined;
    this.keys.set(k.key, k);
  }

  view(key: string, v: number): WindowView | undefined {
    const k = this.find(key);
    return k ? this.viewOf(k, v) : undefined;
  }
}

class LocalView implements WindowView {
  private k!: KeyWindow;
  private v = 0;
  constructor(private readonly state: DetectorState) {}

  at(k: KeyWindow, v: number): void {
    this.k = k;
    this.v = v;
  }
  get proto(): string {
    return this.k.proto;
  }
  get technique(): string | undefined {
    return this.k.technique;
  }
  events(): number {
    return this.k.events(this.v);
  }
  distinct(dim: string): number {
    const d = this.state.dimIndex(dim);
    return d < 0 ? 0 : this.k.distinct(d, this.v);
  }
  estimate(dim: string): boolean {
    const d = this.state.dimIndex(dim);
    return d >= 0 && this.k.estimate(d, this.v);
  }
  tag(name: string): number {
    return this.k.tagValue(this.state.layout.tagIndex(name), this.v);
  }
  members(dim: string): string[] {
    const d = this.state.dimIndex(dim);
    return d < 0 ? [] : this.k.members(d, this.v);
  }
  fact(name: string, key: string): number | undefined {
    return this.state.facts(name, key);
  }
}
