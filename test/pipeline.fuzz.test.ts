import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Diagnostics } from "../src/diagnostics.js";
import { Engine } from "../src/detect/engine.js";
import { MemoryStore } from "../src/detect/memory-store.js";
import type { Event } from "../src/events/event.js";
import { LineParser } from "../src/parsers/line-parser.js";
import { loadRules, SHIPPED_RULES_DIR } from "../src/rules/load-rules.js";
import { schemaErrors, validateAlert } from "./support/schemas.js";

/**
 * Fuzz over the whole pipeline (parse → detect → alert) for a fixed number of cases, in CI.
 * Inputs are real fixture lines, mutated, mixed with random strings. Properties: nothing throws,
 * every alert is schema-valid, and every alert's src is an address that actually sent an event
 * in the input (no one framed). A longer run: SCANWATCH_FUZZ_RUNS=100000 npx vitest run test/pipeline.fuzz.test.ts
 */
const RUNS = Number(process.env.SCANWATCH_FUZZ_RUNS ?? 500);
const seeds = [
  "syn-scan/kern.log",
  "ssh-bruteforce/auth.log",
  "mixed/auth.log",
  "xmas-scan/kern.log",
  "ssh-crafted-user/auth.log",
].flatMap((f) =>
  readFileSync(new URL(`../fixtures/scenarios/${f}`, import.meta.url), "utf8")
    .split("\n")
    .filter(Boolean)
    .slice(0, 120),
);
const rules = await loadRules(SHIPPED_RULES_DIR);

const mutated = fc
  .tuple(
    fc.constantFrom(...seeds),
    fc.nat(),
    fc.nat(),
    fc.string({ maxLength: 40, unit: "binary" }),
    fc.constantFrom("cut", "insert", "replace", "dup", "none"),
  )
  .map(([line, a, b, s, op]) => {
    const i = a % (line.length + 1);
    const j = Math.min(line.length, i + (b % 30));
    if (op === "cut") return line.slice(0, i) + line.slice(j);
    if (op === "insert") return line.slice(0, i) + s + line.slice(i);
    if (op === "replace") return line.slice(0, i) + s + line.slice(j);
    if (op === "dup") return line + line.slice(i);
    return line;
  });
const anyLine = fc.oneof(
  { weight: 6, arbitrary: mutated },
  { weight: 1, arbitrary: fc.string({ maxLength: 300, unit: "binary" }) },
);

describe("pipeline fuzz", () => {
  it("fuzz/parse → detect → alert never throws, alerts are valid and name only real senders", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(anyLine, { minLength: 1, maxLength: 400 }), async (lines) => {
        const parser = new LineParser({
          time: { zone: "UTC", year: 2026, referenceMs: Date.UTC(2026, 11, 31) },
        });
        const engine = new Engine(rules, new MemoryStore(), { diagnostics: new Diagnostics() });
        const events: Event[] = [];
        lines.forEach((l, i) => {
          const o = parser.parse(l, "fuzz.log", i + 1);
          if (o.ok) events.push(o.event);
        });
        const senders = new Set(
          events.filter((e) => e.type !== "suppressed").map((e) => (e as { src: string }).src),
        );
        const alerts = await engine.process(events);
        for (const a of alerts) {
          expect(validateAlert(a), schemaErrors(validateAlert)).toBe(true);
          if (a.src !== null) expect(senders.has(a.src)).toBe(true);
          for (const s of a.sources ?? []) expect(senders.has(s)).toBe(true);
        }
      }),
      { numRuns: RUNS, seed: 20261128 },
    );
  });
});
