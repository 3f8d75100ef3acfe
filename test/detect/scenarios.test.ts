import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { Diagnostics } from "../../src/diagnostics.js";
import { Engine } from "../../src/detect/engine.js";
import { MemoryStore } from "../../src/detect/memory-store.js";
import type { Alert } from "../../src/events/alert.js";
import { ParseStats } from "../../src/parsers/parse-stats.js";
import { duplicateFilter, ruleCopiesFilter } from "../../src/cli/duplicates.js";
import { batchSource, eventFilters, runPipeline } from "../../src/pipeline.js";
import { DETECTORS } from "../../src/detect/registry.js";
import type { CompiledRule } from "../../src/rules/compiled-rule.js";
import { loadRules, SHIPPED_RULES_DIR } from "../../src/rules/load-rules.js";
import { openBatchFiles } from "../../src/sources/file-batch.js";
import { schemaErrors, validateAlert } from "../support/schemas.js";

/*
 * Runs every folder of fixtures/scenarios/ through the real pipeline (parseFiles → Engine with the
 * shipped rules → MemoryStore) and checks the alerts against the folder's expect.json:
 *
 *   alerts     alert subsets that must each match a distinct produced alert; `status` defaults to
 *              "new". A number field may be a number, {"min","max"} or {"approx","tolerance"}.
 *   exact      true: the produced "new" alerts are exactly the expected "new" ones, no more.
 *   forbid     subsets no produced alert (new or update) may match.
 *   knownGaps  {reason, alert}: behaviour the scenario should show but the engine does not yet.
 *              Run as expected failures: when one starts to pass, move it into `alerts`.
 *
 * Real captures come from the corpus (copied, sampled where noted in each description);
 * handwritten ones are written by fixtures/scenarios/generate.mjs. Every line of every fixture
 * must parse (sshd lines the parser ignores on purpose excepted), so a fixture that silently
 * stopped parsing cannot pass as "no alerts".
 */

const DIR = fileURLToPath(new URL("../../fixtures/scenarios/", import.meta.url));
const LOGS = ["kern.log", "kern.log.gz", "auth.log", "auth.log.gz"];
/** Rejections a fixture may contain: sshd messages that carry no detection value by design. */
const ALLOWED_REJECTIONS = new Set(["sshd-ignored"]);

type NumberMatch = number | { min?: number; max?: number } | { approx: number; tolerance: number };

interface AlertPattern {
  status?: "new" | "update";
  type?: string;
  technique?: string;
  slow?: boolean;
  rule?: string;
  severity?: string;
  src?: string | null;
  dst?: string | null;
  proto?: string;
  host?: string;
  ports?: number[];
  estimate?: boolean;
  lowerBound?: boolean;
  window?: number;
  distinctSources?: NumberMatch;
  distinctHosts?: NumberMatch;
  distinctPorts?: NumberMatch;
  events?: NumberMatch;
  confidence?: NumberMatch;
}

interface Expectation {
  description: string;
  tz: string;
  year: number;
  alerts: AlertPattern[];
  exact: boolean;
  forbid: AlertPattern[];
  knownGaps?: { reason: string; alert: AlertPattern }[];
}

const numberMatch = {
  oneOf: [
    { type: "number" },
    {
      type: "object",
      additionalProperties: false,
      minProperties: 1,
      properties: { min: { type: "number" }, max: { type: "number" } },
    },
    {
      type: "object",
      additionalProperties: false,
      required: ["approx", "tolerance"],
      properties: { approx: { type: "number" }, tolerance: { type: "number", minimum: 0, maximum: 1 } },
    },
  ],
};

const alertPattern = {
  type: "object",
  additionalProperties: false,
  properties: {
    status: { enum: ["new", "update"] },
    type: { type: "string" },
    technique: { type: "string" },
    slow: { type: "boolean" },
    rule: { type: "string" },
    severity: { enum: ["low", "medium", "high", "critical"] },
    src: { type: ["string", "null"] },
    dst: { type: ["string", "null"] },
    proto: { type: "string" },
    host: { type: "string" },
    ports: { type: "array", items: { type: "integer" } },
    estimate: { type: "boolean" },
    lowerBound: { type: "boolean" },
    window: { type: "number" },
    distinctSources: numberMatch,
    distinctHosts: numberMatch,
    distinctPorts: numberMatch,
    events: numberMatch,
    confidence: numberMatch,
  },
};

const validateExpectation = new Ajv({
  allErrors: true,
  strict: true,
  allowUnionTypes: true,
}).compile<Expectation>({
  type: "object",
  additionalProperties: false,
  required: ["description", "tz", "year", "alerts", "exact", "forbid"],
  properties: {
    description: { type: "string", minLength: 1 },
    tz: { type: "string" },
    year: { type: "integer" },
    alerts: { type: "array", items: alertPattern },
    exact: { type: "boolean" },
    forbid: { type: "array", items: alertPattern },
    knownGaps: {
      type: "array",
      items: {
        type: "object",
        additionalProperties: false,
        required: ["reason", "alert"],
        properties: { reason: { type: "string", minLength: 1 }, alert: alertPattern },
      },
    },
  },
});

/** Which alert types each detector can raise, from the detector modules themselves. */
const DETECTOR_TYPES: Record<string, readonly string[]> = Object.fromEntries(
  DETECTORS.map((d) => [d.name, d.alertTypes]),
);

const NUMERIC = new Set([
  "distinctSources",
  "distinctHosts",
  "distinctPorts",
  "events",
  "confidence",
  "window",
]);
const OPTIONAL_FLAGS = new Set(["slow", "lowerBound"]);

function numberMatches(value: unknown, m: NumberMatch): boolean {
  if (typeof value !== "number") return false;
  if (typeof m === "number") return value === m;
  if ("approx" in m) return Math.abs(value - m.approx) <= m.approx * m.tolerance;
  return (m.min === undefined || value >= m.min) && (m.max === undefined || value <= m.max);
}

/** The fields of `p` that `a` does not satisfy, as `field: want X, got Y`. */
function mismatches(p: AlertPattern, a: Alert): string[] {
  const out: string[] = [];
  const got = a as unknown as Record<string, unknown>;
  for (const [k, want] of Object.entries(p)) {
    const v = OPTIONAL_FLAGS.has(k) ? (got[k] ?? false) : got[k];
    const ok = NUMERIC.has(k)
      ? numberMatches(v, want as NumberMatch)
      : JSON.stringify(v) === JSON.stringify(want);
    if (!ok) out.push(`${k}: want ${JSON.stringify(want)}, got ${JSON.stringify(v)}`);
  }
  return out;
}

const matches = (p: AlertPattern, a: Alert) => mismatches(p, a).length === 0;

function describeAlert(a: Alert): string {
  const flags = [a.slow ? "slow" : "", a.lowerBound ? "lowerBound" : "", a.estimate ? "estimate" : ""]
    .filter(Boolean)
    .join(",");
  return (
    `${a.status} ${a.type}${a.technique ? "/" + a.technique : ""} rule=${a.rule} src=${a.src} dst=${a.dst} ${a.severity} ` +
    `ports=${a.distinctPorts} sources=${a.distinctSources} hosts=${a.distinctHosts} events=${a.events}${flags ? " " + flags : ""}`
  );
}

/** Pairs expected patterns with distinct alerts (augmenting paths, so pattern order does not matter). */
function assign(patterns: AlertPattern[], alerts: Alert[]): (number | undefined)[] {
  const owner: (number | undefined)[] = alerts.map(() => undefined);
  const tryPattern = (i: number, seen: Set<number>): boolean => {
    for (let j = 0; j < alerts.length; j++) {
      if (seen.has(j) || !matches(patterns[i]!, alerts[j]!)) continue;
      seen.add(j);
      const prev = owner[j];
      if (prev === undefined || tryPattern(prev, seen)) {
        owner[j] = i;
        return true;
      }
    }
    return false;
  };
  patterns.forEach((_, i) => tryPattern(i, new Set()));
  return patterns.map((_, i) => {
    const j = owner.indexOf(i);
    return j < 0 ? undefined : j;
  });
}

interface Run {
  alerts: Alert[];
  stats: ParseStats;
}

let shippedRules: Promise<CompiledRule[]> | undefined;
const rules = () => (shippedRules ??= loadRules(SHIPPED_RULES_DIR));

const runs = new Map<string, Promise<Run>>();
/** Runs a scenario once per test file (its known-gap cases reuse the result). */
function run(name: string, exp: Expectation): Promise<Run> {
  let r = runs.get(name);
  if (!r) runs.set(name, (r = analyze(name, exp)));
  return r;
}

async function analyze(name: string, exp: Expectation): Promise<Run> {
  const paths = LOGS.map((f) => join(DIR, name, f)).filter((p) => existsSync(p));
  const diagnostics = new Diagnostics();
  const stats = new ParseStats();
  const engine = new Engine(await rules(), new MemoryStore({ diagnostics }), { diagnostics });
  const alerts: Alert[] = [];
  // The filters `analyze` applies before detection: lines read from two files, packets two LOG
  // rules logged.
  const dedup = paths.length > 1 ? duplicateFilter(5000, diagnostics) : undefined;
  await runPipeline({
    source: batchSource(await openBatchFiles(paths), { zone: exp.tz, year: exp.year }, stats, diagnostics),
    engine,
    sinks: [],
    filters: eventFilters({ dedup, ruleCopies: ruleCopiesFilter(diagnostics) }),
    onAlerts: (a) => alerts.push(...a),
  });
  return { alerts, stats };
}

/** What went wrong, one line each; empty when the scenario behaves as expected. */
function check(exp: Expectation, alerts: Alert[]): string[] {
  const problems: string[] = [];
  const statusOf = (p: AlertPattern) => p.status ?? "new";
  for (const status of ["new", "update"] as const) {
    const wanted = exp.alerts.filter((p) => statusOf(p) === status);
    const got = alerts.filter((a) => a.status === status);
    const pairs = assign(
      wanted.map((p) => ({ ...p, status })),
      got,
    );
    pairs.forEach((j, i) => {
      if (j !== undefined) return;
      const p = wanted[i]!;
      const nearest = got
        .map((a) => ({ a, miss: mismatches({ ...p, status }, a) }))
        .sort((x, y) => x.miss.length - y.miss.length)[0];
      problems.push(
        `missing ${JSON.stringify(p)}${nearest ? ` (closest: ${describeAlert(nearest.a)}: ${nearest.miss.join("; ")})` : ""}`,
      );
    });
    if (exp.exact && status === "new") {
      const used = new Set(pairs.filter((j) => j !== undefined));
      got.forEach((a, j) => {
        if (!used.has(j)) problems.push(`unexpected ${describeAlert(a)}`);
      });
    }
  }
  for (const f of exp.forbid) {
    for (const a of alerts)
      if (matches(f, a)) problems.push(`forbidden ${JSON.stringify(f)} matched ${describeAlert(a)}`);
  }
  return problems;
}

const names = readdirSync(DIR, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

/** expect.json of each folder, or why it cannot be used (reported by that folder's test). */
const expectations = new Map<string, Expectation | string>(
  names.map((name) => {
    let data: unknown;
    try {
      data = JSON.parse(readFileSync(join(DIR, name, "expect.json"), "utf8"));
    } catch (e) {
      return [name, `expect.json: ${(e as Error).message}`];
    }
    return [
      name,
      validateExpectation(data) ? data : `expect.json: ${JSON.stringify(validateExpectation.errors)}`,
    ];
  }),
);

function expectation(name: string): Expectation {
  const e = expectations.get(name);
  if (typeof e !== "object") throw new Error(`fixtures/scenarios/${name}/${e ?? "missing"}`);
  return e;
}

const valid = [...expectations.values()].filter((e): e is Expectation => typeof e === "object");
const gaps = names.flatMap((name) => {
  const e = expectations.get(name);
  return typeof e === "object" ? (e.knownGaps ?? []).map((g) => ({ name, ...g })) : [];
});

describe("scenarios", () => {
  it("scenario/fixtures found", () => {
    expect(names.length).toBeGreaterThan(0);
  });

  it.each(names)("scenario/%s", async (name) => {
    const exp = expectation(name);
    expect(
      LOGS.some((f) => existsSync(join(DIR, name, f))),
      "a kern.log or an auth.log",
    ).toBe(true);
    const { alerts, stats } = await run(name, exp);

    expect(stats.lines).toBeGreaterThan(0);
    const rejected = Object.fromEntries(
      [...stats.rejected].filter(([reason]) => !ALLOWED_REJECTIONS.has(reason)),
    );
    expect(rejected, "lines the parsers rejected").toEqual({});

    for (const a of alerts)
      expect(validateAlert(a), `${describeAlert(a)}\n${schemaErrors(validateAlert)}`).toBe(true);
    expect(
      check(exp, alerts),
      `alerts were:\n  ${alerts.map(describeAlert).join("\n  ") || "(none)"}`,
    ).toEqual([]);
  });

  if (gaps.length > 0) {
    const rows = gaps.map((g): [string, typeof g] => [`${g.name}: ${g.reason}`, g]);
    it.fails.each(rows)("known-gap/%s", async (_title, { name, alert }) => {
      const { alerts } = await run(name, expectation(name));
      expect(alerts.some((a) => matches(alert, a))).toBe(true);
    });
  }
});

describe("coverage", () => {
  it("coverage/every detector has a scenario", async () => {
    const expected = new Set(valid.flatMap((e) => e.alerts.map((p) => p.type)));
    const detectors = [...new Set((await rules()).map((r) => r.detector))];
    const missing = detectors.filter((d) => !(DETECTOR_TYPES[d] ?? []).some((t) => expected.has(t)));
    expect(missing, "detectors no scenario expects an alert from").toEqual([]);
  });

  it("coverage/every shipped rule has a scenario", async () => {
    const expected = new Set(valid.flatMap((e) => e.alerts.map((p) => p.rule)));
    const missing = (await rules()).map((r) => r.id).filter((id) => !expected.has(id));
    expect(missing, "rules no scenario expects an alert from").toEqual([]);
  });

  it("coverage/every expected alert type is one a shipped detector raises", async () => {
    const raised = new Set((await rules()).flatMap((r) => DETECTOR_TYPES[r.detector]));
    const unknown = valid
      .flatMap((e) => e.alerts.map((p) => p.type))
      .filter((t) => t !== undefined && !raised.has(t));
    expect(unknown).toEqual([]);
  });
});
