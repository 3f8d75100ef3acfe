import { Diagnostics } from "../src/diagnostics.js";
import { Engine } from "../src/detect/engine.js";
import { MemoryStore } from "../src/detect/memory-store.js";
import type { WindowStore } from "../src/detect/window-store.js";
import { ParseStats } from "../src/parsers/parse-stats.js";
import { parseFile, parseFiles } from "../src/pipeline.js";
import { loadRules, SHIPPED_RULES_DIR } from "../src/rules/load-rules.js";
import { openBatchFiles, readLines } from "../src/sources/file-batch.js";

export interface StageResult {
  lines: number;
  events: number;
  seconds: number;
  alerts?: number;
  roundTrips?: number;
}

/** The floor: the same file read and split into lines, nothing parsed. */
export async function floor(path: string): Promise<StageResult> {
  const [file] = await openBatchFiles([path]);
  const t0 = performance.now();
  let lines = 0;
  for await (const batch of readLines(file!, new Diagnostics())) lines += batch.length;
  return { lines, events: 0, seconds: (performance.now() - t0) / 1000 };
}

/** `scanwatch parse` without printing: events counted. */
export async function parse(path: string): Promise<StageResult> {
  const [file] = await openBatchFiles([path]);
  const stats = new ParseStats();
  const t0 = performance.now();
  let events = 0;
  for await (const batch of parseFile(file!, { zone: "UTC", year: 2026 }, stats, new Diagnostics()))
    events += batch.length;
  return { lines: stats.lines, events, seconds: (performance.now() - t0) / 1000 };
}

/** `scanwatch analyze` without printing, on the given store. */
export async function analyze(path: string, store: WindowStore = new MemoryStore()): Promise<StageResult> {
  const [file] = await openBatchFiles([path]);
  const stats = new ParseStats();
  const diagnostics = new Diagnostics();
  const engine = new Engine(await loadRules(SHIPPED_RULES_DIR), store, { diagnostics });
  const t0 = performance.now();
  let events = 0;
  let alerts = 0;
  for await (const batch of parseFiles([file!], { zone: "UTC", year: 2026 }, stats, diagnostics)) {
    events += batch.length;
    alerts += (await engine.process(batch)).length;
  }
  const seconds = (performance.now() - t0) / 1000;
  const rt = (store as { roundTrips?: number }).roundTrips;
  await store.close();
  return { lines: stats.lines, events, seconds, alerts, ...(rt !== undefined ? { roundTrips: rt } : {}) };
}
