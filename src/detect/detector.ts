import type { Event } from "../events/event.js";
import type { CompiledRule } from "../rules/compiled-rule.js";
import type { Aggregator, KeyAgg } from "./aggregator.js";
import type { WindowSnapshot } from "./window-store.js";

/** Facts shared between detectors within one batch. */
export interface BatchContext {
  /** Distinct TCP ports per source from the fast tcp-scan rules (phase 0), for distributed-scan. */
  srcPorts: Map<string, number>;
  /** The lowest single-source tcp-scan threshold in use. */
  tcpScanThreshold: number;
}

/** A detector's decision that a key is an attack, before incident bookkeeping. */
export interface Verdict {
  /** The value the rule's threshold and severity ladder are compared to. */
  measure: number;
  type: string;
  technique?: string;
  confidence?: number;
  evidence: string[];
  /** Which store dimensions hold ports, hosts and sources for the alert's samples. */
  dims: { ports?: string; hosts?: string; sources?: string };
  /** Fixed port list when the key itself names the port (port-sweep). */
  ports?: number[];
}

/**
 * One behaviour. `collect` is called for each event that passed the rule's filters and allow-lists
 * and adds it to the batch aggregate under the detector's key; `judge` looks at a key's window
 * after the store applied the batch. Both are pure apart from the aggregator they are handed.
 */
export interface Detector {
  readonly rule: CompiledRule;
  /** Phase 1 detectors run after phase 0 detectors of the same batch and may read their facts. */
  readonly phase: 0 | 1;
  collect(e: Event, agg: Aggregator, ctx: BatchContext): void;
  judge(a: KeyAgg, s: WindowSnapshot, ctx: BatchContext): Verdict | undefined;
}

export function count(s: WindowSnapshot, dim: string): number {
  return s.sets[dim]?.count ?? 0;
}

export function isEstimate(s: WindowSnapshot, dim: string): boolean {
  return s.sets[dim]?.estimate === true;
}
