import { DateTime } from "luxon";
import { SEVERITIES, type Alert, type Severity } from "../events/alert.js";
import type { Event } from "../events/event.js";
import type {
  AttackerSummary,
  IncidentSummary,
  PortCount,
  SampleLine,
  SourceCount,
  Summary,
} from "../events/summary.js";
import { canonicalIp } from "../parsers/ip.js";
import { detach } from "../util/detach.js";
import {
  addHost,
  hostsOf,
  portsOf,
  PORTS_PER_SOURCE,
  HOSTS_PER_SOURCE,
  PROTO_NAMES,
  SourceTally,
} from "./source-tally.js";
import { seriesOf, TimelineBuckets } from "./timeline-buckets.js";

/** What the run itself counted (the parser, the engine, the store), handed over at the end. */
export interface RunFacts {
  files: readonly { file: string; bytes: number }[];
  timeZone: string;
  lines: number;
  events: number;
  eventsByType: ReadonlyMap<string, number>;
  rejected: ReadonlyMap<string, number>;
  headerFormats: ReadonlyMap<string, number>;
  tooLong: number;
  backwards: number;
  late: number;
  disorderMs: number;
  duplicates: number | null;
  readErrors: number;
  /** Stopped before the end of its input. */
  interrupted?: true;
  allowed?: number;
  outsideTimeRange?: number;
  alreadyAlerted?: number;
  store: string;
  seconds: number;
}

export interface CollectorOptions {
  /** Written into the summary, e.g. "scanwatch 0.1.0". */
  generator: string;
  /** Per-source tally bound (see SourceTally). */
  maxSources?: number;
  /** Incidents listed in full in the summary (default 5,000); the rest only count. */
  maxIncidents?: number;
  topN?: number;
  /** The wall clock, for `generatedAt` only. */
  now?: () => Date;
}

const SAMPLES_PER_INCIDENT = 10;
const rank = (s: Severity) => SEVERITIES.indexOf(s);

interface IncidentAcc {
  latest: Alert;
  severity: Severity;
  firstMs: number;
  firstSeen: string;
  lastMs: number;
  lastSeen: string;
  events: number;
  distinctPorts: number;
  distinctHosts: number;
  distinctSources: number;
  ports: Set<number>;
  samples: Map<string, { file: string; line: number }>;
  alerts: number;
}

/**
 * Aggregates an analysis for the summary and the report as it runs: `addEvents` for every batch
 * of events, `addAlerts` for every batch of alerts, `summarize` once at the end. It never holds
 * events: a timeline of at most MAX_BUCKETS buckets, port counters, a bounded per-source tally and
 * one record per incident.
 */
export class ReportCollector {
  private readonly timeline = new TimelineBuckets();
  private readonly tally: SourceTally;
  private readonly tcpPorts = new Float64Array(65536);
  private readonly udpPorts = new Float64Array(65536);
  private readonly eventsPerFile = new Map<string, number>();
  /**
   * Per syslog host name, addresses packets it logged coming in were sent to: its own. An sshd
   * target named by its host name is the same machine as one of these (bounded: see addresses).
   */
  private readonly hostAddresses = new Map<string, Set<string>>();
  /** The pair noted last: most packets repeat it, and a compare costs less than two lookups. */
  private lastHost = "";
  private lastAddr = "";
  private readonly incidents = new Map<string, IncidentAcc>();
  private readonly alertsByType = new Map<string, number>();
  private alerts = 0;
  private firstMs = Infinity;
  private lastMs = -Infinity;

  constructor(private readonly opts: CollectorOptions) {
    this.tally = new SourceTally({ maxSources: opts.maxSources });
  }

  addEvents(events: readonly Event[]): void {
    let file = "";
    let fileEvents = 0;
    for (const e of events) {
      if (e.source.file !== file) {
        if (fileEvents) this.eventsPerFile.set(file, (this.eventsPerFile.get(file) ?? 0) + fileEvents);
        file = e.source.file;
        fileEvents = 0;
      }
      fileEvents++;
      if (e.ms < this.firstMs) this.firstMs = e.ms;
      if (e.ms > this.lastMs) this.lastMs = e.ms;
      const series = seriesOf(e);
      if (series >= 0) this.timeline.add(e.ms, series);
      if (e.type === "packet") {
        if (e.dport !== undefined) {
          if (e.proto === "tcp") this.tcpPorts[e.dport]!++;
          else if (e.proto === "udp") this.udpPorts[e.dport]!++;
        }
        const s = this.tally.touch(e.src, e.ms);
        if (e.dport !== undefined) this.tally.addPort(s, e.dport);
        addHost(s, e.dst);
        if (e.direction === "in" && e.host) this.noteAddress(e.host, e.dst);
        s.protos |= 1 << protoBit(e.proto);
      } else if (e.type === "auth") {
        const s = this.tally.touch(e.src, e.ms);
        addHost(s, e.host);
        s.protos |= 1 << 5;
      }
    }
    if (fileEvents) this.eventsPerFile.set(file, (this.eventsPerFile.get(file) ?? 0) + fileEvents);
  }

  addAlerts(alerts: readonly Alert[]): void {
    for (const a of alerts) {
      this.alerts++;
      this.alertsByType.set(a.type, (this.alertsByType.get(a.type) ?? 0) + 1);
      if (a.src !== null) this.tally.pin(a.src);
      const firstMs = Date.parse(a.firstSeen);
      const lastMs = Date.parse(a.lastSeen);
      let inc = this.incidents.get(a.id);
      if (!inc) {
        inc = {
          latest: a,
          severity: a.severity,
          firstMs,
          firstSeen: a.firstSeen,
          lastMs,
          lastSeen: a.lastSeen,
          events: a.events,
          distinctPorts: a.distinctPorts,
          distinctHosts: a.distinctHosts,
          distinctSources: a.distinctSources,
          ports: new Set(),
          samples: new Map(),
          alerts: 0,
        };
        this.incidents.set(a.id, inc);
      }
      inc.alerts++;
      inc.latest = a;
      if (rank(a.severity) > rank(inc.severity)) inc.severity = a.severity;
      if (firstMs < inc.firstMs) [inc.firstMs, inc.firstSeen] = [firstMs, a.firstSeen];
      if (lastMs > inc.lastMs) [inc.lastMs, inc.lastSeen] = [lastMs, a.lastSeen];
      inc.events = Math.max(inc.events, a.events);
      // An incident's later alerts carry the wider window (an update per severity step): their
      // ports come first, the earlier ones only fill what is left.
      if (a.distinctPorts > inc.distinctPorts) inc.ports = new Set(a.ports);
      inc.distinctPorts = Math.max(inc.distinctPorts, a.distinctPorts);
      inc.distinctHosts = Math.max(inc.distinctHosts, a.distinctHosts);
      inc.distinctSources = Math.max(inc.distinctSources, a.distinctSources);
      for (const p of a.ports) if (inc.ports.size < PORTS_PER_SOURCE) inc.ports.add(p);
      for (const s of a.samples)
        if (inc.samples.size < SAMPLES_PER_INCIDENT) inc.samples.set(`${s.file}\0${s.line}`, s);
    }
  }

  /** The summary of everything added so far. Sample lines carry no text yet (see addSampleText). */
  summarize(run: RunFacts): Summary {
    const iso = (ms: number) =>
      DateTime.fromMillis(ms, { zone: run.timeZone }).toFormat("yyyy-MM-dd'T'HH:mm:ss.SSSZZ");
    const all = [...this.incidents.values()].sort(
      (a, b) => rank(b.severity) - rank(a.severity) || b.events - a.events || a.firstMs - b.firstMs,
    );
    const cap = this.opts.maxIncidents ?? 5000;
    const listed = all
      .slice(0, cap)
      .sort((a, b) => a.firstMs - b.firstMs)
      .map(incidentSummary);
    const attackers = this.attackers(all, iso);
    return {
      schemaVersion: 1,
      generator: this.opts.generator,
      generatedAt: (this.opts.now?.() ?? new Date()).toISOString(),
      run: {
        files: run.files.map((f) => ({
          file: f.file,
          bytes: f.bytes,
          events: this.eventsPerFile.get(f.file) ?? 0,
        })),
        timeZone: run.timeZone,
        firstEvent: Number.isFinite(this.firstMs) ? iso(this.firstMs) : null,
        lastEvent: Number.isFinite(this.lastMs) ? iso(this.lastMs) : null,
        lines: run.lines,
        events: run.events,
        eventsByType: byCount(run.eventsByType),
        notRecognized: sum(run.rejected),
        notRecognizedByReason: byCount(run.rejected),
        headerFormats: byCount(run.headerFormats),
        tooLong: run.tooLong,
        backwards: run.backwards,
        late: run.late,
        disorderSeconds: run.disorderMs / 1000,
        duplicates: run.duplicates,
        readErrors: run.readErrors,
        ...(run.interrupted ? { interrupted: true as const } : {}),
        ...(run.allowed !== undefined ? { allowed: run.allowed } : {}),
        ...(run.outsideTimeRange !== undefined ? { outsideTimeRange: run.outsideTimeRange } : {}),
        ...(run.alreadyAlerted !== undefined ? { alreadyAlerted: run.alreadyAlerted } : {}),
        distinctSources: this.tally.distinct,
        distinctSourcesExact: this.tally.exact,
        alerts: this.alerts,
        alertsByType: byCount(this.alertsByType),
        incidents: this.incidents.size,
        attackers: attackers.length,
        store: run.store,
        seconds: Math.round(run.seconds * 1000) / 1000,
      },
      attackers,
      incidents: listed,
      incidentsOmitted: all.length - listed.length,
      topPorts: this.topPorts(),
      topSources: this.topSources(),
      topSourcesExact: this.tally.exact,
      timeline: this.timeline.toTimeline(),
    };
  }

  private attackers(incidents: readonly IncidentAcc[], iso: (ms: number) => string): AttackerSummary[] {
    const groups = new Map<string, IncidentAcc[]>();
    for (const inc of incidents) {
      // Many-source incidents (ddos, distributed-scan) have no one attacker: each is its own row.
      const key = inc.latest.src ?? `\0${inc.latest.id}`;
      const g = groups.get(key);
      if (g) g.push(inc);
      else groups.set(key, [inc]);
    }
    const out: AttackerSummary[] = [];
    for (const incs of groups.values()) {
      const src = incs[0]!.latest.src;
      const s = src !== null ? this.tally.sources.get(src) : undefined;
      const ports = new Set<number>(portsOf(s));
      const hosts = new Set<string>(hostsOf(s));
      const protos = new Set<string>();
      if (s) PROTO_NAMES.forEach((p, i) => s.protos & (1 << i) && protos.add(p));
      let severity: Severity = "low";
      let firstMs = s?.firstMs ?? Infinity;
      let lastMs = s?.lastMs ?? -Infinity;
      let distinctPorts = 0;
      let distinctHosts = 0;
      let alerts = 0;
      let incidentEvents = 0;
      const types = new Set<string>();
      const techniques = new Set<string>();
      const sshHosts = new Set<string>();
      for (const inc of incs) {
        const a = inc.latest;
        if (rank(inc.severity) > rank(severity)) severity = inc.severity;
        firstMs = Math.min(firstMs, inc.firstMs);
        lastMs = Math.max(lastMs, inc.lastMs);
        alerts += inc.alerts;
        incidentEvents += inc.events;
        types.add(a.type);
        if (a.technique) techniques.add(a.technique);
        protos.add(a.proto);
        for (const p of inc.ports) ports.add(p);
        for (const h of [a.dst, ...(a.targets ?? [])])
          if (h !== null && hosts.size < HOSTS_PER_SOURCE) hosts.add(h);
        // sshd alerts name no destination: the host that logged them is what was attacked.
        if (a.proto === "ssh" && a.host) sshHosts.add(a.host);
        distinctPorts = Math.max(distinctPorts, inc.distinctPorts);
        distinctHosts = Math.max(distinctHosts, inc.distinctHosts);
      }
      for (const h of sshHosts) if (hosts.size < HOSTS_PER_SOURCE) hosts.add(h);
      // A host name comes from an sshd line's syslog header, an address from a packet. A name
      // whose own firewall logged this source's packets to one of these addresses is that
      // machine already: kept, it would read as two targets ("2 hosts (203.0.113.10, victim)").
      for (const h of hosts) {
        if (canonicalIp(h) !== undefined) continue;
        const own = this.hostAddresses.get(h);
        if (own && [...own].some((a) => hosts.has(a))) hosts.delete(h);
      }
      const first = incs[0]!.latest;
      out.push({
        src,
        ...(src === null ? { sources: first.sources ?? [] } : {}),
        distinctSources: src === null ? incs[0]!.distinctSources : 1,
        severity,
        alerts,
        incidents: incs.map((i) => i.latest.id),
        events: s && s.events > 0 ? s.events : incidentEvents,
        types: [...types],
        techniques: [...techniques],
        firstSeen: iso(firstMs),
        lastSeen: iso(lastMs),
        protos: [...protos].sort(),
        // The lowest ports of all seen: the same sample an alert shows (its ports are sorted).
        ports: [...ports].sort((a, b) => a - b).slice(0, PORTS_PER_SOURCE),
        distinctPorts: Math.max(distinctPorts, ports.size, s?.portCount ?? 0),
        hosts: [...hosts].sort(),
        distinctHosts: Math.max(distinctHosts, hosts.size),
      });
    }
    return out.sort(
      (a, b) =>
        rank(b.severity) - rank(a.severity) ||
        b.alerts - a.alerts ||
        b.events - a.events ||
        (a.src ?? "").localeCompare(b.src ?? ""),
    );
  }

  /** `addr` is an address of syslog host `host` (at most 1,024 hosts of 32 addresses each). */
  private noteAddress(host: string, addr: string): void {
    if (host === this.lastHost && addr === this.lastAddr) return;
    this.lastHost = host;
    this.lastAddr = addr;
    let set = this.hostAddresses.get(host);
    if (!set) {
      if (this.hostAddresses.size >= 1024) return;
      this.hostAddresses.set(host, (set = new Set()));
    }
    if (set.size < 32 && !set.has(addr)) set.add(detach(addr));
  }

  private topPorts(): PortCount[] {
    const n = this.opts.topN ?? 15;
    const top: PortCount[] = [];
    const consider = (proto: "tcp" | "udp", counts: Float64Array) => {
      for (let port = 0; port < counts.length; port++) {
        const events = counts[port]!;
        if (events === 0) continue;
        if (top.length === n && events <= top[n - 1]!.events) continue;
        top.push({ proto, port, events });
        top.sort((a, b) => b.events - a.events || a.port - b.port);
        if (top.length > n) top.pop();
      }
    };
    consider("tcp", this.tcpPorts);
    consider("udp", this.udpPorts);
    return top;
  }

  private topSources(): SourceCount[] {
    const n = this.opts.topN ?? 15;
    return [...this.tally.sources]
      .filter(([, s]) => s.events > 0)
      .map(([src, s]) => ({ src, events: s.events }))
      .sort((a, b) => b.events - a.events || a.src.localeCompare(b.src))
      .slice(0, n);
  }
}

function incidentSummary(inc: IncidentAcc): IncidentSummary {
  const a = inc.latest;
  const samples: SampleLine[] = [...inc.samples.values()].map((s) => ({ file: s.file, line: s.line }));
  return {
    id: a.id,
    type: a.type,
    ...(a.technique !== undefined ? { technique: a.technique } : {}),
    ...(a.slow ? { slow: true } : {}),
    rule: a.rule,
    severity: inc.severity,
    ...(a.confidence !== undefined ? { confidence: a.confidence } : {}),
    src: a.src,
    ...(a.sources ? { sources: a.sources } : {}),
    distinctSources: inc.distinctSources,
    dst: a.dst,
    ...(a.targets ? { targets: a.targets } : {}),
    distinctHosts: inc.distinctHosts,
    proto: a.proto,
    ports: [...inc.ports].sort((x, y) => x - y),
    distinctPorts: inc.distinctPorts,
    events: inc.events,
    firstSeen: inc.firstSeen,
    lastSeen: inc.lastSeen,
    window: a.window,
    host: a.host,
    estimate: a.estimate,
    ...(a.lowerBound ? { lowerBound: true } : {}),
    alerts: inc.alerts,
    evidence: a.evidence,
    samples,
  };
}

function protoBit(p: string | number): number {
  switch (p) {
    case "tcp":
      return 0;
    case "udp":
      return 1;
    case "icmp":
      return 2;
    case "icmpv6":
      return 3;
    default:
      return 4;
  }
}

function byCount(m: ReadonlyMap<string, number>): Record<string, number> {
  return Object.fromEntries([...m].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));
}

function sum(m: ReadonlyMap<string, number>): number {
  let n = 0;
  for (const v of m.values()) n += v;
  return n;
}
