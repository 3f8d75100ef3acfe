/**
 * The summary of one `analyze` run: what `--summary json` prints and what the HTML report embeds.
 * Its JSON Schema is summary.schema.json beside this file.
 */
import type { Severity } from "./alert.js";

export interface Summary {
  schemaVersion: 1;
  /** The program that wrote it, e.g. "scanwatch 0.1.0". */
  generator: string;
  /** When the summary was written (wall clock, ISO 8601 UTC). Everything else is event time. */
  generatedAt: string;
  run: RunSummary;
  /** Every attacker, most dangerous first: severity, then alerts, then events. */
  attackers: AttackerSummary[];
  /** One entry per incident (alert id), the most severe first when capped; see `incidentsOmitted`. */
  incidents: IncidentSummary[];
  /** Incidents left out of `incidents` to keep the summary small (they still count in `attackers`). */
  incidentsOmitted: number;
  topPorts: PortCount[];
  topSources: SourceCount[];
  /** False when the per-source tally had to forget rare sources: counts are then lower bounds. */
  topSourcesExact: boolean;
  timeline: Timeline;
}

export interface RunSummary {
  files: { file: string; bytes: number; events: number }[];
  /** The zone year-less and zone-less stamps were read in (--tz). */
  timeZone: string;
  /** Time of the earliest and the latest event, or null when there was none. */
  firstEvent: string | null;
  lastEvent: string | null;
  lines: number;
  events: number;
  eventsByType: Record<string, number>;
  notRecognized: number;
  notRecognizedByReason: Record<string, number>;
  headerFormats: Record<string, number>;
  /** Lines over 64 KiB, skipped. */
  tooLong: number;
  /** Lines whose time went backwards within their file (kept). */
  backwards: number;
  /** Events later than the disorder bound behind the newest event seen (kept, counted). */
  late: number;
  disorderSeconds: number;
  /** Lines dropped as duplicates of a line already read; null when the run does not look for them. */
  duplicates: number | null;
  readErrors: number;
  /** Stopped (Ctrl-C) before the end of its input: the totals cover what was read. */
  interrupted?: true;
  /** Events from `--allow`ed sources, not examined (present when the run had --allow). */
  allowed?: number;
  /** Events outside `--since` / `--until`, not examined (present when the run had either). */
  outsideTimeRange?: number;
  /** Verdicts a shared store had already alerted, not alerted again (present with a shared store). */
  alreadyAlerted?: number;
  /** Distinct source addresses (a HyperLogLog estimate when `distinctSourcesExact` is false). */
  distinctSources: number;
  distinctSourcesExact: boolean;
  alerts: number;
  alertsByType: Record<string, number>;
  incidents: number;
  attackers: number;
  store: string;
  seconds: number;
}

export interface AttackerSummary {
  /** The attacking address, or null for an incident with many sources (ddos, distributed-scan). */
  src: string | null;
  /** With src null: a sample of the sources. */
  sources?: string[];
  distinctSources: number;
  /** The highest severity any of its incidents reached. */
  severity: Severity;
  /** Alerts raised (new and updates). */
  alerts: number;
  /** Ids of its incidents, as in `incidents[].id`. */
  incidents: string[];
  /** Events from this source that scanwatch read (for src null: the incidents' events). */
  events: number;
  types: string[];
  techniques: string[];
  firstSeen: string;
  lastSeen: string;
  /** Protocols it used: tcp, udp, icmp, icmpv6, ip, ssh. */
  protos: string[];
  /** Sorted sample of destination ports (at most 100). */
  ports: number[];
  /** Distinct destination ports, at least. */
  distinctPorts: number;
  /** Hosts it touched: destination addresses, and for sshd the host that logged (at most 20). */
  hosts: string[];
  /** Distinct hosts, at least. */
  distinctHosts: number;
}

export interface SampleLine {
  file: string;
  line: number;
  /** The line as read (cut at 1,000 characters); absent when it could not be read again (stdin). */
  text?: string;
}

export interface IncidentSummary {
  id: string;
  type: string;
  technique?: string;
  slow?: boolean;
  rule: string;
  severity: Severity;
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
  lowerBound?: boolean;
  /** Alerts raised for this incident: the new one and its updates. */
  alerts: number;
  /** The evidence of its latest alert. */
  evidence: string[];
  samples: SampleLine[];
}

export interface PortCount {
  proto: "tcp" | "udp";
  port: number;
  events: number;
}

export interface SourceCount {
  src: string;
  events: number;
}

/** Events per bucket and series, dense from `start`: counts[s][k] is series s in bucket k. */
export interface Timeline {
  /** Start of the first bucket, ISO 8601 UTC; null when there were no events. */
  start: string | null;
  bucketSeconds: number;
  series: TimelineSeries[];
  counts: number[][];
}

export type TimelineSeries = "tcp" | "udp" | "icmp" | "ip-other" | "ssh-failure" | "ssh-other";
