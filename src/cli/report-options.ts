import { stat } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
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
 * Checks where `--report` will write before any work is done, so an hour-long analysis does not
 * end in "no such folder". Returns the path as given.
 */
export async function checkReportPath(path: string): Promise<string> {
  if (path === "") throw new UsageError("--report: give a file name, e.g. --report report.html");
  const target = await stat(path).catch(() => undefined);
  if (target?.isDirectory())
    throw new UsageError(
      `--report: ${path} is a folder; give a file name, e.g. --report ${join(path, "report.html")}`,
    );
  if (target && !target.isFile()) throw new UsageError(`--report: ${path} exists and is not a regular file`);
  const dir = dirname(resolve(path));
  const parent = await stat(dir).catch(() => undefined);
  if (!parent)
    throw new UsageError(
      `--report: the folder ${dir} does not exist; create it first or choose another path`,
    );
  if (!parent.isDirectory()) throw new UsageError(`--report: ${dir} is not a folder`);
  return path;
}
