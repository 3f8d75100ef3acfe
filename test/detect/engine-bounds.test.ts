import { describe, expect, it } from "vitest";
import { Diagnostics } from "../../src/diagnostics.js";
import { Engine } from "../../src/detect/engine.js";
import { MemoryStore } from "../../src/detect/memory-store.js";
import type { Alert } from "../../src/events/alert.js";
import type { Event, PacketEvent } from "../../src/events/event.js";
import { loadRules, SHIPPED_RULES_DIR } from "../../src/rules/load-rules.js";
import { synEvent } from "../support/events.js";

/*
 * The engine's key bound under a stream of spoofed sources: never more keys than the cap after a
 * batch, passed windows dropped before anything is evicted, evictions counted, and the alerts of
 * a real scanner inside the flood the same as without it.
 */

const rules = await loadRules(SHIPPED_RULES_DIR);
const T0 = Date.UTC(2026, 10, 28, 12);
const TARGET = "203.0.113.10";

const syn = (src: string, dport: number, ms: number, line: number): PacketEvent =>
  synEvent(src, TARGET, dport, ms, line, { sport: 40000 + (line % 20000) });

const spoofed = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;

/** `n` spoofed SYNs to port 443, one every `gap` ms from `t0`; with `scanner`, one probe in 25. */
function flood(n: number, t0: number, gap: number, scanner = false): Event[] {
  const out: Event[] = [];
  let probe = 0;
  for (let i = 0; i < n; i++) {
    const t = t0 + i * gap;
    if (scanner && i % 25 === 0) out.push(syn("198.51.100.7", 1000 + probe++, t, out.length + 1));
    else out.push(syn(spoofed(i), 443, t, out.length + 1));
  }
  return out;
}

async function run(events: Event[], maxKeys: number, batch = 256, parkFirstEvents = true) {
  const diagnostics = new Diagnostics();
  const engine = new Engine(rules, new MemoryStore(), { diagnostics, maxKeys, parkFirstEvents });
  const alerts: Alert[] = [];
  let most = 0;
  for (let i = 0; i < events.length; i += batch) {
    alerts.push(...(await engine.process(events.slice(i, i + batch))));
    most = Math.max(most, engine.keyCount);
  }
  return { engine, diagnostics, alerts, most };
}

describe("engine-bounds/key cap", () => {
  it("engine-bounds/a stream of unique sources never leaves more keys than the cap after a batch", async () => {
    const { engine, diagnostics, most } = await run(flood(6000, T0, 2), 1000);
    expect(most).toBeLessThanOrEqual(1000);
    expect(engine.evictions).toBeGreaterThan(0);
    expect(diagnostics.get("scanwatch_store_evictions_total")).toBe(engine.evictions);
  });

  it("engine-bounds/keys whose windows have all passed go first, not counted as evictions", async () => {
    // 200 sources, then two hours later (past the longest window, 1 h) 200 others: three keys a
    // packet, 1,200 in all against a cap of 1,000, and the first 600 are over. The target's own
    // ddos key stays: the second flood keeps it live (distributed-scan makes none: a source
    // with one port never counts there). The same whether the keys are made at once or parked
    // on their one packet.
    const events = [...flood(200, T0, 10), ...flood(200, T0 + 7_200_000, 10).map(renumber(200))];
    for (const park of [false, true]) {
      const { engine } = await run(events, 1000, 200, park);
      expect(engine.evictions).toBe(0);
      expect(engine.keyCount).toBe(601);
    }
  });

  it("engine-bounds/a target's one key (ddos) stays while its flood fills the per-source states", async () => {
    const events = flood(30_000, T0, 1);
    const capped = await run(events, 3000);
    const free = await run(events, 1_000_000);
    expect(capped.engine.evictions).toBeGreaterThan(0);
    const ddos = (a: Alert[]) =>
      a.filter((x) => x.type === "ddos").map((x) => [x.status, x.severity, x.events]);
    expect(ddos(free.alerts).length).toBeGreaterThan(0);
    expect(ddos(capped.alerts)).toEqual(ddos(free.alerts));
  });

  it("engine-bounds/a scanner inside a spoofed flood alerts as it does alone, keys recycled or not", async () => {
    const events = flood(20_000, T0, 3, true);
    const scanner = (a: Alert[]) =>
      a
        .filter((x) => x.src === "198.51.100.7")
        .map((x) => [x.rule, x.status, x.severity, x.events, x.distinctPorts, x.firstSeen, x.samples]);
    const capped = await run(events, 2000);
    const free = await run(events, 1_000_000);
    expect(capped.engine.evictions).toBeGreaterThan(0);
    expect(scanner(free.alerts).length).toBeGreaterThan(0);
    expect(scanner(capped.alerts)).toEqual(scanner(free.alerts));
  });
});

function renumber(from: number) {
  return (e: Event, i: number): Event => ({ ...(e as PacketEvent), src: spoofed(from + i) });
}
