import { describe, expect, it } from "vitest";
import { renderStatus } from "../../src/cli/status.js";
import { StatusBoard, type StatusDoc } from "../../src/status/board.js";
import { TopSources } from "../../src/status/top-sources.js";
import { makeAlert } from "../sinks/http-endpoint.js";

const T0 = Date.parse("2026-11-28T16:00:00Z");

describe("status", () => {
  it("top-sources/a heavy hitter survives a flood of one-off sources", () => {
    const t = new TopSources(10);
    for (let i = 0; i < 5000; i++) {
      t.add(`10.0.${i >> 8}.${i & 255}`, T0 + i); // 5000 sources, one packet each
      if (i % 4 === 0) t.add("198.51.100.49", T0 + i); // 1250 from one
    }
    const [first] = t.top(3);
    expect(first!.src).toBe("198.51.100.49");
    // A lower bound, short by at most a tenth of the minute's 6250 events.
    expect(first!.events).toBeGreaterThanOrEqual(1250 - 625);
    expect(first!.events).toBeLessThanOrEqual(1250);
  });

  it.each([
    ["inside the hour", 59 * 60_000, ["198.51.100.1", "198.51.100.2"]],
    ["an hour and a minute later", 61 * 60_000, ["198.51.100.2"]],
  ])("top-sources/%s", (_name, later, want) => {
    const t = new TopSources();
    t.add("198.51.100.1", T0);
    t.add("198.51.100.2", T0 + later);
    expect(t.top(10).map((x) => x.src)).toEqual(want);
  });

  it("board/keeps the latest alert of each incident of the last hour, latest first", () => {
    const b = new StatusBoard();
    const at = (min: number) => new Date(T0 + min * 60_000).toISOString();
    b.alerted([makeAlert(1, { lastSeen: at(0) }), makeAlert(2, { lastSeen: at(30) })]);
    b.alerted([makeAlert(1, { lastSeen: at(40), status: "update", severity: "critical" })]);
    b.observe([
      {
        type: "suppressed",
        ts: at(70),
        ms: T0 + 70 * 60_000,
        host: "fw1",
        source: { file: "k", line: 1 },
        count: 1,
      },
    ]);
    const { incidents } = b.recent();
    // inc-002 (16:30) is still within the hour of 17:10; inc-001's update at 16:40 too.
    expect(incidents.map((i) => [i.id, i.status, i.severity])).toEqual([
      ["inc-001", "update", "critical"],
      ["inc-002", "new", "high"],
    ]);
  });

  it("status/text shows health, files, incidents and sources", () => {
    const doc: StatusDoc = {
      version: 1,
      pid: 4242,
      startedAt: new Date(Date.now() - 3_725_000).toISOString(),
      store: "redis",
      health: {
        ok: false,
        status: "degraded",
        checks: { store: "ok", sinks: "ok", sources: "missing, waiting for: /var/log/ufw.log" },
      },
      files: [
        { path: "/var/log/kern.log", waiting: false, offset: 1_000_000, size: 1_002_048 },
        { path: "/var/log/ufw.log", waiting: true, offset: null, size: null },
      ],
      incidents: [
        {
          id: "984a39ad0000",
          type: "half-open-scan",
          rule: "tcp-scan",
          severity: "medium",
          status: "update",
          src: "198.51.100.49",
          distinctSources: 1,
          dst: "203.0.113.10",
          distinctPorts: 100,
          events: 1234,
          firstSeen: "2026-11-28T16:03:40Z",
          lastSeen: "2026-11-28T16:03:42Z",
        },
      ],
      topSources: [{ src: "198.51.100.49", events: 1234 }],
      counters: { linesRead: 3494, events: 3436, alerts: 4, duplicates: 0, allowed: 12 },
    };
    const text = renderStatus(doc, "127.0.0.1:9464");
    expect(text).toMatch(
      /^scanwatch agent: pid 4242, up 1h 2m, store redis, at http:\/\/127\.0\.0\.1:9464\n/,
    );
    expect(renderStatus({ ...doc, agent: { id: "a1", host: "web1" } }, "127.0.0.1:9464")).toMatch(
      /^scanwatch agent: a1 on web1, pid 4242, up 1h 2m, store redis/,
    );
    expect(text).toContain("health: degraded; sources: missing, waiting for: /var/log/ufw.log\n");
    expect(text).toMatch(/\/var\/log\/kern\.log {2}\s+1,000,000 {2}\s+1,002,048 {2}2\.0 KiB\n/);
    expect(text).toContain("/var/log/ufw.log   missing: waiting for it to appear\n");
    expect(text).toContain(
      "  16:03:42 MEDIUM   half-open-scan     198.51.100.49 → 203.0.113.10, 100 ports, 1,234 events  [update 984a39ad]\n",
    );
    expect(text).toMatch(/ {2}198\.51\.100\.49 +1,234\n/);
    expect(text).toContain(
      "since start: lines read 3,494, events 3,436, alerts 4, copies from another file dropped 0, allowed 12\n",
    );
  });
});
