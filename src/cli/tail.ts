import { randomBytes } from "node:crypto";
import { existsSync, statSync } from "node:fs";
import { hostname } from "node:os";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { Diagnostics } from "../diagnostics.js";
import { Engine } from "../detect/engine.js";
import { FallbackStore } from "../detect/fallback-store.js";
import { openStore, storeSpecFrom } from "../detect/open-store.js";
import type { Commit, WindowStore } from "../detect/window-store.js";
import { MetricsServer } from "../metrics.js";
import { LineParser } from "../parsers/line-parser.js";
import { ParseStats } from "../parsers/parse-stats.js";
import { eventFilters, liveSource, parseBatch, runPipeline, type LineSource } from "../pipeline.js";
import { loadRules, SHIPPED_RULES_DIR } from "../rules/load-rules.js";
import { tailFiles, type TailSource } from "../sources/file-tail/index.js";
import { followJournal } from "../sources/journal.js";
import { linesBefore } from "../sources/lines-before.js";
import type { RawLine } from "../sources/line.js";
import {
  AGENT_ID_PATTERN,
  parsePositions,
  positionsText,
  TailState,
  type AgentIdentity,
  type TailEntry,
} from "../sources/tail-state.js";
import { FileSink } from "../sinks/file.js";
import type { Sink } from "../sinks/sink.js";
import { WebhookSink } from "../sinks/webhook/index.js";
import { StatusBoard } from "../status/board.js";
import { Cleanup } from "../util/cleanup.js";
import { errCode } from "../util/fs-errors.js";
import type { Lock } from "../util/pid-lock.js";
import { lockSpool, lockState } from "./agent-locks.js";
import { ALLOW_HELP, allowListFrom } from "./allow-option.js";
import { TIME_OPTIONS, formatOption, hostPortOption, resolveTime, secondsOption } from "./common-options.js";
import { loadConfig, mergeConfig } from "./config.js";
import { duplicateFilter, ruleCopiesFilter } from "./duplicates.js";
import { healthOf } from "./health.js";
import { statusDoc } from "./status.js";
import { shouldLog } from "./log-filter.js";
import { buildSinks, SINK_HELP, SINK_OPTIONS } from "./sinks.js";
import { resolveStateLocation } from "./state-location.js";
import { checkStoreSpec } from "./store-option.js";
import { onStdoutClosed } from "./stdout-closed.js";
import { FileTally } from "./file-tally.js";
import { RuntimeError, UsageError } from "./usage-error.js";

export const DEFAULT_FILES = [
  "/var/log/kern.log",
  "/var/log/ufw.log",
  "/var/log/auth.log",
  "/var/log/secure",
  "/var/log/messages",
];

export const TAIL_HELP = `scanwatch tail [options] [FILE...]

Follows firewall and sshd logs as they grow and alerts within a second. Survives rotation
(rename+create, copytruncate) and restarts (positions saved in a state file).
Default files: the ones of ${DEFAULT_FILES.join(", ")} that exist.

  --journal               read the systemd journal (journalctl -f -o json) instead of files
  --state DIR|FILE        where positions (DIR/state.json) and the webhook spool (DIR/spool) live
                          (default: $STATE_DIRECTORY, else /var/lib/scanwatch if writable, else
                          $XDG_STATE_HOME/scanwatch or ~/.local/state/scanwatch); one agent per DIR
  --from-start            read existing content first (default: start at the end)
  --store memory|redis://HOST:PORT/DB   window store (default: $REDIS_URL, else memory);
                          while Redis is unreachable (at start too), detection goes on in memory
  --require-store         exit 1 when Redis cannot be reached at start, rather than start in memory
  --agent-id ID           this agent's id in a fleet (default: generated once, kept in the state
                          file); shown at start, in status and in each alert's "agent"
  --key-prefix PREFIX     Redis key prefix (default scanwatch:)
  --rules DIR             rules folder (default: the shipped rules/); SIGHUP reloads it
${ALLOW_HELP}  --year YYYY --tz ZONE   year and zone for stamps that lack them
  --disorder SECONDS      tolerated time disorder between followed files (default 5)
  --format ndjson|table   alert format on stdout
  --metrics HOST:PORT     serve Prometheus /metrics and /healthz (e.g. 127.0.0.1:9464)
  --config FILE           JSON file with any of these options by name; flags override it
  --verbose               also log the routine of following files (rotations, resumes)
${SINK_HELP}
Signals: SIGTERM/SIGINT stop, flush and save positions (exit 0); SIGHUP reloads rules and
reopens the --out file (logrotate's postrotate).
`;

const OPTIONS = {
  ...TIME_OPTIONS,
  ...SINK_OPTIONS,
  journal: { type: "boolean" },
  state: { type: "string" },
  "from-start": { type: "boolean" },
  store: { type: "string" },
  "key-prefix": { type: "string" },
  "require-store": { type: "boolean" },
  "agent-id": { type: "string" },
  rules: { type: "string" },
  allow: { type: "string", multiple: true },
  format: { type: "string" },
  metrics: { type: "string" },
  config: { type: "string" },
  disorder: { type: "string" },
  verbose: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

export async function tailCommand(argv: string[]): Promise<number> {
  const parsed = parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
  if (parsed.values.help) {
    process.stdout.write(TAIL_HELP);
    return 0;
  }
  const config = parsed.values.config ? await loadConfig(parsed.values.config) : {};
  const values = mergeConfig(parsed.values as Record<string, unknown>, config) as typeof parsed.values & {
    files?: string[];
  };
  const time = resolveTime(values);
  const disorderMs = values.disorder !== undefined ? secondsOption(values.disorder, "--disorder") : 5000;
  if (values.metrics) hostPortOption(values.metrics, "--metrics");
  const format = formatOption(values.format, process.stdout.isTTY === true);
  const agentId = values["agent-id"];
  if (agentId !== undefined && !AGENT_ID_PATTERN.test(agentId))
    throw new UsageError(
      `--agent-id: "${agentId}" is not an id: use 1 to 64 letters, digits, ".", "_", ":" or "-", starting with a letter or digit`,
    );
  const storeSpec = storeSpecFrom(values.store);
  checkStoreSpec(storeSpec, values.store !== undefined ? "--store" : "REDIS_URL");

  const diagnostics = new Diagnostics();
  const verbose = values.verbose === true;
  diagnostics.onReport((m) => {
    if (shouldLog(m, verbose)) process.stderr.write(`scanwatch: ${m.level}: ${m.message}\n`);
  });
  const allow = allowListFrom(values.allow, diagnostics);

  let files: string[] = [];
  if (!values.journal) {
    files = parsed.positionals.length
      ? parsed.positionals
      : (values.files ?? DEFAULT_FILES.filter((f) => existsSync(f)));
    if (files.length === 0)
      throw new RuntimeError(
        `tail: none of the default log files exist (${DEFAULT_FILES.join(", ")}); give FILEs or use --journal`,
      );
    // A file not there yet is waited for; a folder or a device never becomes a log file.
    for (const f of files) {
      const st = statSync(f, { throwIfNoEntry: false });
      if (st?.isDirectory())
        throw new UsageError(
          `tail: ${f} is a folder, not a log file; give the files in it (e.g. ${f}/auth.log)`,
        );
      if (st && !st.isFile() && !st.isFIFO()) throw new UsageError(`tail: ${f} is not a regular file`);
    }
    process.stderr.write(`scanwatch: following ${files.join(", ")}\n`);
  } else process.stderr.write("scanwatch: following the systemd journal (kernel and sshd)\n");

  const rulesDir = values.rules ?? SHIPPED_RULES_DIR;
  const rules = await loadRules(rulesDir); // RuleError: exit 1 in main()

  // Whatever opens is closed again if a later step fails: a half-started agent must not linger.
  const cleanup = new Cleanup();
  const location = resolveStateLocation({ state: values.state, spool: values.spool });
  const board = new StatusBoard();
  const locks: Lock[] = [];
  cleanup.add(() => locks.forEach((l) => l.release()));
  let sinks: Sink[] = [];
  let metrics: MetricsServer | undefined;
  let metricsAt: string | undefined;
  let store: WindowStore;
  let journal: ReturnType<typeof followJournal> | undefined;
  let source: TailSource | undefined;
  let engine: Engine;
  let agent: AgentIdentity | undefined;
  let commitOf: ((files: Record<string, TailEntry>) => Commit) | undefined;
  try {
    // One agent per state and spool, and a free metrics port: the likeliest startup failures,
    // checked before anything else is open.
    locks.push(await lockState(location.statePath, diagnostics));
    if (values.webhook?.length) locks.push(await lockSpool(location.spoolDir, diagnostics));
    if (values.metrics) {
      const health = () =>
        healthOf({
          storeFallback: diagnostics.get("scanwatch_store_fallback") > 0,
          spoolDepths: diagnostics.series("scanwatch_spool_depth").map(([, v]) => v),
          missingFiles: (source?.files() ?? []).filter((f) => f.waiting).map((f) => f.path),
        });
      metrics = new MetricsServer(diagnostics, health, () =>
        statusDoc(board, {
          health: health(),
          store: store?.kind ?? "starting",
          agent,
          files: source?.files() ?? [],
          diagnostics,
        }),
      );
      try {
        metricsAt = await metrics.listen(values.metrics);
      } catch (e) {
        throw new RuntimeError(`--metrics ${values.metrics}: cannot listen (${(e as Error).message})`);
      }
      cleanup.add(() => metrics?.close());
    }

    if (storeSpec === "memory") store = await openStore({ store: "memory" }, diagnostics);
    else {
      // Redis down at start is like Redis going away later: detect in memory and keep trying,
      // unless asked to insist on the shared store.
      const requireStore = values["require-store"] === true;
      store = await FallbackStore.start(
        () => openStore({ store: storeSpec, keyPrefix: values["key-prefix"] }, diagnostics),
        diagnostics,
        (e) => !requireStore && errCode(e) === "STORE_UNREACHABLE",
      );
    }
    cleanup.add(() => store.close());
    sinks = await buildSinks(values, format, diagnostics, location.spoolDir);
    cleanup.add(() =>
      Promise.allSettled(sinks.map((s) => (s instanceof WebhookSink ? s.close({ drainMs: 0 }) : s.close()))),
    );
    engine = new Engine(rules, store, { diagnostics, disorderMs });

    const state = await TailState.load(location.statePath, diagnostics);
    agent = identify(state, agentId);
    process.stderr.write(`scanwatch: agent ${agent.id} on ${agent.host}, store ${store.kind}\n`);
    // The embedded store's windows and incidents live in this process: they are saved with the
    // positions (one file, one moment), so a restart neither re-alerts nor double counts.
    if (!values.journal && storeSpec === "memory") keepDetectionState(state, engine, diagnostics);
    // A shared store keeps this agent's positions with the counts they produced (one call per
    // batch): they say where its counts end, so a restart after kill -9 counts nothing twice.
    if (!values.journal && storeSpec !== "memory") {
      const key = `tail:${agent.id}`;
      const self = agent;
      await resumeFromStore(state, store, key, self, diagnostics);
      commitOf = (files) => ({ key, value: positionsText(files, self) });
    }
    journal = values.journal
      ? followJournal({ fromStart: values["from-start"] === true, diagnostics })
      : undefined;
    source = journal
      ? undefined
      : tailFiles(files, {
          fromStart: values["from-start"] === true,
          state,
          diagnostics,
          saveEveryMs: 250,
          pollMs: 100,
          maxBatchLines: 4096,
        });
  } catch (e) {
    await cleanup.run();
    throw e;
  }

  // UFW logs each packet to kern.log and ufw.log, and both are followed by default.
  const dedup = files.length > 1 ? duplicateFilter(disorderMs, diagnostics) : undefined;
  const ruleCopies = ruleCopiesFilter(diagnostics);
  // Copies still to come of lines read before the restart (kern.log read further than ufw.log
  // when it stopped) are copies all the same: the filter first takes in what each file had
  // before its position.
  if (dedup && source) {
    const at = source.positions();
    for (const p of files) {
      const pos = at[resolve(p)];
      if (!pos) continue;
      const lines = await linesBefore(p, pos);
      const primer = new LineParser({ time: { ...time, referenceMs: Date.now() } });
      if (lines.length) dedup.remember(parseBatch(lines, () => primer, new ParseStats()));
    }
  }
  const parsers = new Map<string, LineParser>();
  const parserFor = (file: string) => {
    let p = parsers.get(file);
    if (!p) parsers.set(file, (p = new LineParser({ time: { ...time, referenceMs: Date.now() } })));
    return p;
  };

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    if (verbose) process.stderr.write(`scanwatch: ${signal}: stopping\n`);
    // Hard deadline: whatever happens, exit within 5 s of the signal.
    setTimeout(() => process.exit(0), 4500).unref();
    void source?.stop();
    journal?.stop();
  };
  const onTerm = () => stop("SIGTERM");
  const onInt = () => stop("SIGINT");
  const onHup = () => {
    // logrotate's postrotate: alerts go to a new --out file from here on.
    for (const s of sinks)
      if (s instanceof FileSink)
        void s
          .reopen()
          .then(() => diagnostics.report("info", "sink_file_reopened", `--out ${s.path}: reopened (SIGHUP)`));
    loadRules(rulesDir).then(
      (r) => {
        engine.setRules(r);
        diagnostics.report("info", "rules_reloaded", `rules reloaded from ${rulesDir} (${r.length} rules)`);
      },
      (e: Error) =>
        diagnostics.report(
          "error",
          "rules_reload_failed",
          `rules not reloaded, keeping the old ones: ${e.message}`,
        ),
    );
  };
  // Printed once everything is open, right before the handlers go in (in the same synchronous
  // run): a supervisor or test that waits for this line can signal at once.
  if (metricsAt) process.stderr.write(`scanwatch: metrics on http://${metricsAt}/metrics\n`);
  process.on("SIGTERM", onTerm);
  process.on("SIGINT", onInt);
  process.on("SIGHUP", onHup);
  const restoreStdout = onStdoutClosed(() => stop("stdout closed"));

  // How far behind each followed file we are, for the metrics: its size minus the committed offset.
  const lagTimer = setInterval(() => {
    for (const [path, pos] of Object.entries(source?.positions() ?? {})) {
      try {
        diagnostics.gauge("scanwatch_file_lag_bytes", Math.max(0, statSync(path).size - pos.offset), {
          file: path,
        });
      } catch {
        // rotated away or not there yet: the tail source reports that itself
      }
    }
  }, 5000);
  lagTimer.unref();

  let status = 0;
  const stats = new ParseStats();
  const tally = new FileTally();
  try {
    await runPipeline({
      source: liveSource(
        journal ? countLines(journal.lines, diagnostics) : source!,
        parserFor,
        stats,
        diagnostics,
        (raw, o) => {
          tally.record(raw, o);
          const w = tally.liveWarning(raw.file);
          if (w) diagnostics.report("warn", "tail_not_a_log", w);
        },
      ),
      engine,
      sinks,
      filters: eventFilters({ dedup, ruleCopies, allow }),
      onEvents: (events) => board.observe(events),
      onAlerts: (alerts) => {
        // Before the sinks write them: every alert says which agent raised it.
        for (const a of alerts) a.agent = agent;
        board.alerted(alerts);
      },
      stopping: () => stopping,
      commitOf,
    });
  } catch (e) {
    status = 1;
    process.stderr.write(`scanwatch: ${(e as Error).message}\n`);
  } finally {
    clearInterval(lagTimer);
    await source?.stop();
    journal?.stop();
    await Promise.allSettled(
      sinks.map((s) => (s instanceof WebhookSink ? s.close({ drainMs: 2000 }) : s.close())),
    );
    await store.close();
    await metrics?.close();
    process.off("SIGTERM", onTerm);
    process.off("SIGINT", onInt);
    process.off("SIGHUP", onHup);
    restoreStdout();
    for (const l of locks) l.release();
  }
  return status;
}

/**
 * Journal lines counted as they are read (file lines are counted by the tail source itself, as
 * it hands them out, so no line is in two series).
 */
function countLines(lines: AsyncIterable<RawLine[]>, diagnostics: Diagnostics): LineSource {
  return (async function* () {
    for await (const batch of lines) {
      diagnostics.count("scanwatch_lines_read_total", { source: "journal" }, batch.length);
      yield batch;
    }
  })();
}

/**
 * The agent's identity: --agent-id, else the id its state file keeps, else a new one (saved with
 * the next write of the state). The host is always this machine's name now.
 */
function identify(state: TailState, given: string | undefined): AgentIdentity {
  const id = given ?? state.agent?.id ?? randomBytes(6).toString("hex");
  state.agent = { id, host: hostname() };
  return state.agent;
}

/**
 * Takes the positions this agent committed to the shared store with its last batch, where
 * there are any and they are newer than the state file's: the store counted exactly the lines
 * before them. The state file's positions are saved after the batch's alerts went out, so they
 * may trail those by a batch or two, and resuming from them would count those lines twice. A
 * path the store has no position for keeps the state file's.
 */
async function resumeFromStore(
  state: TailState,
  store: WindowStore,
  key: string,
  self: AgentIdentity,
  diagnostics: Diagnostics,
): Promise<void> {
  const text = await store.readCommit(key);
  if (text === undefined) return;
  const parsed = parsePositions(text);
  if (typeof parsed === "string") {
    diagnostics.report(
      "warn",
      "store_positions_ignored",
      `the positions this agent committed to the store are not valid (${parsed}); resuming from ${state.path}`,
    );
    return;
  }
  // A machine cloned with its state file keeps the agent id: its positions are another file's.
  if (parsed.agent && parsed.agent.host !== self.host) {
    diagnostics.report(
      "warn",
      "store_positions_other_host",
      `the store's positions for agent ${self.id} were committed on ${parsed.agent.host}, not on ${self.host}: ` +
        `not used (resuming from ${state.path}). Two agents share the id ${self.id}: give each its own --agent-id ` +
        `(or delete the "agent" entry of one state file)`,
    );
    return;
  }
  // The state file moved on since (a run on the embedded store, an outage that ended with a
  // clean stop): its positions are newer, and reading again from the store's would alert again.
  if (state.positionsAt !== undefined && (parsed.at === undefined || parsed.at <= state.positionsAt)) {
    diagnostics.report(
      "info",
      "store_positions_older",
      `the positions this agent last committed to the store are older than ${state.path}'s: resuming from ${state.path}`,
    );
    return;
  }
  let ahead = 0;
  for (const [path, entry] of parsed.files) {
    const local = state.get(path);
    if (!local || local.offset !== entry.offset || local.ino !== entry.ino) ahead++;
    state.set(path, entry, parsed.at);
  }
  diagnostics.report(
    "info",
    "store_positions_resumed",
    `resuming ${parsed.files.size} file(s) from the positions committed to the store with their counts` +
      (ahead ? ` (${ahead} ahead of ${state.path})` : ""),
  );
}

/**
 * How often the detection state is captured with the positions, at most (and on every clean
 * stop); a state that takes long to capture is captured less often (tail-state.ts).
 */
const SNAPSHOT_EVERY_MS = 1000;
/** A saved detection state older than this (wall time) is ignored: its windows have long passed. */
const SNAPSHOT_MAX_AGE_MS = 7 * 86_400_000;

function keepDetectionState(state: TailState, engine: Engine, diagnostics: Diagnostics): void {
  if (state.engine !== undefined) {
    const age = state.engineSavedAt !== undefined ? Date.now() - state.engineSavedAt : 0;
    const problem =
      age > SNAPSHOT_MAX_AGE_MS
        ? `saved ${Math.round(age / 86_400_000)} days ago`
        : engine.restore(state.engine);
    if (problem)
      diagnostics.report(
        "warn",
        "state_windows_ignored",
        `${state.path}: saved windows and incidents not used (${problem}); the saved positions still are`,
      );
    else
      diagnostics.report(
        "info",
        "state_windows_resumed",
        `${state.path}: resumed ${engine.keyCount.toLocaleString("en-US")} keys and their incidents`,
      );
  }
  state.attachSnapshot(() => engine.snapshot(), SNAPSHOT_EVERY_MS);
}
