import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Diagnostics } from "../../src/diagnostics.js";
import { Engine } from "../../src/detect/engine.js";
import { MemoryStore } from "../../src/detect/memory-store.js";
import type { Alert } from "../../src/events/alert.js";
import type { Summary } from "../../src/events/summary.js";
import { ParseStats } from "../../src/parsers/parse-stats.js";
import { parseFiles } from "../../src/pipeline.js";
import { ReportCollector, type RunFacts } from "../../src/report/report-collector.js";
import { runFactsOf } from "../../src/report/run-facts.js";
import { addSampleText } from "../../src/report/sample-lines.js";
import { loadRules, SHIPPED_RULES_DIR } from "../../src/rules/load-rules.js";
import { openBatchFiles } from "../../src/sources/file-batch.js";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const MIXED = ["fixtures/scenarios/mixed/kern.log", "fixtures/scenarios/mixed/auth.log"];

/** The attackers a scenario's expect.json names (its expected alerts' sources). */
export function expectedAttackers(scenario: string): string[] {
  const expect = JSON.parse(
    readFileSync(join(ROOT, "fixtures", "scenarios", scenario, "expect.json"), "utf8"),
  ) as {
    alerts: { src?: string }[];
  };
  return [...new Set(expect.alerts.map((a) => a.src).filter((s): s is string => s !== undefined))].sort();
}

/** Runs files through the real parser and engine (memory store, shipped rules) into a summary. */
export async function summarizeFiles(paths: string[], opts: { maxSources?: number } = {}): Promise<Summary> {
  const files = await openBatchFiles(paths);
  const diagnostics = new Diagnostics();
  const engine = new Engine(await loadRules(SHIPPED_RULES_DIR), new MemoryStore(), { diagnostics });
  const stats = new ParseStats();
  const collector = new ReportCollector({
    generator: "scanwatch test",
    maxSources: opts.maxSources,
    now: () => new Date(0),
  });
  for await (const batch of parseFiles(files, { zone: "UTC", year: 2026 }, stats, diagnostics)) {
    collector.addEvents(batch);
    collector.addAlerts(await engine.process(batch));
  }
  const summary = collector.summarize(
    runFactsOf({
      files,
      stats,
      diagnostics,
      timeZone: "UTC",
      late: engine.stats.stragglers,
      disorderMs: 5000,
      store: "memory",
      seconds: 0,
    }),
  );
  await addSampleText(summary, files);
  return summary;
}

/** Run facts of a run that read nothing, for summaries built by hand. */
export const EMPTY_RUN: RunFacts = {
  files: [],
  timeZone: "UTC",
  lines: 0,
  events: 0,
  eventsByType: new Map(),
  rejected: new Map(),
  headerFormats: new Map(),
  tooLong: 0,
  backwards: 0,
  late: 0,
  disorderMs: 5000,
  duplicates: null,
  readErrors: 0,
  store: "memory",
  seconds: 0,
};

let seq = 0;
/** An alert with plausible defaults; `over` sets what a test cares about. */
export function alert(over: Partial<Alert> = {}): Alert {
  seq++;
  return {
    schemaVersion: 1,
    id: seq.toString(16).padStart(24, "0"),
    status: "new",
    type: "half-open-scan",
    rule: "tcp-scan",
    severity: "medium",
    src: "198.51.100.1",
    distinctSources: 1,
    dst: "203.0.113.10",
    distinctHosts: 1,
    proto: "tcp",
    ports: [22, 80],
    distinctPorts: 2,
    events: 10,
    firstSeen: "2026-11-28T16:00:00.000+00:00",
    lastSeen: "2026-11-28T16:00:10.000+00:00",
    window: 60,
    host: "victim",
    estimate: false,
    evidence: ["2 distinct TCP ports probed with SYNs"],
    samples: [{ file: "kern.log", line: 1 }],
    ...over,
  };
}

/** The summary JSON a report embeds, taken back out of the HTML. */
export function embeddedSummary(html: string): Summary {
  const m = /<script type="application\/json" id="scanwatch-summary">([\s\S]*?)<\/script>/.exec(html);
  if (!m) throw new Error("no #scanwatch-summary element in the report");
  return JSON.parse(m[1]!) as Summary;
}
