import type { Event } from "../events/event.js";
import { detach } from "../util/detach.js";
import type { DetectorState } from "./detector-state.js";
import { KeyWindow } from "./window/key-window.js";

/**
 * A new key is made on its second event; its first waits parked, as the event alone (a few
 * hundred bytes shared by every state that parked it, against about a kilobyte of windows per
 * key). Under a flood of spoofed sources nearly every key sees a single packet.
 *
 * A parking state's feed records a new key's first event into the state's scratch key, then
 * keeps the event. The key is made when a second event reaches it, by feeding the parked event
 * first: nothing else touched that key in between, so its windows end up exactly as if it had
 * been made at once. The scratch key becomes a real key at once when the first event could
 * raise an alert on its own (a rule with a threshold of 1, one sshd line counting several
 * failures), or when the feed used any other key. The engine calls in from its feed context:
 * `missing` and `scratch` where a key has no windows, `used` for every key a feed touches or
 * looks at, `judging` before a verdict.
 */
export class Parking {
  /** New keys wait for their second event: only with the embedded store (set per batch). */
  on = false;
  /** Feeding a parked event: its key is made at once, and it is not judged again. */
  promoting = false;
  /** Keys the current parking feed touched or looked at. */
  private uses = 0;
  /** The key the current parking feed recorded into its state's scratch key, if any. */
  private scratchKey: string | undefined;
  /** The last event parked and its copy (see parkedCopy). */
  private parkedFrom: Event | undefined;
  private parkedAs: Event | undefined;
  private lastTs = "";
  private lastTsCopy = "";

  /** `feed` runs a state's detector on one event, through the engine's feed context. */
  constructor(private readonly feed: (s: DetectorState, e: Event) => void) {}

  /** Whether a key of `s` without windows may be parked or unparked now. */
  applies(s: DetectorState): boolean {
    return this.on && s.parks && !this.promoting;
  }

  /** Feeds `e` to a state that parks, and parks it when it recorded into the scratch key only. */
  feedFirst(s: DetectorState, e: Event): void {
    this.uses = 0;
    this.scratchKey = undefined;
    this.feed(s, e);
    if (this.scratchKey !== undefined) {
      s.parked.set(detach(this.scratchKey), this.parkedCopy(e));
      this.scratchKey = undefined;
    }
  }

  /**
   * For a key of `s` without windows: the scratch key when this feed already records into it,
   * else the key made from its parked first event, else undefined.
   */
  missing(s: DetectorState, key: string): KeyWindow | undefined {
    if (key === this.scratchKey) return s.scratch;
    const first = s.parked.get(key);
    if (first === undefined) return undefined;
    s.parked.delete(key);
    this.promote(s, first);
    return s.find(key);
  }

  /** The scratch key for a new key's first event, when it is the first key this feed uses. */
  scratch(
    s: DetectorState,
    key: string,
    e: Event,
    src: string | null,
    dst: string | null,
    proto: string,
    technique?: string,
  ): KeyWindow | undefined {
    if (this.uses > 0) return undefined;
    this.uses++;
    this.scratchKey = key;
    const w = (s.scratch ??= new KeyWindow(s.layout, key, src, dst, proto, e.host, technique));
    w.reuse(key, src, dst, proto, e.host, technique);
    w.advance(e.ms, e.ts);
    return w;
  }

  /**
   * A feed used a key other than its scratch key: the scratch key becomes a key of its own (fed
   * again later, the event could see that other key changed).
   */
  used(s: DetectorState): void {
    if (this.scratchKey !== undefined) this.keep(s);
    this.uses++;
  }

  /** A verdict is about to be reached on `k`: a scratch key that can alert becomes a key. */
  judging(s: DetectorState, k: KeyWindow): void {
    if (k === s.scratch && this.scratchKey !== undefined) this.keep(s);
  }

  /** Feeds every parked event (before events go to a shared store, which must count them all). */
  unparkAll(states: readonly DetectorState[]): void {
    for (const s of states) {
      if (s.parked.size === 0) continue;
      const firsts = [...s.parked.values()];
      s.parked.clear();
      for (const e of firsts) this.promote(s, e);
    }
  }

  /** Drops parked keys of `s` whose windows have all passed at `now`, from the front (the oldest). */
  expire(s: DetectorState, now: number): void {
    const w = s.layout.maxWindowMs;
    for (const [key, e] of s.parked) {
      if (now - e.ms <= w) break;
      s.parked.delete(key);
    }
  }

  /** Feeds a parked first event, making its key. */
  private promote(s: DetectorState, first: Event): void {
    const [uses, scratchKey, promoting] = [this.uses, this.scratchKey, this.promoting];
    this.promoting = true;
    this.scratchKey = undefined;
    try {
      this.feed(s, first);
    } finally {
      [this.uses, this.scratchKey, this.promoting] = [uses, scratchKey, promoting];
    }
  }

  /** The scratch key of the current feed becomes a key of its own. */
  private keep(s: DetectorState): void {
    const k = s.scratch!;
    s.scratch = undefined;
    this.scratchKey = undefined;
    k.detachIdentity();
    k.seq = ++s.tick;
    s.put(k);
  }

  /**
   * The event as parked: its text copied off the log line it was sliced from (an address of 13
   * characters or more is a slice that keeps the whole line alive). One copy per event, shared
   * by every state that parks it.
   */
  private parkedCopy(e: Event): Event {
    if (this.parkedFrom === e) return this.parkedAs!;
    const c = { ...e } as Record<string, unknown>;
    for (const f in c) if (typeof c[f] === "string") c[f] = detach(c[f]);
    // Events of one second share one copy of their time text (detach's few recent copies cycle
    // through each event's address and keys, and a flood's first events held one copy each).
    if (e.ts === this.lastTs) c.ts = this.lastTsCopy;
    else {
      this.lastTs = e.ts;
      this.lastTsCopy = c.ts as string;
    }
    this.parkedFrom = e;
    this.parkedAs = c as unknown as Event;
    return this.parkedAs;
  }
}
