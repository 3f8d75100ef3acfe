import { parseArgs } from "node:util";
import { Diagnostics } from "../diagnostics.js";
import { Engine } from "../detect/engine.js";
import { openStore, storeSpecFrom } from "../detect/open-store.js";
import { ParseStats } from "../parsers/parse-stats.js";
import {
  BATCH_EVENTS,
  batchSource,
  eventFilters,
  runPipeline,
  SHARED_BATCH_EVENTS,
  TimeRange,
} from "../pipeline.js";
import { loadRules, SHIPPED_RULES_DIR } from "../rules/load-rules.js";
import { addSampleText } from "../report/sample-lines.js";
import { writeHtmlReport } from "../report/html-report.js";
import { ReportCollector } from "../report/report-collector.js";
import { runFactsOf } from "../report/run-facts.js";
import { renderTerminalSummary, wrapLines } from "../report/terminal-summary.js";
import { openBatchFiles } from "../sources/file-batch.js";
import { duplicateFilter, ruleCopiesFilter } from "./duplicates.js";
import { FileTally } from "./file-tally.js";
import { lockSpool } from "./agent-locks.js";
import { loadConfig, mergeConfig, omitKeys, TAIL_ONLY_KEYS } from "./config.js";
import { ALLOW_HELP, allowListFrom } from "./allow-option.js";
import { VERSION } from "../version.js";
import {
  TIME_OPTIONS,
  formatOption,
  resolveTime,
  secondsOption,
  timeRange,
  writeOut,
} from "./common-options.js";
import { Progress } from "./progress.js";
import { checkReportPath, REPORT_HELP, REPORT_OPTIONS, summaryOption } from "./report-options.js";
import { buildSinks, SINK_OPTIONS, SINK_HELP } from "./sinks.js";
import { resolveStateLocation } from "./state-location.js";
import { checkStoreSpec } from "./store-option.js";
import { workersOption } from "./workers-option.js";
import {
  renderAlertSummary,
  renderAllowed,
  renderAlreadyAlerted,
  renderOutsideRange,
  renderDuplicates,
  renderRuleCopies,
  renderEvictions,
  renderLate,
  renderParseSummary,
} from "./summary.js";
import { RuntimeError, UsageError } from "./usage-error.js";

export const ANALYZE_HELP = `scanwatch analyze [options] FILE... | -

Detects scans, floods and brute force in archived logs (plain or gzip, any number of files,
merged into one timeline by event time). Alerts go to stdout; a summary goes to stderr.

  --store memory|redis://HOST:PORT/DB   window store (default: $REDIS_URL, else memory)
  --key-prefix PREFIX     Redis key prefix (default scanwatch:)
  --rules DIR             rules folder (default: the shipped rules/)
${ALLOW_HELP}  --since TIME --until TIME   only events in [since, until) (ISO 8601, e.g. 2026-11-28T15:00:00Z)
  --year YYYY --tz ZONE   year and zone for stamps that lack them (default: file mtime, machine zone)
  --disorder SECONDS      tolerated time disorder between merged files (default 5)
  --workers N             parse threads: 1 (the default) parses in the main thread; more parse
                          files, or chunks of one big plain file, in worker threads (about
                          1.2x faster on 2 cores, with twice the memory: see the README's
                          Benchmark). The alerts are the same either way.
  --format ndjson|table   alert format on stdout (default: table on a terminal, else ndjson)
  --quiet                 no progress bar and no text summary
  --config FILE           JSON file with any of these options by name (the one tail reads: keys
                          only tail has are left alone); flags override it
${REPORT_HELP}${SINK_HELP}`;

export async function analyzeCommand(argv: string[]): Promise<number> {
  const parsed = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...TIME_OPTIONS,
      ...SINK_OPTIONS,
      ...REPORT_OPTIONS,
      store: { type: "string" },
      "key-prefix": { type: "string" },
      rules: { type: "string" },
      allow: { type: "string", multiple: true },
      since: { type: "string" },
      until: { type: "string" },
      disorder: { type: "string" },
      workers: { type: "string" },
      format: { type: "string" },
      quiet: { type: "boolean" },
      config: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  const { positionals } = parsed;
  if (parsed.values.help) {
    process.stdout.write(ANALYZE_HELP);
    return 0;
  }
  if (positionals.length === 0) throw new UsageError("analyze: give at least one FILE (or - for stdin)");
  const config = parsed.values.config ? omitKeys(await loadConfig(parsed.values.config), TAIL_ONLY_KEYS) : {};
  const values = mergeConfig(parsed.values as Record<string, unknown>, config) as typeof parsed.values;
  const time = resolveTime(values);
  const format = formatOption(values.format, process.stdout.isTTY === true);
  const { since, until } = timeRange(values.since, values.until);
  const range = since !== undefined || until !== undefined ? new TimeRange(since, until) : undefined;
  const disorderMs = values.disorder !== undefined ? secondsOption(values.disorder, "--disorder") : 5000;
  const workers = workersOption(values.workers);
  const storeSpec = storeSpecFrom(values.store);
  checkStoreSpec(storeSpec, values.store !== undefined ? "--store" : "REDIS_URL");
  const summaryMode = summaryOption(values.summary);
  const reportPath = values.report !== undefined ? await checkReportPath(values.report) : undefined;

  const rules = await loadRules(values.rules ?? SHIPPED_RULES_DIR); // RuleError: exit 1 in main()
  // A missing or unreadable file throws a SourceError (with a code): main() prints it, exit 1.
  const files = await openBatchFiles(positionals);

  const diagnostics = new Diagnostics();
  // On a terminal a message first wipes the progress bar; in a file or the journal it is plain text.
  const [wipe, eol] = process.stderr.isTTY === true && !values.quiet ? ["\r", "\x1b[K\n"] : ["", "\n"];
  diagnostics.onReport((m) => process.stderr.write(`${wipe}scanwatch: ${m.level}: ${m.message}${eol}`));
  const allow = allowListFrom(values.allow, diagnostics);
  const location = resolveStateLocation({ spool: values.spool });
  // Its webhooks queue in the same spool as a running tail would: one process per spool.
  const spoolLock = values.webhook?.length ? await lockSpool(location.spoolDir, diagnostics) : undefined;
  const store = await openStore({ store: storeSpec, keyPrefix: values["key-prefix"] }, diagnostics);
  // --summary json makes stdout one JSON object: the alerts are in it, not streamed before it.
  const sinks = await buildSinks(
    summaryMode === "json" ? { ...values, "no-stdout": true } : values,
    format,
    diagnostics,
    location.spoolDir,
  );
  const engine = new Engine(rules, store, { diagnostics, disorderMs });
  const stats = new ParseStats();
  const tally = new FileTally();
  const dedup = files.length > 1 ? duplicateFilter(disorderMs, diagnostics) : undefined;
  const ruleCopies = ruleCopiesFilter(diagnostics);
  const showProgress = !values.quiet && process.stderr.isTTY === true;
  const progress = showProgress ? new Progress(files.reduce((n, f) => n + f.size, 0)) : undefined;
  const started = performance.now();
  const alertsByType = new Map<string, number>();
  const collector =
    reportPath !== undefined || summaryMode === "json" || !values.quiet
      ? new ReportCollector({ generator: `scanwatch ${VERSION}` })
      : undefined;
  let failed = false;
  // Ctrl-C: the batch in hand is finished, then the summary of what was read so far is printed
  // (and --report written), marked as partial; a second Ctrl-C quits at once.
  let interrupted = false;
  const onSigint = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    progress?.clear();
    process.stderr.write(
      "scanwatch: interrupted; finishing the batch in hand, then the summary of what was read (Ctrl-C again to quit now)\n",
    );
  };
  process.on("SIGINT", onSigint);
  try {
    await runPipeline({
      stopping: () => interrupted,
      source: batchSource(
        files,
        {
          ...time,
          batchEvents: store.shared ? SHARED_BATCH_EVENTS : BATCH_EVENTS,
          onBytes: progress ? (n) => progress.add(n) : undefined,
          onOutcome: (raw, o) => tally.record(raw, o),
          onTally: (file, t) => tally.add(file, t),
        },
        stats,
        diagnostics,
        { workers },
      ),
      engine,
      sinks,
      // Before detection: lines read twice from two files, allowed sources, then the time range.
      filters: eventFilters({ dedup, ruleCopies, allow, range }),
      onEvents: () => {
        if (progress) progress.lines = stats.lines;
      },
      onAlerts: (alerts) => {
        // Alerts and the progress bar may share one terminal: wipe the bar before printing.
        progress?.clear();
        for (const a of alerts) alertsByType.set(a.type, (alertsByType.get(a.type) ?? 0) + 1);
      },
      // The batch's alerts first: their attackers are pinned before the batch's events are
      // tallied, so none of an attacker's ports in the batch that raised its alert is lost.
      onJudged: (events, alerts) => {
        collector?.addAlerts(alerts);
        collector?.addEvents(events);
      },
    });
  } catch (e) {
    failed = true;
    progress?.clear();
    process.stderr.write(`scanwatch: ${(e as Error).message}\n`);
  } finally {
    process.off("SIGINT", onSigint);
    progress?.clear();
    for (const s of sinks) await s.close();
    await store.close();
    spoolLock?.release();
  }
  const secs = (performance.now() - started) / 1000;
  let attackersText = "";
  if (collector && !failed) {
    const summary = collector.summarize(
      runFactsOf({
        files,
        stats,
        diagnostics,
        timeZone: time.zone,
        late: engine.stats.stragglers,
        disorderMs,
        store: store.kind,
        seconds: secs,
        duplicates: (dedup?.dropped ?? 0) + ruleCopies.dropped,
        interrupted,
        allowed: allow?.allowed,
        outsideTimeRange: range?.outside,
        alreadyAlerted: store.shared ? engine.alreadyAlerted : undefined,
      }),
    );
    await addSampleText(summary, files);
    if (reportPath !== undefined) {
      const bytes = await writeHtmlReport(reportPath, summary).catch((e: Error) => {
        throw new RuntimeError(`--report: cannot write ${reportPath}: ${e.message}`, "REPORT_WRITE");
      });
      if (!values.quiet)
        process.stderr.write(
          `report: ${reportPath} (${Math.ceil(bytes / 1024).toLocaleString("en-US")} KiB)\n`,
        );
    }
    if (summaryMode === "json") await writeOut(process.stdout, JSON.stringify(summary) + "\n");
    else
      attackersText =
        renderTerminalSummary(summary, { color: process.stderr.isTTY === true && !process.env.NO_COLOR }) +
        "\n";
  }
  if (!values.quiet) {
    let text = renderParseSummary(stats, diagnostics);
    for (const w of tally.warnings()) text += `  ${w}\n`;
    if (dedup?.dropped) text += renderDuplicates(dedup);
    if (ruleCopies.dropped) text += renderRuleCopies(ruleCopies.dropped);
    if (allow) text += renderAllowed(allow);
    if (range) text += renderOutsideRange(range);
    text += renderAlertSummary({
      alerts: engine.stats.alerts,
      byType: alertsByType,
      store: store.kind,
      seconds: secs,
      lines: stats.lines,
    });
    text += renderLate(engine.stats.stragglers, disorderMs);
    text += renderEvictions(engine.evictions, engine.maxKeys);
    text += renderAlreadyAlerted(engine.alreadyAlerted);
    if (interrupted)
      text += `interrupted after ${stats.lines.toLocaleString("en-US")} lines: this summary covers only what was read\n`;
    process.stderr.write(attackersText + wrapLines(text));
  } else if (interrupted) {
    process.stderr.write(`scanwatch: interrupted after ${stats.lines.toLocaleString("en-US")} lines\n`);
  }
  if (interrupted) return 130;
  return failed || diagnostics.get("scanwatch_read_errors_total") > 0 ? 1 : 0;
}
