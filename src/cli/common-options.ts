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
