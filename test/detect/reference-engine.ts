import type { Event } from "../../src/events/event.js";
import type { AnyDetector, WindowView } from "../../src/detect/detector.js";
import { tcpScan } from "../../src/detect/detectors/tcp-scan.js";
import { isOsSyn, isRawSyn } from "../../src/detect/detectors/fingerprint.js";
import { flood } from "../../src/detect/detectors/flood.js";
import { sshBruteforce, isFailure } from "../../src/detect/detectors/ssh-bruteforce.js";
import type { CompiledRule } from "../../src/rules/compiled-rule.js";

/*
 * A reference implementation of the engine's semantics, written for clarity, not speed: every
 * key keeps the full list of events fed to it, and every number is recomputed from that list
 * with the definitions of window-spec.ts and the engine's JSDoc. Covers tcp-scan, flood and
 * ssh-bruteforce rules (enough to exercise shared states, two views, tags, members, counts with
 * repeats, severity steps, cooldowns and incidents shared by two rules).
 */

interface Fed {
  t: number;
  /** Events this contributes to the count (0 for clue packets). */
  n: number;
  members: Record<string, string>;
  tags: Record<string, number>;
}

interface Incident {
  id: number;
  level: number;
  lastSeen: number;
  cooldownMs: number;
}

interface RefKey {
  key: string;
  src: string | null;
  dst: string | null;
  proto: string;
  technique?: string;
  fed: Fed[];
  /** Per view: arrival index at which the current episode began, and its first-seen time. */
  episodeStart: number[];
  first: number[];
  lastSport: number;
  joined: (Incident | undefined)[];
}

export interface RefAlert {
  type: string;
  src: string | null;
  dst: string | null;
  status: "new" | "update";
  severity: string;
  events: number;
  firstSeen: number;
  rule: string;
}

function windowStart(rule: CompiledRule, T: number): number {
  const b = rule.window.bucketMs;
  return (Math.floor(T / b) - rule.window.buckets + 1) * b;
}

function clockOf(k: RefKey): number {
  return Math.max(...k.fed.map((f) => f.t));
}

export class ReferenceEngine {
  private readonly groups: { module: AnyDetector; rules: CompiledRule[]; keys: Map<string, RefKey> }[] = [];
  private readonly incidents = new Map<string, Incident>();
  private nextId = 0;
  readonly alerts: RefAlert[] = [];

  constructor(rules: CompiledRule[]) {
    const modules: Record<string, AnyDetector> = {
      "tcp-scan": tcpScan,
      flood,
      "ssh-bruteforce": sshBruteforce,
    };
    const by = new Map<string, CompiledRule[]>();
    for (const r of rules) {
      const m = modules[r.detector]!;
      const g = `${r.detector}|${m.stateKey(r)}|${r.filterKey}`;
      by.set(g, [...(by.get(g) ?? []), r]);
    }
    for (const rs of by.values()) {
      rs.sort((a, b) => a.windowMs - b.windowMs || (a.id < b.id ? -1 : 1));
      this.groups.push({ module: modules[rs[0]!.detector]!, rules: rs, keys: new Map() });
    }
  }

  feed(e: Event): void {
    for (const g of this.groups) {
      const r0 = g.rules[0]!;
      if (g.module === tcpScan) this.tcp(g, e);
      else if (g.module === flood) {
        if (e.type !== "packet" || e.cls !== (r0.params as { packets: string }).packets) continue;
        const k = this.touch(g, `${e.src}|${e.dst}`, e, e.src, e.dst, String(e.proto), true)!;
        this.add(g, k, e.ms, 1, e.dport !== undefined ? { port: String(e.dport) } : {}, {});
        this.checkAll(g, k);
      } else if (e.type === "auth" && isFailure(e)) {
        const k = this.touch(g, e.src, e, e.src, null, "ssh", true, "single-source")!;
        this.add(g, k, e.ms, e.count ?? 1, { user: e.user ?? "" }, { [e.kind]: e.count ?? 1 });
        this.checkAll(g, k);
      }
    }
  }

  private tcp(g: (typeof this.groups)[number], e: Event): void {
    if (e.type !== "packet" || e.proto !== "tcp") return;
    if (e.cls !== "syn") {
      const tag =
        e.cls === "rst"
          ? "rst"
          : e.cls === "rstack"
            ? "ackrst"
            : e.cls === "ack" || e.cls === "ackpsh"
              ? "ack"
              : undefined;
      if (!tag) return;
      const k = this.touch(g, e.src, e, e.src, e.dst, "tcp", false);
      if (k) this.add(g, k, e.ms, 0, {}, { [tag]: 1 });
      return;
    }
    const k = this.touch(g, e.src, e, e.src, e.dst, "tcp", true)!;
    const tags: Record<string, number> = { syn: 1 };
    if (isRawSyn(e)) tags.raw = 1;
    else if (isOsSyn(e)) tags.os = 1;
    if (e.sport !== undefined) {
      if (k.lastSport >= 0 && k.lastSport !== e.sport) tags.sportChange = 1;
      k.lastSport = e.sport;
    }
    // Did this SYN add a port to the window as it is now (its clock moved to this event)?
    const T = Math.max(e.ms, ...k.fed.map((f) => f.t));
    const before = g.rules.map((r) => this.has(k, r, "port", String(e.dport), T));
    this.add(
      g,
      k,
      e.ms,
      1,
      { host: e.dst, ...(e.dport !== undefined ? { port: String(e.dport) } : {}) },
      tags,
    );
    if (e.dport === undefined) return;
    g.rules.forEach((r, v) => {
      if (!before[v] && this.has(k, r, "port", String(e.dport))) this.check(g, k, v);
    });
  }

  /** True when member `m` of `dim` counts in rule r's window of the key now. */
  private has(k: RefKey, r: CompiledRule, dim: string, m: string, T = clockOf(k)): boolean {
    if (k.fed.length === 0) return false;
    const from = windowStart(r, T);
    return k.fed.some((f) => f.members[dim] === m && f.t >= from);
  }

  private touch(
    g: (typeof this.groups)[number],
    key: string,
    e: Event,
    src: string | null,
    dst: string | null,
    proto: string,
    create: boolean,
    technique?: string,
  ): RefKey | undefined {
    let k = g.keys.get(key);
    if (!k) {
      if (!create) return undefined;
      k = {
        key,
        src,
        dst,
        proto,
        technique,
        fed: [],
        episodeStart: [],
        first: [],
        lastSport: -1,
        joined: [],
      };
      g.keys.set(key, k);
    }
    const prevClock = k.fed.length ? clockOf(k) : -Infinity;
    // Quiet for longer than every window: a new episode, the source port forgotten too.
    if (e.ms - prevClock > Math.max(...g.rules.map((r) => r.windowMs))) k.lastSport = -1;
    g.rules.forEach((r, v) => {
      if (e.ms > prevClock && e.ms - prevClock > r.windowMs) {
        k.episodeStart[v] = k.fed.length;
        k.first[v] = e.ms;
      } else if (e.ms < k.first[v]! && e.ms >= windowStart(r, prevClock)) k.first[v] = e.ms;
    });
    // Activity: the incidents this key joined stay open while it sees events.
    const T = Math.max(prevClock, e.ms);
    for (const inc of k.joined)
      if (inc && T - inc.lastSeen <= inc.cooldownMs && T > inc.lastSeen) inc.lastSeen = T;
    return k;
  }

  private add(
    _g: unknown,
    k: RefKey,
    t: number,
    n: number,
    members: Record<string, string>,
    tags: Record<string, number>,
  ): void {
    k.fed.push({ t, n, members, tags });
  }

  private checkAll(g: (typeof this.groups)[number], k: RefKey): void {
    g.rules.forEach((_, v) => this.check(g, k, v));
  }

  private view(g: (typeof this.groups)[number], k: RefKey, v: number): WindowView {
    const r = g.rules[v]!;
    const T = clockOf(k);
    const from = windowStart(r, T);
    const inWindow = k.fed.filter((f) => f.t >= from && f.t <= T);
    const episode = k.fed.slice(k.episodeStart[v]);
    return {
      proto: k.proto,
      technique: k.technique,
      events: () => inWindow.reduce((s, f) => s + f.n, 0),
      distinct: (dim) => new Set(inWindow.map((f) => f.members[dim]).filter((m) => m !== undefined)).size,
      estimate: () => false,
      tag: (name) => episode.reduce((s, f) => s + (f.tags[name] ?? 0), 0),
      members: (dim) => [...new Set(inWindow.map((f) => f.members[dim]!).filter((m) => m !== undefined))],
      fact: () => 0,
    };
  }

  private check(g: (typeof this.groups)[number], k: RefKey, v: number): void {
    const rule = g.rules[v]!;
    const view = this.view(g, k, v);
    const level = ladder(rule, g.module.measure.of(view));
    if (level < 0) return;
    const T = clockOf(k);
    const name = `${rule.incidentGroup}|${k.key}`;
    let inc = this.incidents.get(name);
    if (inc && T - inc.lastSeen > inc.cooldownMs) {
      this.incidents.delete(name);
      inc = undefined;
    }
    if (inc) k.joined[v] = inc;
    if (inc && level <= inc.level) {
      inc.lastSeen = Math.max(inc.lastSeen, T);
      return;
    }
    const verdict = g.module.judge(view, rule);
    if (!verdict) return;
    const at = ladder(rule, verdict.measure);
    if (at < 0 || (inc && at <= inc.level)) return;
    const status = inc ? "update" : "new";
    if (inc) {
      inc.level = at;
      inc.lastSeen = T;
      inc.cooldownMs = Math.max(inc.cooldownMs, rule.cooldownMs);
    } else {
      inc = { id: this.nextId++, level: at, lastSeen: T, cooldownMs: rule.cooldownMs };
      this.incidents.set(name, inc);
    }
    g.rules.forEach((r, j) => {
      if (r.incidentGroup === rule.incidentGroup) k.joined[j] = inc;
    });
    this.alerts.push({
      type: verdict.type,
      src: k.src,
      dst: k.dst,
      status,
      severity: rule.ladder[at]!.severity,
      events: view.events(),
      firstSeen: k.first[v]!,
      rule: rule.id,
    });
  }
}

function ladder(rule: CompiledRule, measure: number): number {
  let level = -1;
  rule.ladder.forEach((s, i) => {
    if (measure >= s.at) level = i;
  });
  return level;
}
