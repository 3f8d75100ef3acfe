import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadRules, RuleError, SHIPPED_RULES_DIR } from "../../src/rules/load-rules.js";
import { compileAddressSet } from "../../src/rules/cidr.js";
import { ruleSchema } from "../../src/rules/rule-schema.js";
import { alertTypes } from "../../src/detect/registry.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "scanwatch-rules-"));
  await cp(SHIPPED_RULES_DIR, dir, { recursive: true });
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function edit(file: string, change: (rule: Record<string, unknown>) => void): Promise<void> {
  const p = join(dir, file);
  const rule = JSON.parse(await readFile(p, "utf8")) as Record<string, unknown>;
  change(rule);
  await writeFile(p, JSON.stringify(rule));
}

async function problems(): Promise<string[]> {
  try {
    await loadRules(dir);
  } catch (e) {
    if (e instanceof RuleError) return e.problems;
    throw e;
  }
  return [];
}

describe("rules", () => {
  it("rules/rule.schema.json is the schema assembled from the detector modules (npm run schemas)", async () => {
    const shipped = JSON.parse(
      await readFile(join(SHIPPED_RULES_DIR, "rule.schema.json"), "utf8"),
    ) as unknown;
    expect(shipped).toEqual(ruleSchema());
  });

  it("rules/the alert schema names every alert type a detector can raise, and no other", async () => {
    const url = new URL("../../src/events/alert.schema.json", import.meta.url);
    const schema = JSON.parse(await readFile(url, "utf8")) as { properties: { type: { enum: string[] } } };
    expect([...schema.properties.type.enum].sort()).toEqual(alertTypes());
  });

  it("rules/the shipped rules load and compile durations to ms", async () => {
    const rules = await loadRules(SHIPPED_RULES_DIR);
    const tcp = rules.find((r) => r.id === "tcp-scan")!;
    expect(tcp.windowMs).toBe(60_000);
    expect(tcp.cooldownMs).toBe(600_000);
    expect(tcp.ladder.map((s) => s.severity)).toEqual(["low", "medium", "high", "critical"]);
    expect(rules.length).toBeGreaterThanOrEqual(15);
  });

  it.each([
    [
      "unknown field",
      (r: Record<string, unknown>) => (r.windw = "60s"),
      /tcp-scan\.json: \/: unknown field "windw"/,
    ],
    [
      "unknown nested field",
      (r: Record<string, unknown>) => (r.match = { protos: ["tcp"] }),
      /tcp-scan\.json: \/match: unknown field "protos"/,
    ],
    [
      "wrong type",
      (r: Record<string, unknown>) => (r.threshold = "15"),
      /tcp-scan\.json: \/threshold: must be integer/,
    ],
    [
      "negative window",
      (r: Record<string, unknown>) => (r.window = "-5s"),
      /tcp-scan\.json: \/window: must be a duration like "60s"/,
    ],
    [
      "zero window",
      (r: Record<string, unknown>) => (r.window = "0s"),
      /tcp-scan\.json: \/window: must be longer than 0/,
    ],
    [
      "huge number",
      (r: Record<string, unknown>) => (r.threshold = 1e12),
      /tcp-scan\.json: \/threshold: must be <= 100000000/,
    ],
    [
      "huge window",
      (r: Record<string, unknown>) => (r.window = "9999999h"),
      /tcp-scan\.json: \/window: at most 7 days/,
    ],
    [
      "invalid CIDR",
      (r: Record<string, unknown>) => (r.allow = { src: ["10.0.0.0/33"] }),
      /tcp-scan\.json: \/allow\/src: "10\.0\.0\.0\/33": prefix length must be 0-32/,
    ],
    [
      "not an address",
      (r: Record<string, unknown>) => (r.allow = { src: ["example.com"] }),
      /\/allow\/src: "example\.com" is not an IPv4 or IPv6/,
    ],
    [
      "descending severity",
      (r: Record<string, unknown>) => (r.severity = { low: 15, medium: 10 }),
      /\/severity\/medium: must be greater than low/,
    ],
    [
      "unknown detector",
      (r: Record<string, unknown>) => (r.detector = "psychic"),
      /\/detector: must be one of/,
    ],
    ["missing field", (r: Record<string, unknown>) => delete r.window, /missing required field "window"/],
    [
      "field of another detector",
      (r: Record<string, unknown>) => (r.maxPorts = 5),
      /\/maxPorts: not used by detector tcp-scan/,
    ],
    [
      "window shorter than one bucket",
      (r: Record<string, unknown>) => (r.window = "50ms"),
      /tcp-scan\.json: \/window: 50ms is shorter than one bucket \(100ms\)/,
    ],
    [
      "severity step the window can never reach",
      (r: Record<string, unknown>) => (r.severity = { low: 15, medium: 100, high: 1000, critical: 70000 }),
      /tcp-scan\.json: \/severity\/critical: 70000 can never be reached: tcp-scan measures distinct destination ports, at most 65536/,
    ],
    [
      "bad port range",
      (r: Record<string, unknown>) => (r.match = { ports: ["90-80"] }),
      /\/match\/ports: "90-80" must be a range/,
    ],
  ])("rules/%s is an error naming file and pointer", async (_name, change, message) => {
    await edit("tcp-scan.json", change);
    const p = await problems();
    expect(p.join("\n")).toMatch(message);
  });

  it("rules/every problem in every file is reported, and nothing is half-loaded", async () => {
    await edit("tcp-scan.json", (r) => (r.window = "soon"));
    await edit("udp-scan.json", (r) => (r.threshold = -1));
    await writeFile(join(dir, "broken.json"), "{ not json");
    const p = await problems();
    expect(p.some((x) => x.includes("tcp-scan.json"))).toBe(true);
    expect(p.some((x) => x.includes("udp-scan.json") && x.includes("/threshold"))).toBe(true);
    expect(p.some((x) => x.includes("broken.json") && x.includes("not valid JSON"))).toBe(true);
  });

  it("rules/a duplicate id and an id that is not the file name are errors", async () => {
    await writeFile(join(dir, "copy.json"), await readFile(join(dir, "udp-scan.json"), "utf8"));
    const p = await problems();
    expect(p.join("\n")).toMatch(/\/id: "udp-scan" is already used by .*(copy|udp-scan)\.json/);
    expect(p.join("\n")).toMatch(/copy\.json: \/id: "udp-scan" must match the file name/);
  });

  it("rules/a missing folder is a clear error", async () => {
    await expect(loadRules(join(dir, "nope"))).rejects.toThrow(/cannot read rules folder/);
  });

  it("rules/a disabled rule is validated but not run", async () => {
    await edit("udp-scan.json", (r) => (r.enabled = false));
    const rules = await loadRules(dir);
    expect(rules.find((r) => r.id === "udp-scan")).toBeUndefined();
    expect(rules.find((r) => r.id === "tcp-scan")).toBeDefined();
  });
});

describe("cidr", () => {
  it.each([
    ["10.0.0.0/8", "10.200.3.4", true],
    ["10.0.0.0/8", "11.0.0.1", false],
    ["192.0.2.7", "192.0.2.7", true],
    ["192.0.2.7", "192.0.2.8", false],
    ["0.0.0.0/0", "203.0.113.9", true],
    ["2001:db8::/32", "2001:db8:ffff::1", true],
    ["2001:db8::/32", "2001:db9::1", false],
    ["2001:DB8::1", "2001:db8::1", true],
    ["::ffff:10.1.2.3", "10.1.2.3", true],
  ])("cidr/%s contains %s: %s", (cidr, addr, want) => {
    const set = compileAddressSet([cidr]);
    if (typeof set === "string") throw new Error(set);
    expect(set.has(addr)).toBe(want);
  });
});
