import { describe, expect, it } from "vitest";
import { ReportCollector } from "../../src/report/report-collector.js";
import { portList, renderTerminalSummary, wrapLines } from "../../src/report/terminal-summary.js";
import { alert, EMPTY_RUN, MIXED, summarizeFiles } from "./support.js";

const RUN = EMPTY_RUN;

describe("terminal-summary", () => {
  it("terminal/mixed scenario: four attackers, most dangerous first, within 80 columns", async () => {
    const text = renderTerminalSummary(await summarizeFiles(MIXED), { color: false });
    const lines = text.trimEnd().split("\n");
    for (const l of lines) expect(l.length, l).toBeLessThanOrEqual(80);
    expect(lines[0]).toBe("4 attackers, most dangerous first (times 2026-11-28 UTC)");
    // Three alerts: the new one at 15 ports, then medium (100) and high (1,000) as it climbed.
    expect(lines[1]).toMatch(/^ HIGH +198\.51\.100\.76 +3 alerts +2,004 events +16:04:14 → 16:04:21$/);
    expect(lines[2]!.trim()).toBe("half-open-scan");
    expect(lines[3]!.trim()).toBe("tcp 1,000 ports (1-100,…) · host 203.0.113.10");
    expect(text).toMatch(/ssh-bruteforce \(single-source\)/);
    expect(text).toMatch(/Top targeted ports \(packets\)\n +443\/tcp 420 +80\/tcp 403/);
  });

  it("terminal/long IPv6 sources, many types and hostile host names still fit and carry no escapes", () => {
    const c = new ReportCollector({ generator: "t" });
    c.addAlerts([
      alert({
        src: "2001:db8:ffff:ffff:ffff:ffff:ffff:fff1",
        severity: "critical",
        events: 1_234_567,
        host: "\x1b]0;owned\x07\x1b[31mevil",
        proto: "ssh",
        dst: null,
        ports: [],
        distinctPorts: 0,
        type: "ssh-bruteforce",
        technique: "single-source",
      }),
      ...["stealth-scan", "udp-scan", "port-sweep", "icmp-sweep", "syn-flood"].map((type) =>
        alert({ src: "2001:db8:ffff:ffff:ffff:ffff:ffff:fff1", type, technique: "xmas" }),
      ),
    ]);
    const text = renderTerminalSummary(c.summarize(RUN), { color: true });
    // Only our own colour codes (ESC [ digits m) reach the terminal.
    expect(text.replace(/\x1b\[[0-9;]*m/g, "")).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f]/);
    for (const l of text
      .replace(/\x1b\[[0-9;]*m/g, "")
      .trimEnd()
      .split("\n"))
      expect(l.length, l).toBeLessThanOrEqual(80);
    expect(text).toMatch(/1,234,567|6 alerts/);
  });

  it("terminal/no alerts says so", () => {
    expect(
      renderTerminalSummary(new ReportCollector({ generator: "t" }).summarize(RUN), { color: false }),
    ).toBe("No attackers: no rule raised an alert.\n");
  });

  it("terminal/more attackers than shown says how many more", () => {
    const c = new ReportCollector({ generator: "t" });
    c.addAlerts(Array.from({ length: 14 }, (_, i) => alert({ src: `10.0.0.${i}` })));
    expect(renderTerminalSummary(c.summarize(RUN), { color: false })).toMatch(/… 4 more attackers/);
  });

  it.each([
    [[1, 2, 3, 4, 5], 5, 40, "1-5"],
    [[1, 2, 4, 7, 8, 9], 6, 40, "1,2,4,7-9"],
    [[22], 3, 40, "22,…"],
    [[10, 20, 30, 40, 50, 60], 6, 12, "10,20,30,…"],
  ])("terminal/ports %j (%i distinct) in %i columns → %s", (ports, distinct, room, want) => {
    expect(portList(ports, distinct, room)).toBe(want);
  });

  it("terminal/long total lines wrap at their separators with a hanging indent", () => {
    const line =
      "  events by type: packet/tcp 3,311, auth/failure 38, packet/udp 30, auth/preauth-close 27, packet/icmp 18, auth/invalid-user 8";
    expect(wrapLines(`short\n${line}\n`, 80)).toBe(
      "short\n" +
        "  events by type: packet/tcp 3,311, auth/failure 38, packet/udp 30,\n" +
        "      auth/preauth-close 27, packet/icmp 18, auth/invalid-user 8\n",
    );
    expect(wrapLines("alerts: 4 (a 1, b 2)   store: memory   0.15 s, 22,929 lines/s", 40)).toBe(
      "alerts: 4 (a 1, b 2)   store: memory\n    0.15 s, 22,929 lines/s",
    );
  });
});
