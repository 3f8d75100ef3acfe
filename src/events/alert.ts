/** An alert as emitted to sinks. Its JSON Schema is alert.schema.json beside this file. */
export type Severity = "low" | "medium" | "high" | "critical";

export const SEVERITIES: readonly Severity[] = ["low", "medium", "high", "critical"];

export interface Alert {
  schemaVersion: 1;
  /** Stable incident id: the same for the `new` alert and its `update`s. */
  id: string;
  status: "new" | "update";
  type: string;
  technique?: string;
  /** Present and true for scans caught by a long, low-rate window. */
  slow?: boolean;
  rule: string;
  severity: Severity;
  /** Confidence of the type verdict, 0..1. */
  confidence?: number;
  src: string | null;
  sources?: string[];
  distinctSources: number;
  dst: string | null;
  targets?: string[];
  distinctHosts: number;
  proto: string;
  ports: number[];
  distinctPorts: number;
  events: number;
  firstSeen: string;
  lastSeen: string;
  window: number;
  host: string;
  estimate: boolean;
  /** True when the kernel reported suppressed log messages in the window: counts are lower bounds. */
  lowerBound?: boolean;
  evidence: string[];
  samples: { file: string; line: number }[];
  /** The `tail` agent that raised the alert (in a fleet: the one whose escalation won). */
  agent?: { id: string; host: string };
}
