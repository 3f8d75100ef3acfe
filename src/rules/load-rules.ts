import { readdir, readFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import type { PacketEvent } from "../events/event.js";
import type { Severity } from "../events/alert.js";
import { compileAddressSet, type AddressSet } from "./cidr.js";
import { detectorNamed } from "../detect/registry.js";
import { windowSpec, MIN_BUCKET_MS } from "../detect/window/window-spec.js";
import type { CompiledRule } from "./compiled-rule.js";
import { parseDuration } from "./duration.js";
import { ruleSchema } from "./rule-schema.js";
import { jsonErrorText } from "../util/json-error.js";

/** The rules/ folder shipped with scanwatch (two levels up from src/rules or dist/rules). */
export const SHIPPED_RULES_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "rules");

export class RuleError extends Error {
  readonly code = "RULES_INVALID";
  constructor(readonly problems: string[]) {
    super(`invalid rules:\n  ${problems.join("\n  ")}`);
  }
}

let validator: ValidateFunction | undefined;
function validate(): ValidateFunction {
  if (!validator) {
    validator = new Ajv({ allErrors: true, strict: true, useDefaults: false }).compile(ruleSchema());
  }
  return validator;
}

/**
 * Loads every *.json rule in `dir` (except the schema), validates each against the schema and
 * the cross-field checks, and compiles them. All-or-nothing: any problem in any file throws a
 * RuleError listing every problem as `file: /json/pointer: message`, and nothing is returned.
 */
export async function loadRules(dir: string): Promise<CompiledRule[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith(".json") && !n.endsWith(".schema.json")).sort();
  } catch (e) {
    throw new RuleError([
      `${dir}: cannot read rules folder (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    ]);
  }
  if (names.length === 0) throw new RuleError([`${dir}: no rule files (*.json)`]);
  const problems: string[] = [];
  const rules: CompiledRule[] = [];
  const seen = new Map<string, string>();
  for (const name of names) {
    const file = join(dir, name);
    const r = await readRule(file, problems);
    if (!r) continue;
    const prev = seen.get(r.id);
    if (prev) problems.push(`${file}: /id: "${r.id}" is already used by ${prev}`);
    seen.set(r.id, file);
    rules.push(r);
  }
  if (problems.length) throw new RuleError(problems);
  return rules.filter((r) => r.enabled);
}

/** The fields every rule has; a detector's own fields are read by its module. */
const COMMON = new Set([
  "$schema",
  "id",
  "description",
  "enabled",
  "detector",
  "window",
  "threshold",
  "slow",
  "incidentGroup",
  "match",
  "allow",
  "severity",
  "cooldown",
]);

/**
 * Loads and checks one rule file, as `loadRules` checks each file of a folder (schema, cross-field
 * checks, id matching the file name). Throws a RuleError listing its problems. The rule is
 * returned even when `enabled: false`, since checking it is the point.
 */
export async function loadRuleFile(file: string): Promise<CompiledRule> {
  const problems: string[] = [];
  const r = await readRule(file, problems);
  if (!r || problems.length) throw new RuleError(problems);
  return r;
}

/** Reads, validates and compiles `file`, appending what is wrong to `problems`. */
async function readRule(
  file: string,
  problems: string[],
): Promise<(CompiledRule & { enabled: boolean }) | undefined> {
  let data: unknown;
  let text = "";
  try {
    text = await readFile(file, "utf8");
    data = JSON.parse(text);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    problems.push(
      code
        ? `${file}: cannot read (${code})`
        : `${file}: not valid JSON (${jsonErrorText(text, e as Error)})`,
    );
    return undefined;
  }
  const r = compileRule(data, file);
  if (typeof r === "string" || Array.isArray(r)) {
    problems.push(...(Array.isArray(r) ? r : [r]));
    return undefined;
  }
  if (basename(file, ".json") !== r.id)
    problems.push(`${file}: /id: "${r.id}" must match the file name (${basename(file, ".json")})`);
  return r;
}

interface RuleSpec {
  id: string;
  enabled?: boolean;
  detector: string;
  window: string;
  threshold: number;
  slow?: boolean;
  incidentGroup?: string;
  match?: {
    proto?: string[];
    action?: string[];
    direction?: string[];
    interface?: string[];
    ports?: (number | string)[];
    excludePorts?: (number | string)[];
  };
  allow?: { src?: string[]; dst?: string[] };
  severity: Partial<Record<Severity, number>> & { low: number };
  cooldown: string;
}

/** Validates and compiles one rule; returns the problems (each naming file and pointer) on failure. */
export function compileRule(data: unknown, file: string): CompiledRule | string[] {
  const v = validate();
  if (!v(data)) return (v.errors ?? []).map((e) => `${file}: ${describe(e)}`);
  const spec = data as RuleSpec;
  const problems: string[] = [];
  const windowMs = parseDuration(spec.window)!;
  const cooldownMs = parseDuration(spec.cooldown)!;
  const window = windowSpec(windowMs);
  if (windowMs <= 0) problems.push(`${file}: /window: must be longer than 0`);
  else if (!window)
    problems.push(
      `${file}: /window: ${spec.window} is shorter than one bucket (${MIN_BUCKET_MS}ms), the finest time a window counts in`,
    );
  if (windowMs > 7 * 86_400_000) problems.push(`${file}: /window: at most 7 days (168h)`);
  if (cooldownMs > 7 * 86_400_000) problems.push(`${file}: /cooldown: at most 7 days (168h)`);

  const ladder: { severity: Severity; at: number }[] = [];
  for (const sev of ["low", "medium", "high", "critical"] as const) {
    const at = spec.severity[sev];
    if (at === undefined) continue;
    const prev = ladder[ladder.length - 1];
    if (prev && at <= prev.at)
      problems.push(`${file}: /severity/${sev}: must be greater than ${prev.severity} (${prev.at})`);
    ladder.push({ severity: sev, at });
  }
  if (spec.severity.low < spec.threshold)
    problems.push(`${file}: /severity/low: must be at least the threshold (${spec.threshold})`);

  // The detector module owns its fields: which it takes, which it needs, how they compile.
  const module = detectorNamed(spec.detector)!;
  const fields = data as Record<string, unknown>;
  for (const f of Object.keys(fields))
    if (!COMMON.has(f) && !(f in module.params))
      problems.push(`${file}: /${f}: not used by detector ${spec.detector}`);
  for (const f of module.requiredParams)
    if (fields[f] === undefined) problems.push(`${file}: /${f}: required by detector ${spec.detector}`);
  const own: string[] = [];
  const params: unknown = problems.length ? undefined : module.compile(fields, own);
  problems.push(...own.map((p) => `${file}: ${p}`));
  const top = ladder[ladder.length - 1];
  if (top && top.at > module.measure.max)
    problems.push(
      `${file}: /severity/${top.severity}: ${top.at} can never be reached: ${spec.detector} measures ${module.measure.what}, at most ${module.measure.max} in one window`,
    );

  const allowSrc = compileAddressSet(spec.allow?.src ?? []);
  const allowDst = compileAddressSet(spec.allow?.dst ?? []);
  if (typeof allowSrc === "string") problems.push(`${file}: /allow/src: ${allowSrc}`);
  if (typeof allowDst === "string") problems.push(`${file}: /allow/dst: ${allowDst}`);
  const ports = compilePorts(spec.match?.ports, `${file}: /match/ports`, problems);
  const excluded = compilePorts(spec.match?.excludePorts, `${file}: /match/excludePorts`, problems);
  if (problems.length) return problems;

  return {
    id: spec.id,
    file,
    enabled: spec.enabled !== false,
    detector: spec.detector,
    windowMs,
    window: window!,
    threshold: spec.threshold,
    slow: spec.slow === true,
    incidentGroup: spec.incidentGroup ?? spec.id,
    ladder,
    cooldownMs,
    matches: compileMatch(spec.match, ports, excluded),
    allowSrc: allowSrc as AddressSet,
    allowDst: allowDst as AddressSet,
    filterKey: canonical({ match: spec.match ?? {}, allow: spec.allow ?? {} }),
    params,
  };
}

type PortTest = ((p: number) => boolean) | undefined;

function compilePorts(items: (number | string)[] | undefined, where: string, problems: string[]): PortTest {
  if (!items) return undefined;
  const ranges: [number, number][] = [];
  for (const it of items) {
    if (typeof it === "number") ranges.push([it, it]);
    else {
      const [a, b] = it.split("-").map(Number) as [number, number];
      if (a > b || b > 65535) problems.push(`${where}: "${it}" must be a range low-high within 0-65535`);
      ranges.push([a, b]);
    }
  }
  return (p) => ranges.some(([a, b]) => p >= a && p <= b);
}

function compileMatch(
  m: RuleSpec["match"],
  ports: PortTest,
  excluded: PortTest,
): (e: PacketEvent) => boolean {
  const proto = m?.proto ? new Set<unknown>(m.proto) : undefined;
  const action = m?.action ? new Set<string>(m.action) : undefined;
  const direction = m?.direction ? new Set<string>(m.direction) : undefined;
  const iface = m?.interface ? new Set<string>(m.interface) : undefined;
  return (e) =>
    (!proto || proto.has(e.proto)) &&
    (!action || action.has(e.action)) &&
    (!direction || direction.has(e.direction)) &&
    (!iface || iface.has(e.in ?? "")) &&
    (!ports || (e.dport !== undefined && ports(e.dport))) &&
    (!excluded || e.dport === undefined || !excluded(e.dport));
}

/** Turns an ajv error into `/pointer: message` in the words a rule author needs. */
function describe(e: ErrorObject): string {
  const at = e.instancePath || "/";
  switch (e.keyword) {
    case "additionalProperties":
      return `${at}: unknown field "${(e.params as { additionalProperty: string }).additionalProperty}"`;
    case "pattern":
      if (String((e.params as { pattern: string }).pattern).includes("ms|s|m|h"))
        return `${at}: must be a duration like "60s", "10m" or "1h"`;
      return `${at}: ${e.message}`;
    case "enum":
      return `${at}: must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((x) => JSON.stringify(x)).join(", ")}`;
    case "required":
      return `${at}: missing required field "${(e.params as { missingProperty: string }).missingProperty}"`;
    default:
      return `${at}: ${e.message ?? e.keyword}`;
  }
}

/** JSON with object keys sorted, so equal specs give equal strings. */
function canonical(x: unknown): string {
  if (Array.isArray(x)) return `[${x.map(canonical).join(",")}]`;
  if (x && typeof x === "object")
    return `{${Object.keys(x)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((x as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  return JSON.stringify(x);
}
