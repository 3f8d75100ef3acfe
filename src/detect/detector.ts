import type { Event, PacketEvent, SourceRef } from "../events/event.js";
import type { PacketClass } from "../events/packet-class.js";
import type { CompiledRule } from "../rules/compiled-rule.js";
import type { KeyWindow } from "./window/key-window.js";

/** What an event is, for routing: a packet's class, or an sshd event. */
export type EventClass = PacketClass | "auth";

/** A detector's decision that a key is an attack, before incident bookkeeping. */
export interface Verdict {
  /** The value the rule's threshold and severity ladder are compared to. */
  measure: number;
  type: string;
  technique?: string;
  confidence?: number;
  evidence: string[];
  /** Which of the detector's dimensions hold the alert's ports, hosts and sources. */
  dims: { ports?: string; hosts?: string; sources?: string };
  /** Fixed port list when the key itself names the port. */
  ports?: number[];
}

/**
 * One key seen through one rule's window: what `judge` reads. Implemented over the engine's own
 * windows and over a fleet store's snapshot, so a verdict is the same function of the same
 * numbers wherever they live.
 */
export interface WindowView {
  readonly proto: string;
  readonly technique?: string;
  events(): number;
  distinct(dim: string): number;
  estimate(dim: string): boolean;
  tag(name: string): number;
  /** Members of a dimension in the window (at most the exact bound); undefined where a view cannot list them. */
  members(dim: string): string[] | undefined;
  /** A fact another detector provides (its `provides`); undefined when no rule provides it. */
  fact(name: string, key: string): number | undefined;
}

/** The state a detector's `feed` writes into, handed to it by the engine. */
export interface FeedContext {
  /**
   * The key's windows, created on first use with the given identity, its clock advanced to the
   * event's time. One call per key per event.
   */
  touch(
    key: string,
    e: Event,
    src: string | null,
    dst: string | null,
    proto: string,
    technique?: string,
  ): KeyWindow;
  /** The key's windows if it exists (clock advanced), without creating it. */
  peek(key: string, e: Event): KeyWindow | undefined;
  /** Adds `n` events to the key at the event's time (evidence sample included). */
  count(k: KeyWindow, e: Event, n?: number): void;
  /** Records a member; returns the views whose distinct count grew. */
  member(k: KeyWindow, dim: number, value: string | number, e: Event): number;
  tag(k: KeyWindow, tag: number, n?: number): void;
  /** Asks the engine to judge the views in `views` (a bit per view) of key `k`. */
  check(k: KeyWindow, views: number): void;
  /**
   * A fact another detector provides (see `provides`), e.g. whether a source is a scanner on its
   * own; undefined when no rule provides it.
   */
  fact(name: string, key: string): number | undefined;
}

/** All views of a key, for detectors whose measure grows with every event. */
export const ALL_VIEWS = 0x7fffffff;

/**
 * One behaviour, as one module: its rule fields (schema fragment and compile step), the alert
 * types it raises, what `threshold` measures, which events it can use, the facts it provides to
 * and needs from other detectors, and the code that keys events and judges windows. The registry
 * assembles the rule schema and the engine's routing from these; adding a detection is one such
 * module, one rule file and one scenario.
 */
export interface DetectorModule<P = unknown> {
  readonly name: string;
  /** JSON Schema of the rule fields this detector adds, each with its description and unit. */
  readonly params: Readonly<Record<string, object>>;
  readonly requiredParams: readonly string[];
  readonly alertTypes: readonly string[];
  /** What `threshold` and the severity ladder measure, and the most it can reach in one window. */
  readonly measure: { readonly what: string; readonly max: number; of(view: WindowView): number };
  /**
   * Event classes `feed` can use; the engine routes nothing else to it. A function when the
   * classes depend on the rule (a SYN flood rule takes SYNs only).
   */
  readonly accepts: readonly EventClass[] | ((rule: CompiledRule<P>) => readonly EventClass[]);
  /** The member dimensions and counters each key keeps. */
  readonly dims: readonly string[];
  /**
   * Per dimension, the most distinct members `judge` needs to tell apart under `rule` (a flood
   * that may touch at most 5 ports needs 6). Past it a key keeps only that many, the most
   * recently seen, and the dimension's count stops there: exact up to it, never beyond the log.
   * A dimension not named keeps every member up to the engine's exact bound.
   */
  readonly distinctUpTo?: (rule: CompiledRule<P>) => Readonly<Record<string, number>>;
  readonly tags: readonly string[];
  /** Facts this detector answers for others, computed from its state. */
  readonly provides?: Readonly<Record<string, (state: FactSource, key: string) => number>>;
  readonly needs?: readonly string[];
  /** Compiles the detector's own fields of a validated rule spec; problems as `/field: message`. */
  compile(spec: Readonly<Record<string, unknown>>, problems: string[]): P;
  /**
   * Rules whose keys are built from the same events the same way share one state (one key per
   * source, say) and differ only in window: this string says which rules can share.
   */
  stateKey(rule: CompiledRule<P>): string;
  /** Keys one event (already filtered by the state's rules) and records it. */
  feed(e: Event, ctx: FeedContext, rule: CompiledRule<P>): void;
  /** The verdict on one key through one rule's window, or undefined. Pure. */
  judge(view: WindowView, rule: CompiledRule<P>): Verdict | undefined;
}

/** What a fact provider may read: one of its keys through its own rules' windows. */
export interface FactSource {
  readonly rules: readonly CompiledRule[];
  view(key: string, rule: number): WindowView | undefined;
}

export type AnyDetector = DetectorModule<any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export function sourceRef(e: Event): SourceRef {
  return e.source;
}

export function isPacket(e: Event): e is PacketEvent {
  return e.type === "packet";
}
