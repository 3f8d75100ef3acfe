import { createHash } from "node:crypto";
import type { Diagnostics } from "../diagnostics.js";
import type { Alert } from "../events/alert.js";
import type { Event } from "../events/event.js";
import type { CompiledRule } from "../rules/compiled-rule.js";
import { Aggregator, isoAt, type KeyAgg } from "./aggregator.js";
import type { BatchContext, Detector, Verdict } from "./detector.js";
import { buildDetectors } from "./registry.js";
import type { WindowSnapshot, WindowStore, WindowUpdate } from "./window-store.js";

export interface EngineOptions {
  /** How far back in event time an event may arrive and still count as in order (default 5 s). */
  disorderMs?: number;
  diagnostics: Diagnostics;
}

const SAMPLE_LIMIT = 100;

/**
 * The detection loop shared by `analyze` and `tail`: events in, alerts out. Windows advance on
 * event time only. Each batch costs one store round trip per phase (two at most), whatever its
 * size: events are aggregated per key first.
 */
export class Engine {
  private detectors: Detector[];
  private watermark = -Infinity;
  /** Per logging host, the event time of the last kernel "callbacks suppressed" notice. */
  private readonly suppressed = new Map<string, { ms: number; count: number }>();
  readonly stats = { events: 0, stragglers: 0, alerts: 0 };
  /** Per incident, the level the store last reported and when (event time). */
  private readonly seenLevels = new Map<string, { level: number; at: number }>();

  constructor(
    rules: readonly CompiledRule[],
    private store: WindowStore,
    private readonly opts: EngineOptions,
  ) {
    this.detectors = buildDetectors(rules);
  }

  /** Replaces the rules (SIGHUP reload); windows of unchanged rule ids carry on. */
  setRules(rules: readonly CompiledRule[]): void {
    this.detectors = buildDetectors(rules);
  }

  /** Swaps the store (fallback to memory while Redis is away, and back). */
  setStore(store: WindowStore): void {
    this.store = store;
  }

  get currentStore(): WindowStore {
    return this.store;
  }

  async process(events: readonly Event[]): Promise<Alert[]> {
    if (events.length === 0) return [];
    const disorder = this.opts.disorderMs ?? 5000;
    for (const e of events) {
      this.stats.events++;
      if (e.ms < this.watermark - disorder) {
        this.stats.stragglers++;
        this.opts.diagnostics.count("scanwatch_events_late_total");
      }
      if (e.ms > this.watermark) this.watermark = e.ms;
      if (e.type === "suppressed") {
        const prev = this.suppressed.get(e.host);
        this.suppressed.set(e.host, {
          ms: e.ms,
          count: (prev && e.ms - prev.ms < 3_600_000 ? prev.count : 0) + e.count,
        });
      }
    }
    const ctx: BatchContext = { srcPorts: new Map(), tcpScanThreshold: this.tcpScanThreshold() };
    const alerts: Alert[] = [];
    for (const phase of [0, 1] as const) {
      const active = this.detectors.filter((d) => d.phase === phase);
      if (active.length === 0) continue;
      const aggs = active.map((d) => this.collect(d, events, ctx));
      const updates: WindowUpdate[] = [];
      const owners: { d: Detector; a: KeyAgg }[] = [];
      aggs.forEach((agg, i) => {
        const d = active[i]!;
        for (const a of agg.keys.values()) {
          updates.push(toUpdate(d.rule, a));
          owners.push({ d, a });
        }
      });
      if (updates.length === 0) continue;
      const t0 = performance.now();
      const snaps = await this.store.observe(updates);
      this.opts.diagnostics.count(
        "scanwatch_store_seconds_total",
        { store: this.store.kind },
        (performance.now() - t0) / 1000,
      );
      for (let i = 0; i < owners.length; i++) {
        const { d, a } = owners[i]!;
        const s = snaps[i]!;
        if (d.rule.detector === "tcp-scan" && !d.rule.slow) {
          ctx.srcPorts.set(a.key, Math.max(ctx.srcPorts.get(a.key) ?? 0, s.sets.port?.count ?? 0));
        }
        const v = d.judge(a, s, ctx);
        if (v) {
          const alert = await this.escalate(d.rule, a, s, v);
          if (alert) alerts.push(alert);
        }
      }
    }
    // Detectors run one after another over the batch: put their alerts back in time order.
    alerts.sort((x, y) => (x.lastSeen < y.lastSeen ? -1 : x.lastSeen > y.lastSeen ? 1 : 0));
    this.stats.alerts += alerts.length;
    for (const al of alerts) this.opts.diagnostics.count("scanwatch_alerts_total", { type: al.type });
    return alerts;
  }

  private tcpScanThreshold(): number {
    let t = Infinity;
    for (const d of this.detectors)
      if (d.rule.detector === "tcp-scan" && !d.rule.slow) t = Math.min(t, d.rule.threshold);
    return t;
  }

  private collect(d: Detector, events: readonly Event[], ctx: BatchContext): Aggregator {
    const agg = new Aggregator();
    const r = d.rule;
    for (const e of events) {
      if (e.type === "packet") {
        if (
          !r.matches(e) ||
          (r.allowSrc.size && r.allowSrc.has(e.src)) ||
          (r.allowDst.size && r.allowDst.has(e.dst))
        )
          continue;
      } else if (e.type === "auth") {
        if (r.allowSrc.size && r.allowSrc.has(e.src)) continue;
      } else continue;
      d.collect(e, agg, ctx);
    }
    return agg;
  }

  private async escalate(
    rule: CompiledRule,
    a: KeyAgg,
    s: WindowSnapshot,
    v: Verdict,
  ): Promise<Alert | undefined> {
    let level = -1;
    rule.ladder.forEach((step, i) => {
      if (v.measure >= step.at) level = i;
    });
    if (level < 0) return undefined;
    const incident = `${rule.incidentGroup}|${a.key}`;
    // An incident only climbs: while this process last saw it at this level or higher, and did
    // so recently (a quarter of the cooldown, in event time, so the store's expiry keeps being
    // pushed back), asking the store again cannot raise an alert. This saves one store round
    // trip per attacking key per batch for as long as an attack lasts.
    const seen = this.seenLevels.get(incident);
    if (seen && level <= seen.level && s.lastSeen - seen.at < rule.cooldownMs / 4 && s.lastSeen >= seen.at)
      return undefined;
    const idCandidate = createHash("sha256").update(`${incident}|${s.firstSeen}`).digest("hex").slice(0, 24);
    const r = await this.store.escalate(incident, level, rule.cooldownMs, idCandidate, s.lastSeen);
    if (this.seenLevels.size > 100_000) this.seenLevels.clear();
    this.seenLevels.set(incident, { level: r.level, at: s.lastSeen });
    if (!r.raised) return undefined;
    return this.buildAlert(rule, a, s, v, r.id, r.created ? "new" : "update", level);
  }

  private async buildAlert(
    rule: CompiledRule,
    a: KeyAgg,
    s: WindowSnapshot,
    v: Verdict,
    id: string,
    status: "new" | "update",
    level: number,
  ): Promise<Alert> {
    const storeKey = `${rule.id}|${a.key}`;
    const dimCount = (dim: string | undefined) => (dim ? (s.sets[dim]?.count ?? 0) : 0);
    const dimEstimate = (dim: string | undefined) => (dim ? s.sets[dim]?.estimate === true : false);
    const [ports, hosts, sources, samples] = await Promise.all([
      v.dims.ports ? this.store.members(storeKey, v.dims.ports, SAMPLE_LIMIT) : Promise.resolve([]),
      v.dims.hosts ? this.store.members(storeKey, v.dims.hosts, SAMPLE_LIMIT) : Promise.resolve([]),
      v.dims.sources ? this.store.members(storeKey, v.dims.sources, SAMPLE_LIMIT) : Promise.resolve([]),
      this.store.samples(storeKey),
    ]);
    const info = a.info;
    const evidence = [...v.evidence];
    const sup = this.suppressed.get(info.host);
    const lowerBound =
      sup !== undefined && sup.ms >= s.firstSeen - rule.windowMs && sup.ms <= s.lastSeen + rule.windowMs;
    if (lowerBound)
      evidence.push(
        `the kernel dropped ${sup!.count} log message(s) ("callbacks suppressed") around this time: counts are lower bounds`,
      );
    const note = (this.store as { note?: string }).note;
    if (note) evidence.push(note);
    const portList = v.ports ?? ports.map(Number).filter((p) => Number.isInteger(p));
    const alert: Alert = {
      schemaVersion: 1,
      id,
      status,
      type: v.type,
      ...((v.technique ?? info.technique) ? { technique: v.technique ?? info.technique } : {}),
      ...(rule.slow ? { slow: true } : {}),
      rule: rule.id,
      severity: rule.ladder[level]!.severity,
      ...(v.confidence !== undefined ? { confidence: v.confidence } : {}),
      src: info.src,
      ...(info.src === null && sources.length ? { sources } : {}),
      // An estimate can overshoot the packets it was drawn from; never claim more sources than events.
      distinctSources: info.src !== null ? 1 : Math.min(dimCount(v.dims.sources), s.events || Infinity),
      dst:
        info.dst !== null && dimCount(v.dims.hosts) <= 1 ? info.dst : hosts.length === 1 ? hosts[0]! : null,
      ...(hosts.length > 1 ? { targets: hosts } : {}),
      distinctHosts: v.dims.hosts ? dimCount(v.dims.hosts) : info.dst !== null ? 1 : 0,
      proto: info.proto,
      ports: portList.slice(0, SAMPLE_LIMIT).sort((x, y) => x - y),
      distinctPorts: v.ports ? v.ports.length : dimCount(v.dims.ports),
      events: s.events,
      firstSeen: isoAt(s.firstSeen, info.offset),
      lastSeen: isoAt(s.lastSeen, info.offset),
      window: rule.windowMs / 1000,
      host: info.host,
      estimate: dimEstimate(v.dims.sources) || dimEstimate(v.dims.ports) || dimEstimate(v.dims.hosts),
      ...(lowerBound ? { lowerBound: true } : {}),
      evidence,
      samples: samples.map(toRef),
    };
    return alert;
  }
}

function toUpdate(rule: CompiledRule, a: KeyAgg): WindowUpdate {
  const u: WindowUpdate = {
    key: `${rule.id}|${a.key}`,
    windowMs: rule.windowMs,
    ts: a.ts,
    firstTs: a.firstTs,
    count: a.count,
  };
  if (Object.keys(a.sets).length) u.sets = a.sets;
  if (Object.keys(a.tags).length) u.tags = a.tags;
  if (a.samples.length) u.samples = a.samples;
  return u;
}

function toRef(s: string): { file: string; line: number } {
  const i = s.lastIndexOf(":");
  return { file: s.slice(0, i), line: Number(s.slice(i + 1)) };
}
