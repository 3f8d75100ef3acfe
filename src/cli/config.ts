import { readFile } from "node:fs/promises";
import { Ajv } from "ajv";
import { UsageError } from "./usage-error.js";
import { jsonErrorText } from "../util/json-error.js";

/**
 * `--config FILE`: a JSON object holding any of the long flags of `tail` and `analyze`, by their
 * flag names; one file serves both (analyze ignores the keys only tail has). Flags on the
 * command line override it. Validated strictly: an unknown key or a wrong type is an error
 * naming the key.
 */
export const CONFIG_SCHEMA = {
  type: "object",
  additionalProperties: false,
  properties: {
    $schema: { type: "string" },
    files: { type: "array", items: { type: "string", minLength: 1 }, description: "Log files to follow." },
    journal: { type: "boolean", description: "Read the systemd journal instead of files." },
    state: { type: "string", minLength: 1, description: "Position state file." },
    "from-start": { type: "boolean" },
    store: {
      type: "string",
      pattern: "^(memory|rediss?://.+)$",
      description: "memory or a redis:// URL.",
    },
    "key-prefix": { type: "string", minLength: 1, maxLength: 200 },
    "require-store": { type: "boolean", description: "Exit when Redis cannot be reached at start." },
    rules: { type: "string", minLength: 1, description: "Rules folder." },
    allow: {
      type: "array",
      items: { type: "string", minLength: 1 },
      description: "Sources never examined, by any rule: addresses or CIDRs, IPv4 or IPv6.",
    },
    year: { type: "integer", minimum: 1970, maximum: 9999 },
    tz: { type: "string", minLength: 1 },
    disorder: { type: "number", minimum: 0, maximum: 86400, description: "Seconds." },
    format: { enum: ["ndjson", "table"] },
    out: { type: "string", minLength: 1 },
    webhook: { type: "array", items: { type: "string", pattern: "^https?://" } },
    "webhook-format": { enum: ["json", "slack"] },
    "webhook-timeout": { type: "number", exclusiveMinimum: 0, maximum: 300 },
    "webhook-secret-file": { type: "string", minLength: 1 },
    spool: { type: "string", minLength: 1 },
    "dead-letter": { type: "string", minLength: 1 },
    "no-stdout": { type: "boolean" },
    metrics: {
      type: "string",
      pattern: "^(\\[[0-9a-fA-F:]+\\]|[A-Za-z0-9.-]+):[0-9]{1,5}$",
      description: "HOST:PORT for /metrics and /healthz.",
    },
    verbose: { type: "boolean" },
  },
} as const;

export type ConfigValues = Record<string, string | boolean | string[] | undefined>;

export async function loadConfig(path: string): Promise<ConfigValues> {
  let data: unknown;
  let text = "";
  try {
    text = await readFile(path, "utf8");
    data = JSON.parse(text);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new UsageError(
      `--config ${path}: ${err.code === "ENOENT" ? "no such file" : err.code ? `cannot read (${err.code})` : `not valid JSON (${jsonErrorText(text, err)})`}`,
    );
  }
  const validate = new Ajv({ allErrors: true, strict: true }).compile(CONFIG_SCHEMA);
  if (!validate(data)) {
    const problems = (validate.errors ?? []).map((e) =>
      e.keyword === "additionalProperties"
        ? `unknown key "${(e.params as { additionalProperty: string }).additionalProperty}"`
        : `${e.instancePath || "/"}: ${e.message}`,
    );
    throw new UsageError(`--config ${path}: ${problems.join("; ")}`);
  }
  const out: ConfigValues = {};
  for (const [k, v] of Object.entries(data as Record<string, unknown>)) {
    if (k === "$schema") continue;
    out[k] = typeof v === "number" ? String(v) : (v as string | boolean | string[]);
  }
  return out;
}

/** Keys only `tail` uses: `analyze --config` reads the same file and leaves these alone. */
export const TAIL_ONLY_KEYS = [
  "files",
  "journal",
  "state",
  "from-start",
  "metrics",
  "verbose",
  "require-store",
] as const;

/** The config without `keys`. */
export function omitKeys(config: ConfigValues, keys: readonly string[]): ConfigValues {
  return Object.fromEntries(Object.entries(config).filter(([k]) => !keys.includes(k)));
}

/** Config values under flags: a flag given on the command line wins. */
export function mergeConfig<T extends Record<string, unknown>>(flags: T, config: ConfigValues): T {
  const merged: Record<string, unknown> = { ...config };
  for (const [k, v] of Object.entries(flags)) if (v !== undefined) merged[k] = v;
  return merged as T;
}
