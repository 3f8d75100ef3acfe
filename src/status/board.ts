import type { Alert } from "../events/alert.js";
import type { Event } from "../events/event.js";
import { TopSources } from "./top-sources.js";

/** One incident as `scanwatch status` shows it: the latest alert of it. */
export interface IncidentView {
  id: string;
  type: string;
  rule: string;
  severity: string;
  status: string;
  src: string | null;
  distinctSources: number;
  dst: string | null;
  distinctPorts: number;
  events: number;
  firstSeen: string;
  lastSeen: string;
}

/** A followed file as `status` shows it. */
export interface FileView {
  path: string;
  waiting: boolean;
  /** Bytes read and processed; null before anything was read. */
  offset: number | null;
  /** The file's size now; null when it cannot be read. */
  size: number | null;
}

/** What `GET /status` returns, version 1. */
export interface StatusDoc {
  version: 1;
  pid: number;
  startedAt: string;
  /** Who the agent is (host and stable id); absent from agents older than the field. */
  agent?: { id: string; host: string };
  store: string;
  health: { ok: boolean; status: string; checks: Record<string, string> };
  files: FileView[];
  /** Incidents alerted in the last hour of event time, latest first. */
  incidents: IncidentView[];
  /** Sources with the most events in the last hour of event time (lower bounds). */
  topSources: { src: string; events: number }[];
  counters: Record<string, number>;
}

const HOUR = 3_600_000;
const MAX_INCIDENTS = 200;

/**
 * What a running agent has seen lately, for `scanwatch status`: the incidents it alerted in the
 * last hour and the busiest sources of the last hour, both on event time. Fed by the loop with
 * the events it examined and the alerts it raised; bounded in memory.
 */
export class StatusBoard {
  private readonly incidents = new Map<string, IncidentView & { ms: number }>();
  private readonly sources = new TopSources();
  private latest = -Infinity;

  observe(events: readonly Event[]): void {
    for (const e of events) {
      if (e.ms > this.latest) this.latest = e.ms;
      if (e.type !== "suppressed") this.sources.add(e.src, e.ms);
    }
  }

  alerted(alerts: readonly Alert[]): void {
    for (const a of alerts) {
      const ms = Date.parse(a.lastSeen);
      this.incidents.delete(a.id); // re-inserted last: the map stays in order of last news
      this.incidents.set(a.id, {
        id: a.id,
        type: a.type,
        rule: a.rule,
        severity: a.severity,
        status: a.status,
        src: a.src,
        distinctSources: a.distinctSources,
        dst: a.dst,
        distinctPorts: a.distinctPorts,
        events: a.events,
        firstSeen: a.firstSeen,
        lastSeen: a.lastSeen,
        ms,
      });
      if (this.incidents.size > MAX_INCIDENTS) this.incidents.delete(this.incidents.keys().next().value!);
    }
  }

  /** Incidents with news in the last hour, latest first, and the top 10 sources of the hour. */
  recent(): Pick<StatusDoc, "incidents" | "topSources"> {
    const since = this.latest - HOUR;
    const incidents = [...this.incidents.values()]
      .filter((i) => i.ms >= since)
      .sort((a, b) => b.ms - a.ms)
      .map(({ ms: _ms, ...view }) => view);
    return { incidents, topSources: this.sources.top(10) };
  }
}
