import { describe, expect, it } from "vitest";
import { healthOf, type Health, type HealthInput } from "../../src/cli/health.js";
import { shouldLog } from "../../src/cli/log-filter.js";
import { webhookLabels } from "../../src/cli/sinks.js";

const fine: HealthInput = { storeFallback: false, spoolDepths: [], missingFiles: [] };
const okChecks = { store: "ok", sinks: "ok", sources: "ok" };

const healthCases: [string, Partial<HealthInput>, Health][] = [
  ["all well", {}, { ok: true, status: "ok", checks: okChecks }],
  ["a small spool is no backlog", { spoolDepths: [3, 1000] }, { ok: true, status: "ok", checks: okChecks }],
  [
    "a followed file is missing",
    { missingFiles: ["/var/log/ufw.log"] },
    {
      ok: false,
      status: "degraded",
      checks: { ...okChecks, sources: "missing, waiting for: /var/log/ufw.log" },
    },
  ],
  [
    "Redis unreachable",
    { storeFallback: true },
    {
      ok: false,
      status: "degraded",
      checks: { ...okChecks, store: "fallback to memory (Redis unreachable)" },
    },
  ],
  [
    "a webhook backlog",
    { spoolDepths: [0, 1001] },
    { ok: false, status: "degraded", checks: { ...okChecks, sinks: "webhook backlog (1001 alerts queued)" } },
  ],
];

describe("operator surface", () => {
  it.each(healthCases)("health/%s", (_name, input, want) => {
    expect(healthOf({ ...fine, ...input })).toEqual(want);
  });

  it.each([
    ["info", "rules_reloaded", false, true],
    ["info", "store_recovered", false, true],
    ["info", "webhook_recovered", false, true],
    ["info", "sink_file_reopened", false, true],
    ["info", "tail_waiting", false, true],
    ["info", "tail_rotated", false, false],
    ["info", "tail_resumed", false, false],
    ["info", "tail_joined", false, false],
    ["info", "tail_joined", true, true],
    ["info", "tail_rotated", true, true],
    ["warn", "store_fallback", false, true],
  ] as const)("log/%s %s verbose=%s is shown: %s", (level, code, verbose, shown) => {
    expect(shouldLog({ level, code, message: "" }, verbose)).toBe(shown);
  });

  it.each([
    [["https://hooks.slack.com/services/T0/B0/XYZ"], ["https://hooks.slack.com"]],
    [["http://user:pw@10.0.0.5:8080/hook?token=1"], ["http://10.0.0.5:8080"]],
    [
      ["https://a.example/x", "https://b.example/", "https://a.example/y"],
      ["https://a.example", "https://b.example", "https://a.example #2"],
    ],
  ])("webhook-label/%j", (urls, want) => {
    expect(webhookLabels(urls)).toEqual(want);
  });
});
