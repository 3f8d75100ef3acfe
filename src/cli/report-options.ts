import { checkOutputPath } from "./output-path.js";
import { UsageError } from "./usage-error.js";

export const REPORT_OPTIONS = {
  report: { type: "string" },
  summary: { type: "string" },
} as const;

export const REPORT_HELP = `  --summary text|json     end-of-run summary: per-attacker text on stderr (default), or one JSON
                          object on stdout instead of the alerts (schema: summary.schema.json)
  --report FILE.html      also write a self-contained HTML report (timeline, incidents, evidence)
`;

export function summaryOption(value: string | undefined): "text" | "json" {
  if (value === undefined || value === "text") return "text";
  if (value === "json") return "json";
  throw new UsageError(`--summary: expected text or json, got "${value}"`);
}

/**
 * Checks where `--report` will write before any work is done (see checkOutputPath). Returns the
 * path as given.
 */
export function checkReportPath(path: string): Promise<string> {
  return checkOutputPath("--report", path, "report.html");
}
