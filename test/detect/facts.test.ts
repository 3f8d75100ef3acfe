import { describe, expect, it } from "vitest";
import { Diagnostics } from "../../src/diagnostics.js";
import { Engine } from "../../src/detect/engine.js";
import { MemoryStore } from "../../src/detect/memory-store.js";
import type { Alert } from "../../src/events/alert.js";
import type { PacketEvent } from "../../src/events/event.js";
import type { CompiledRule } from "../../src/rules/compiled-rule.js";
import { compileRule, loadRules, SHIPPED_RULES_DIR } from "../../src/rules/load-rules.js";
import { synEvent } from "../support/events.js";

/*
 * Facts one detector reads from another (distributed-scan asks tcp-scan whether a source is a
 * scanner on its own, and how many ports it tried) come from every state of the provider: a
 * second tcp-scan rule with its own filter is a second state, and must not hide the first.
 */

const shipped = await loadRules(SHIPPED_RULES_DIR);
const T0 = Date.UTC(2026, 10, 28, 12);

function extraTcpScan(): CompiledRule {
  const r = compileRule(
    {
      id: "tcp-scan-dmz",
      detector: "tcp-scan",
      window: "60s",
      threshold: 5,
      match: { interface: ["eth9"] },
      severity: { low: 5 },
      cooldown: "10m",
    },
    "test/tcp-scan-dmz.json",
  );
  if (Array.isArray(r)) throw new Error(r.join("; "));
  return r;
}

/** nmap -sS slices: `sources` sources, `each` ports apiece, one after another, on eth0. */
function slices(sources: number, each: number): PacketEvent[] {
  const out: PacketEvent[] = [];
  for (let s = 0; s < sources; s++)
    for (let p = 0; p < each; p++) {
      const ms = T0 + s * 2_000 + p * 10;
      out.push(
        synEvent(`198.51.100.${200 + s}`, "203.0.113.10", 1 + s * each + p, ms, out.length + 1, {
          sport: 40000 + s,
          in: "eth0",
        }),
      );
    }
  return out;
}

async function run(rules: readonly CompiledRule[], events: PacketEvent[]): Promise<Alert[]> {
  const engine = new Engine(rules, new MemoryStore(), { diagnostics: new Diagnostics() });
  return engine.process(events);
}

const types = (alerts: Alert[]) => alerts.filter((a) => a.status === "new").map((a) => `${a.type} ${a.src}`);

describe("facts", () => {
  it.each([
    ["4 sources x 50 ports: each a scanner on its own, no distributed scan", 4, 50],
    ["10 sources x 10 ports: below tcp-scan each, one distributed scan", 10, 10],
  ])("facts/%s, the same with a second tcp-scan rule on another interface", async (_name, sources, each) => {
    const events = slices(sources, each);
    const alone = await run(shipped, events);
    const withExtra = await run([...shipped, extraTcpScan()], events);
    expect(types(withExtra)).toEqual(types(alone));
    const distributed = types(alone).filter((t) => t.startsWith("distributed-scan"));
    expect(distributed).toHaveLength(each >= 15 ? 0 : 1);
  });
});
