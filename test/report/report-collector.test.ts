import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Event, PacketEvent } from "../../src/events/event.js";
import { ReportCollector, type RunFacts } from "../../src/report/report-collector.js";
import { schemaErrors, validateSummary } from "../support/schemas.js";
import { alert, EMPTY_RUN, expectedAttackers, MIXED, summarizeFiles } from "./support.js";

const RUN: RunFacts = { ...EMPTY_RUN, files: [{ file: "kern.log", bytes: 100 }], seconds: 0.5 };

function packet(src: string, dport: number, ms: number, over: Partial<PacketEvent> = {}): Event {
  return {
    type: "packet",
    ts: new Date(ms).toISOString().replace("Z", "+00:00"),
    ms,
    host: "victim",
    source: { file: "kern.log", line: 1 },
    src,
    dst: "203.0.113.10",
    proto: "tcp",
    dport,
    flags: ["SYN"],
    mask: 2,
    cls: "syn",
    action: "drop",
    direction: "in",
    ...over,
  } as Event;
}

const T0 = Date.parse("2026-11-28T16:00:00Z");
const collector = () => new ReportCollector({ generator: "scanwatch test", now: () => new Date(0) });

describe("report-collector", () => {
  it("summary/mixed scenario: the four expected attackers, schema-valid, with sample lines read back", async () => {
    const s = await summarizeFiles(MIXED);
    expect(validateSummary(s), schemaErrors(validateSummary)).toBe(true);
    expect(s.attackers.map((a) => a.src).sort()).toEqual(expectedAttackers("mixed"));
    // 4 incidents: each a new alert at its threshold plus an update per severity step (7 alerts).
    expect(s.run).toMatchObject({ lines: 3494, events: 3450, notRecognized: 44, alerts: 7, incidents: 4 });
    expect(s.run.files.map((f) => f.events)).toEqual([3359, 91]); // 14 kex lines tied to their address through sshd[pid]
    const masscan = s.attackers.find((a) => a.src === "198.51.100.76")!;
    expect(masscan).toMatchObject({ severity: "high", distinctPorts: 1000, protos: ["tcp"] });
    expect(masscan.ports.slice(0, 3)).toEqual([1, 2, 3]);
    const ssh = s.attackers.find((a) => a.src === "198.51.100.112")!;
    expect(ssh.types).toEqual(["ssh-bruteforce"]);
    expect(ssh.techniques).toEqual(["single-source"]);
    // Its firewall lines name the address it was sent to: the sshd lines' syslog name for the
    // same machine is not a second target.
    expect(ssh.hosts).toEqual(["203.0.113.10"]);
    const authOnly = (await summarizeFiles([MIXED[1]!])).attackers.find((a) => a.src === "198.51.100.112")!;
    expect(authOnly.hosts).toEqual(["victim"]);
    // Another machine's sshd (its firewall logged nothing of this source) is another target.
    const dir = mkdtempSync(join(tmpdir(), "scanwatch-hosts-"));
    try {
      const other = join(dir, "auth.log");
      writeFileSync(other, readFileSync(MIXED[1]!, "utf8").replaceAll(" victim sshd", " bastion sshd"));
      const both = (await summarizeFiles([MIXED[0]!, other])).attackers.find(
        (a) => a.src === "198.51.100.112",
      )!;
      expect(both.hosts).toEqual(["203.0.113.10", "bastion"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    for (const inc of s.incidents)
      for (const sample of inc.samples)
        expect(sample.text, `${sample.file}:${sample.line}`).toMatch(/^Nov 28 /);
    // Everything in the timeline is an event of the run.
    expect(s.timeline.counts.flat().reduce((a, b) => a + b, 0)).toBe(3450);
    expect(s.timeline.bucketSeconds).toBe(1);
    expect(s.topPorts[0]).toEqual({ proto: "tcp", port: 443, events: 420 });
  });

  it("summary/attackers rank by severity, then alerts, then events", () => {
    const c = collector();
    for (let i = 0; i < 5; i++) c.addEvents([packet("10.0.0.1", 22 + i, T0 + i)]);
    for (let i = 0; i < 50; i++) c.addEvents([packet("10.0.0.2", 22, T0 + i)]);
    c.addEvents([packet("10.0.0.3", 22, T0), packet("10.0.0.4", 22, T0)]);
    c.addAlerts([
      alert({ src: "10.0.0.1", severity: "low" }),
      alert({ src: "10.0.0.2", severity: "low" }),
      alert({ src: "10.0.0.3", severity: "low" }),
      alert({ src: "10.0.0.3", severity: "low", type: "port-sweep" }),
      alert({ src: "10.0.0.4", severity: "high" }),
    ]);
    const s = c.summarize(RUN);
    expect(validateSummary(s), schemaErrors(validateSummary)).toBe(true);
    expect(s.attackers.map((a) => a.src)).toEqual(["10.0.0.4", "10.0.0.3", "10.0.0.2", "10.0.0.1"]);
    expect(s.attackers[1]).toMatchObject({ alerts: 2, types: ["half-open-scan", "port-sweep"] });
    expect(s.attackers[2]).toMatchObject({ events: 50 });
  });

  it("summary/an attacker's alert read before its events pins it: every port of the batch counts, nothing counted twice", () => {
    const c = collector();
    const batch = Array.from({ length: 300 }, (_, i) => packet("10.0.0.9", 1 + i, T0 + i));
    // As analyze delivers them: the batch's alerts, then the batch's events.
    c.addAlerts([alert({ src: "10.0.0.9", events: 15, distinctPorts: 15 })]);
    c.addEvents(batch);
    const s = c.summarize(RUN);
    expect(s.attackers[0]).toMatchObject({ src: "10.0.0.9", events: 300, distinctPorts: 300 });
    expect(s.run.distinctSources).toBe(1);
    expect(s.topSources).toEqual([{ src: "10.0.0.9", events: 300 }]);
    expect(s.attackers[0]!.firstSeen).toBe(new Date(T0).toISOString().replace("Z", "+00:00"));
  });

  it("summary/an alert's source with no event of its own keeps the alert's count and is no top source", () => {
    const c = collector();
    c.addEvents([packet("10.0.0.1", 22, T0)]);
    c.addAlerts([alert({ src: "10.0.0.7", events: 20 })]);
    const s = c.summarize(RUN);
    expect(s.attackers.find((a) => a.src === "10.0.0.7")).toMatchObject({ events: 20 });
    expect(s.topSources.map((t) => t.src)).toEqual(["10.0.0.1"]);
    expect(s.run.distinctSources).toBe(1);
    expect(validateSummary(s), schemaErrors(validateSummary)).toBe(true);
  });

  it("summary/an update joins its incident: one incident, two alerts, the higher severity, the wider span", () => {
    const c = collector();
    const first = alert({ severity: "medium", events: 20, lastSeen: "2026-11-28T16:00:10.000+00:00" });
    c.addAlerts([first]);
    c.addAlerts([
      {
        ...first,
        status: "update",
        severity: "high",
        events: 200,
        ports: [443],
        lastSeen: "2026-11-28T16:05:00.000+00:00",
        samples: [{ file: "kern.log", line: 9 }],
      },
    ]);
    const s = c.summarize(RUN);
    expect(s.incidents).toHaveLength(1);
    expect(s.incidents[0]).toMatchObject({
      alerts: 2,
      severity: "high",
      events: 200,
      ports: [22, 80, 443],
      firstSeen: first.firstSeen,
      lastSeen: "2026-11-28T16:05:00.000+00:00",
      samples: [
        { file: "kern.log", line: 1 },
        { file: "kern.log", line: 9 },
      ],
    });
    expect(s.run).toMatchObject({ alerts: 2, incidents: 1, attackers: 1 });
  });

  it("summary/a many-source incident is its own attacker row with src null", () => {
    const c = collector();
    c.addAlerts([
      alert({
        type: "ddos",
        technique: "syn-flood",
        severity: "critical",
        src: null,
        sources: ["1.2.3.4", "5.6.7.8"],
        distinctSources: 5000,
        estimate: true,
      }),
    ]);
    const s = c.summarize(RUN);
    expect(validateSummary(s), schemaErrors(validateSummary)).toBe(true);
    expect(s.attackers[0]).toMatchObject({
      src: null,
      distinctSources: 5000,
      sources: ["1.2.3.4", "5.6.7.8"],
    });
  });

  it("summary/no alerts: no attackers, no incidents, still the run and the timeline", () => {
    const c = collector();
    c.addEvents([packet("10.0.0.1", 80, T0), packet("10.0.0.2", 443, T0 + 1000)]);
    const s = c.summarize({ ...RUN, lines: 2, events: 2 });
    expect(validateSummary(s), schemaErrors(validateSummary)).toBe(true);
    expect(s).toMatchObject({ attackers: [], incidents: [], incidentsOmitted: 0 });
    expect(s.run).toMatchObject({
      alerts: 0,
      distinctSources: 2,
      firstEvent: "2026-11-28T16:00:00.000+00:00",
    });
    expect(s.topSources).toHaveLength(2);
  });

  it("summary/over the incident cap the least severe are left out and counted", () => {
    const c = new ReportCollector({ generator: "t", maxIncidents: 3 });
    c.addAlerts(["low", "low", "critical", "medium", "low"].map((sev) => alert({ severity: sev as "low" })));
    const s = c.summarize(RUN);
    expect(s.incidents.map((i) => i.severity).sort()).toEqual(["critical", "low", "medium"]);
    expect(s.incidentsOmitted).toBe(2);
    expect(s.attackers[0]!.incidents).toHaveLength(5);
  });

  it("summary/times of attackers are written in the run's zone", () => {
    const c = collector();
    c.addEvents([packet("10.0.0.1", 22, T0)]);
    c.addAlerts([alert({ src: "10.0.0.1", firstSeen: "2026-11-28T17:00:00.000+01:00" })]);
    const s = c.summarize({ ...RUN, timeZone: "Europe/Berlin" });
    expect(s.attackers[0]!.firstSeen).toBe("2026-11-28T17:00:00.000+01:00");
    expect(s.run.firstEvent).toBe("2026-11-28T17:00:00.000+01:00");
  });
});
