import { checkZone, machineZone } from "../parsers/time-context.js";
import { UsageError } from "./usage-error.js";

/** Options shared by parse, analyze and tail. */
export const TIME_OPTIONS = {
  year: { type: "string" },
  tz: { type: "string" },
} as const;

export interface TimeFlags {
  year?: string;
  tz?: string;
}

export function resolveTime(flags: TimeFlags): { zone: string; year?: number } {
  const zone = flags.tz ?? machineZone();
  const bad = checkZone(zone);
  if (bad) throw new UsageError(`--tz: ${bad}`);
  let year: number | undefined;
  if (flags.year !== undefined) {
    year = Number(flags.year);
    if (!Number.isInteger(year) || year < 1970 || year > 9999)
      throw new UsageError(`--year: expected a year like 2026, got "${flags.year}"`);
  }
  return { zone, year };
}

export function formatOption(value: string | undefined, isTty: boolean): "ndjson" | "table" {
  if (value === undefined) return isTty ? "table" : "ndjson";
  if (value !== "ndjson" && value !== "table" && value !== "text")
    throw new UsageError(`--format: expected ndjson or table, got "${value}"`);
  return value === "ndjson" ? "ndjson" : "table";
}

/** A number of seconds in [0, 86400] (`--disorder`), in milliseconds. */
export function secondsOption(v: string, flag: string): number {
  const n = v.trim() === "" ? NaN : Number(v);
  if (!Number.isFinite(n) || n < 0 || n > 86400)
    throw new UsageError(`${flag}: expected seconds between 0 and 86400, got "${v}"`);
  return n * 1000;
}

/** `--since`/`--until` as epoch ms; refuses an empty range. */
export function timeRange(
  since: string | undefined,
  until: string | undefined,
): { since: number | undefined; until: number | undefined } {
  const s = timeBound(since, "--since");
  const u = timeBound(until, "--until");
  if (s !== undefined && u !== undefined && s >= u)
    throw new UsageError(`--since ${since} is not before --until ${until}: no event can be in that range`);
  return { since: s, until: u };
}

function timeBound(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const ms = Date.parse(v);
  if (!Number.isFinite(ms))
    throw new UsageError(`${flag}: expected an ISO 8601 time like 2026-11-28T15:00:00Z, got "${v}"`);
  return ms;
}

/** `HOST:PORT` (`[v6]:PORT` for IPv6), as `--metrics` takes it. */
export function hostPortOption(v: string, flag: string): { host: string; port: number } {
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(v);
  const port = Number(m?.[2]);
  if (!m || port > 65535)
    throw new UsageError(`${flag}: expected HOST:PORT like 127.0.0.1:9464 (or [::1]:9464), got "${v}"`);
  return { host: m[1]!.replace(/^\[|\]$/g, ""), port };
}

/** Writes `text` to `stream`, resolving once it has drained when the write had to wait. */
export function writeOut(stream: NodeJS.WritableStream, text: string): Promise<void> | undefined {
  if (stream.write(text)) return undefined;
  return new Promise((resolve) => stream.once("drain", () => resolve()));
}
