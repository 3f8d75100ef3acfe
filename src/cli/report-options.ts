import { UsageError } from "./usage-error.js";

export const REPORT_OPTIONS = {
  summary: { type: "string" },
} as const;

export const REPORT_HELP = `  --summary text|json     end-of-run summary: per-attacker text on stderr (default), or one JSON
                          object on stdout instead of the alerts (schema: summary.schema.json)
`;

export function summaryOption(value: string | undefined): "text" | "json" {
  if (value === undefined || value === "text") return "text";
  if (value === "json") return "json";
  throw new UsageError(`--summary: expected text or json, got "${value}"`);
}
