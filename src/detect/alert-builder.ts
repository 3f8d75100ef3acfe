import type { Alert } from "../events/alert.js";
import type { SourceRef } from "../events/event.js";
import type { CompiledRule } from "../rules/compiled-rule.js";
import type { Verdict, WindowView } from "./detector.js";

/** Most ports, hosts or sources listed in one alert. */
export const LISTED_MEMBERS = 100;

/** Everything an alert says, gathered when its verdict was reached. */
export interface AlertFacts {
  id: string;
  status: "new" | "update";
  level: number;
  rule: CompiledRule;
  verdict: Verdict;
  view: WindowView;
  src: string | null;
  dst: string | null;
  host: string;
  firstSeen: number;
  lastSeen: number;
  /** ISO time of the latest event, whose offset the alert's times are written in. */
  ts: string;
  members: (dim: string) => string[];
  samples: readonly SourceRef[];
  /** Extra evidence sentences from the engine (suppressed kernel messages, store fallback). */
  notes: string[];
  lowerBound: boolean;
}

export function buildAlert(f: AlertFacts): Alert {
  const { verdict: v, view: s, rule } = f;
  const events = s.events();
  const dimCount = (dim: string | undefined) => (dim ? s.distinct(dim) : 0);
  const dimEstimate = (dim: string | undefined) => (dim ? s.estimate(dim) : false);
  const list = (dim: string | undefined) => (dim ? sortMembers(f.members(dim)).slice(0, LISTED_MEMBERS) : []);
  const hosts = list(v.dims.hosts);
  const sources = f.src === null ? list(v.dims.sources) : [];
  const ports =
    v.ports ??
    list(v.dims.ports)
      .map(Number)
      .filter((p) => Number.isInteger(p));
  const technique = v.technique ?? s.technique;
  const offset = offsetOf(f.ts);
  return {
    schemaVersion: 1,
    id: f.id,
    status: f.status,
    type: v.type,
    ...(technique ? { technique } : {}),
    ...(rule.slow ? { slow: true } : {}),
    rule: rule.id,
    severity: rule.ladder[f.level]!.severity,
    ...(v.confidence !== undefined ? { confidence: v.confidence } : {}),
    src: f.src,
    ...(sources.length ? { sources } : {}),
    // An estimate can overshoot the packets it was drawn from: never claim more sources than events.
    distinctSources: f.src !== null ? 1 : Math.min(dimCount(v.dims.sources), events || Infinity),
    dst: f.dst !== null && dimCount(v.dims.hosts) <= 1 ? f.dst : hosts.length === 1 ? hosts[0]! : null,
    ...(hosts.length > 1 ? { targets: hosts } : {}),
    distinctHosts: v.dims.hosts ? dimCount(v.dims.hosts) : f.dst !== null ? 1 : 0,
    proto: s.proto,
    ports: [...ports].sort((x, y) => x - y).slice(0, LISTED_MEMBERS),
    distinctPorts: v.ports ? v.ports.length : dimCount(v.dims.ports),
    events,
    firstSeen: isoAt(f.firstSeen, offset),
    lastSeen: isoAt(f.lastSeen, offset),
    window: rule.windowMs / 1000,
    host: f.host,
    estimate: dimEstimate(v.dims.sources) || dimEstimate(v.dims.ports) || dimEstimate(v.dims.hosts),
    ...(f.lowerBound ? { lowerBound: true } : {}),
    evidence: [...v.evidence, ...f.notes],
    samples: f.samples.map((r) => ({ file: r.file, line: r.line })),
  };
}

/** Members sort numerically when they are all numbers (ports), else as strings. */
export function sortMembers(xs: string[]): string[] {
  if (xs.every((x) => /^\d+$/.test(x))) return xs.sort((a, b) => Number(a) - Number(b));
  return xs.sort();
}

function offsetOf(iso: string): string {
  const tail = iso.slice(-6);
  return tail[0] === "+" || tail[0] === "-" ? tail : "+00:00";
}

/** Formats epoch ms as ISO 8601 in the given fixed offset ("+01:00"). */
export function isoAt(ms: number, offset: string): string {
  const sign = offset[0] === "-" ? -1 : 1;
  const mins = sign * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4, 6)));
  const d = new Date(ms + mins * 60_000).toISOString();
  return d.slice(0, 23) + offset;
}

export function ladderLevel(rule: CompiledRule, measure: number): number {
  let level = -1;
  for (let i = 0; i < rule.ladder.length; i++) if (measure >= rule.ladder[i]!.at) level = i;
  return level;
}
