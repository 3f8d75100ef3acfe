import { statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import type { Diagnostics } from "../diagnostics.js";
import type { FollowedFile } from "../sources/file-tail/index.js";
import type { StatusBoard, StatusDoc } from "../status/board.js";
import { errCode } from "../util/fs-errors.js";
import { hostPortOption } from "./common-options.js";
import { loadConfig } from "./config.js";
import { resolveStateLocation } from "./state-location.js";
import { UsageError } from "./usage-error.js";

export const STATUS_HELP = `scanwatch status [options]

Shows what a running "scanwatch tail" sees: its health, the files it follows and how far behind
it is, the incidents it alerted in the last hour and the busiest sources of the last hour. Asks
the agent's --metrics endpoint; when no agent answers there, shows the positions saved in its
state file instead (and exits 1).

  --metrics HOST:PORT     the agent's --metrics address (default: the config's, else 127.0.0.1:9464)
  --config FILE           the agent's config file (for its metrics address and state)
  --state DIR|FILE        the agent's --state, for the fallback to the state file
  --format text|json      json: the agent's /status document as is (default text)
`;

const DEFAULT_METRICS = "127.0.0.1:9464";

/** The agent side: the document `GET /status` returns. */
export function statusDoc(
  board: StatusBoard,
  now: {
    health: StatusDoc["health"];
    store: string;
    files: FollowedFile[];
    diagnostics: Diagnostics;
    agent?: { id: string; host: string } | undefined;
  },
): StatusDoc {
  const d = now.diagnostics;
  return {
    version: 1,
    pid: process.pid,
    startedAt: new Date(Date.now() - process.uptime() * 1000).toISOString(),
    ...(now.agent ? { agent: now.agent } : {}),
    store: now.store,
    health: now.health,
    files: now.files.map((f) => ({
      path: f.path,
      waiting: f.waiting,
      offset: f.position?.offset ?? null,
      size: sizeOf(f.path),
    })),
    ...board.recent(),
    counters: {
      linesRead: sum(d, "scanwatch_lines_read_total"),
      events: sum(d, "scanwatch_events_total"),
      alerts: sum(d, "scanwatch_alerts_total"),
      duplicates: sum(d, "scanwatch_duplicate_lines_total"),
      allowed: sum(d, "scanwatch_events_allowed_total"),
    },
  };
}

export async function statusCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      metrics: { type: "string" },
      config: { type: "string" },
      state: { type: "string" },
      format: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(STATUS_HELP);
    return 0;
  }
  const format = values.format ?? "text";
  if (format !== "text" && format !== "json")
    throw new UsageError(`--format: expected text or json, got "${format}"`);
  const config = values.config ? await loadConfig(values.config) : {};
  const address = values.metrics ?? (config.metrics as string | undefined) ?? DEFAULT_METRICS;
  hostPortOption(address, "--metrics");
  const url = `http://${address}/status`;
  let doc: StatusDoc | undefined;
  let why = "";
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
    if (res.ok) doc = (await res.json()) as StatusDoc;
    else
      why = `HTTP ${res.status}${res.status === 404 ? ": not a scanwatch agent, or one older than the status command" : ""}`;
  } catch (e) {
    why = errCode((e as { cause?: unknown }).cause) ?? (e as Error).name;
  }
  if (doc) {
    process.stdout.write(
      format === "json" ? JSON.stringify(doc, null, 2) + "\n" : renderStatus(doc, address),
    );
    return 0;
  }
  const location = resolveStateLocation({ state: values.state ?? (config.state as string | undefined) });
  process.stdout.write(`no scanwatch agent answers at ${url} (${why}).\n`);
  process.stdout.write(await renderSavedState(location.statePath));
  return 1;
}

const fmt = (n: number) => n.toLocaleString("en-US");

/** The text form of an agent's /status document. Pure. */
export function renderStatus(doc: StatusDoc, address: string): string {
  const out: string[] = [];
  const up = Math.max(0, Date.now() - Date.parse(doc.startedAt));
  const who = doc.agent ? `${doc.agent.id} on ${doc.agent.host}, ` : "";
  out.push(
    `scanwatch agent: ${who}pid ${doc.pid}, up ${duration(up)}, store ${doc.store}, at http://${address}`,
  );
  const bad = Object.entries(doc.health.checks).filter(([, v]) => v !== "ok");
  out.push(`health: ${doc.health.status}${bad.map(([k, v]) => `; ${k}: ${v}`).join("")}`);
  out.push("");
  if (doc.files.length) {
    const w = Math.max(4, ...doc.files.map((f) => f.path.length));
    out.push(`${"file".padEnd(w)}  ${"read".padStart(14)}  ${"size".padStart(14)}  behind`);
    for (const f of doc.files) {
      if (f.waiting) out.push(`${f.path.padEnd(w)}  missing: waiting for it to appear`);
      else {
        const behind = f.offset !== null && f.size !== null ? bytes(Math.max(0, f.size - f.offset)) : "?";
        out.push(
          `${f.path.padEnd(w)}  ${(f.offset === null ? "-" : fmt(f.offset)).padStart(14)}  ${(f.size === null ? "?" : fmt(f.size)).padStart(14)}  ${behind}`,
        );
      }
    }
    out.push("");
  }
  out.push(`incidents alerted in the last hour: ${doc.incidents.length}`);
  for (const i of doc.incidents.slice(0, 20)) {
    const who = i.src ?? `${fmt(i.distinctSources)} sources`;
    const ports = i.distinctPorts ? `, ${fmt(i.distinctPorts)} port${i.distinctPorts === 1 ? "" : "s"}` : "";
    out.push(
      `  ${i.lastSeen.slice(11, 19)} ${i.severity.toUpperCase().padEnd(8)} ${i.type.padEnd(18)} ${who} → ${i.dst ?? "many hosts"}${ports}, ${fmt(i.events)} events  [${i.status} ${i.id.slice(0, 8)}]`,
    );
  }
  if (doc.incidents.length > 20)
    out.push(`  … and ${doc.incidents.length - 20} more (--format json lists all)`);
  out.push("");
  out.push("busiest sources in the last hour (events, at least):");
  if (doc.topSources.length === 0) out.push("  none");
  for (const s of doc.topSources) out.push(`  ${s.src.padEnd(40)} ${fmt(s.events).padStart(12)}`);
  out.push("");
  const c = doc.counters;
  out.push(
    `since start: lines read ${fmt(c.linesRead ?? 0)}, events ${fmt(c.events ?? 0)}, alerts ${fmt(c.alerts ?? 0)}, ` +
      `copies from another file dropped ${fmt(c.duplicates ?? 0)}, allowed ${fmt(c.allowed ?? 0)}`,
  );
  return out.join("\n") + "\n";
}

/** Without an agent: the positions of its state file, and how far each file has grown since. */
async function renderSavedState(statePath: string): Promise<string> {
  let doc: { files?: Record<string, { offset: number; line: number }>; agent?: { id: string; host: string } };
  try {
    doc = JSON.parse(await readFile(statePath, "utf8")) as typeof doc;
  } catch (e) {
    return `no state file at ${statePath} (${errCode(e) ?? "unreadable"}): the agent never saved positions there.\n`;
  }
  const saved = statSync(statePath).mtime.toISOString();
  const who = doc.agent ? ` by agent ${doc.agent.id} on ${doc.agent.host}` : "";
  const out = [`positions saved in ${statePath}${who} at ${saved}:`];
  for (const [path, e] of Object.entries(doc.files ?? {})) {
    const size = sizeOf(path);
    const behind = size === null ? "file not there" : `${bytes(Math.max(0, size - e.offset))} written since`;
    out.push(`  ${path}: read to byte ${fmt(e.offset)} (line ${fmt(e.line)}); ${behind}`);
  }
  return out.join("\n") + "\n";
}

function sizeOf(path: string): number | null {
  try {
    return statSync(path).size;
  } catch {
    return null;
  }
}

function sum(d: Diagnostics, name: string): number {
  return d.series(name).reduce((n, [, v]) => n + v, 0);
}

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1 << 20) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1048576).toFixed(1)} MiB`;
}

function duration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  const h = Math.floor(m / 60);
  return h < 48 ? `${h}h ${m % 60}m` : `${Math.floor(h / 24)}d ${h % 24}h`;
}
