import { describe, expect, it } from "vitest";
import { formatDuration, formatSlack, SLACK_EVIDENCE_LINES } from "../../src/sinks/slack-format.js";
import { makeAlert } from "./http-endpoint.js";

describe("slack", () => {
  it("slack/summary line names what happened", () => {
    const alert = makeAlert(1, {
      ports: [22, 23, 25, 53, 80, 110, 143, 443, 445, 993, 995, 3306],
      distinctPorts: 1000,
      events: 1200,
      evidence: ["SYN to 1000 ports in 45s", "no handshake completed"],
    });
    const [summary, ...rest] = formatSlack(alert).text.split("\n");
    expect(summary).toBe(
      "[HIGH] new port-scan (syn) | 203.0.113.5 → 198.51.100.7 | " +
        "tcp ports 22, 23, 25, 53, 80, 110, 143, 443, 445, 993, … (1000 distinct) | " +
        "1200 events in 60s | 2024-07-03T10:00:00.000Z → 2024-07-03T10:00:45.000Z | host fw1 | rule port-scan",
    );
    expect(rest).toEqual(["• SYN to 1000 ports in 45s", "• no handshake completed"]);
  });

  it("slack/many sources and hosts are counted", () => {
    const alert = makeAlert(1, {
      src: null,
      distinctSources: 14,
      dst: null,
      distinctHosts: 250,
      technique: undefined,
      estimate: true,
      slow: true,
      status: "update",
      severity: "critical",
    });
    const summary = formatSlack(alert).text.split("\n")[0] ?? "";
    expect(summary).toMatch(/^\[CRITICAL\] update slow port-scan \| ~14 sources → ~250 hosts \|/);
    expect(summary).toContain("~40 events");
  });

  it("slack/log-controlled text cannot mention or link", () => {
    const alert = makeAlert(1, { host: "<!channel>", evidence: ["<https://evil.example|click> & more"] });
    const text = formatSlack(alert).text;
    expect(text).not.toMatch(/[<>]/);
    expect(text).toContain("host &lt;!channel&gt;");
    expect(text).toContain("• &lt;https://evil.example|click&gt; &amp; more");
  });

  it("slack/long evidence is cut with a count", () => {
    const evidence = Array.from({ length: SLACK_EVIDENCE_LINES + 3 }, (_, i) => `line ${i}`);
    const lines = formatSlack(makeAlert(1, { evidence })).text.split("\n");
    expect(lines).toHaveLength(1 + SLACK_EVIDENCE_LINES + 1);
    expect(lines.at(-1)).toBe("• … 3 more");
  });

  it.each([
    [500, "500ms"],
    [60_000, "60s"],
    [300_000, "5m"],
    [7_200_000, "2h"],
    [90_500, "90500ms"],
  ])("slack/duration %i", (ms, shown) => {
    expect(formatDuration(ms)).toBe(shown);
  });
});
