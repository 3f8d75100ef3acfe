/**
 * The HTML report on the bench's kernel log: its size, what collecting and writing it costs
 * `analyze`, and how long chromium takes to open it (navigation start → every table and chart
 * drawn, as the page itself reports), with the same browser code as the report's tests.
 *
 *   npm run build && node --import tsx bench/report.ts     (BENCH_LINES, BENCH_DIR as for bench/run.ts)
 *
 * The cost is measured in CPU seconds of this process, the analysis run in turn with and without
 * the collector: on a shared machine wall-clock times of separate runs differ by more than the
 * cost being measured.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Diagnostics } from "../src/diagnostics.js";
import { Engine } from "../src/detect/engine.js";
import { MemoryStore } from "../src/detect/memory-store.js";
import { ParseStats } from "../src/parsers/parse-stats.js";
import { parseFiles } from "../src/pipeline.js";
import { renderHtmlReport } from "../src/report/html-report.js";
import { ReportCollector } from "../src/report/report-collector.js";
import { runFactsOf } from "../src/report/run-facts.js";
import { addSampleText } from "../src/report/sample-lines.js";
import { loadRules, SHIPPED_RULES_DIR } from "../src/rules/load-rules.js";
import { openBatchFiles } from "../src/sources/file-batch.js";
import { launchBrowser, openReport } from "../test/report/browser.js";
import { writeKernelLog } from "./generate.js";

const N = Number(process.env.BENCH_LINES ?? 1_000_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 2);
const OPENS = 7;
const dir = process.env.BENCH_DIR ?? join(tmpdir(), "scanwatch-bench");
mkdirSync(dir, { recursive: true });
const kern = join(dir, `kern-${N}-s42.log`);
if (!existsSync(kern)) await writeKernelLog(kern, N);
const report = join(dir, `kern-${N}-s42.html`);

const fmt = (n: number, d = 0) =>
  n.toLocaleString("en-US", { maximumFractionDigits: d, minimumFractionDigits: d });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const cpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

// The report as a user makes it: the real CLI.
const cli = join(import.meta.dirname, "..", "bin", "scanwatch");
const args = ["analyze", "--tz", "UTC", "--year", "2026", "--quiet", "--no-stdout", "--report", report, kern];
execFileSync(process.execPath, [cli, ...args], { stdio: ["ignore", "ignore", "inherit"] });
const bytes = statSync(report).size;

/** The analyze loop in this process; with `report`, also the collector, summary and HTML. */
async function analyze(report: boolean): Promise<{ cpu: number; collect: number; finish: number }> {
  const files = await openBatchFiles([kern]);
  const diagnostics = new Diagnostics();
  const engine = new Engine(await loadRules(SHIPPED_RULES_DIR), new MemoryStore(), { diagnostics });
  const stats = new ParseStats();
  const collector = report ? new ReportCollector({ generator: "bench" }) : undefined;
  const c0 = cpuSeconds();
  let collect = 0;
  for await (const batch of parseFiles(files, { zone: "UTC", year: 2026 }, stats, diagnostics)) {
    const t0 = performance.now();
    collector?.addEvents(batch);
    collect += performance.now() - t0;
    const alerts = await engine.process(batch);
    const t1 = performance.now();
    collector?.addAlerts(alerts);
    collect += performance.now() - t1;
  }
  const t2 = performance.now();
  if (collector) {
    const run = { files, stats, diagnostics, timeZone: "UTC", late: 0, disorderMs: 5000, store: "memory" };
    const summary = collector.summarize(runFactsOf({ ...run, seconds: 0 }));
    await addSampleText(summary, files);
    renderHtmlReport(summary);
  }
  return { cpu: cpuSeconds() - c0, collect: collect / 1000, finish: (performance.now() - t2) / 1000 };
}

const plain: number[] = [];
const withReport: { cpu: number; collect: number; finish: number }[] = [];
for (let i = 0; i < RUNS; i++) {
  plain.push((await analyze(false)).cpu);
  withReport.push(await analyze(true));
}
const best = withReport.reduce((a, b) => (b.cpu < a.cpu ? b : a));

const browser = await launchBrowser();
const opens: number[] = [];
try {
  for (let i = 0; i < OPENS; i++) {
    const r = await openReport(browser, report);
    if (r.errors.length || r.blocked.length)
      throw new Error(`report errors: ${[...r.errors, ...r.blocked].join("; ")}`);
    opens.push(r.openMs);
    await r.page.close();
  }
} finally {
  await browser.close();
}

const p = Math.min(...plain);
console.log(`scanwatch report bench: ${fmt(N)}-line kernel log (${kern}), node ${process.version}`);
console.log(`  analyze, no report          ${fmt(p, 2)} CPU s (least of ${RUNS})`);
console.log(
  `  analyze with the report     ${fmt(best.cpu, 2)} CPU s (+${fmt(((best.cpu - p) / p) * 100, 1)} %): ` +
    `collector ${fmt(best.collect, 2)} s, summary + sample lines + HTML ${fmt(best.finish, 2)} s`,
);
console.log(`  report size                 ${fmt(bytes / 1024 / 1024, 2)} MiB (${fmt(bytes)} bytes)`);
console.log(
  `  open in chromium            first ${fmt(opens[0]!)} ms, median of ${OPENS} ${fmt(median(opens))} ms, max ${fmt(Math.max(...opens))} ms`,
);
