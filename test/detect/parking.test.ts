import { describe, expect, it } from "vitest";
import { Diagnostics } from "../../src/diagnostics.js";
import { Engine } from "../../src/detect/engine.js";
import { MemoryStore } from "../../src/detect/memory-store.js";
import type { Alert } from "../../src/events/alert.js";
import type { AuthEvent, Event, PacketEvent } from "../../src/events/event.js";
import { flagMaskOf, packetClass } from "../../src/events/packet-class.js";
import type { CompiledRule } from "../../src/rules/compiled-rule.js";
import { compileRule, loadRules, SHIPPED_RULES_DIR } from "../../src/rules/load-rules.js";

/*
 * A new key's first event waits parked until a second event reaches the key. Nothing a user
 * sees may change: the same alerts as an engine that makes every key at once, for every batch
 * size, across a snapshot and restore, and at once when one event is enough to alert.
 */

const shipped = await loadRules(SHIPPED_RULES_DIR);
const T0 = Date.UTC(2026, 10, 28, 12);
const TARGET = "203.0.113.10";

function packet(src: string, dport: number, ms: number, line: number, flags: string[]): PacketEvent {
  const mask = flagMaskOf(flags);
  return {
    type: "packet",
    src,
    dst: TARGET,
    proto: "tcp",
    sport: 40000 + (line % 7 === 0 ? 1 : line % 20000),
    dport,
    flags,
    mask,
    cls: packetClass({ proto: "tcp" }, mask),
    action: "drop",
    direction: "in",
    df: line % 3 === 0,
    window: line % 2 ? 1024 : 64240,
    ts: new Date(ms).toISOString().replace("Z", "+00:00"),
    ms,
    host: "victim",
    source: { file: "kern.log", line },
  };
}

function auth(src: string, ms: number, line: number, count?: number): AuthEvent {
  return {
    type: "auth",
    service: "sshd",
    kind: "failure",
    src,
    user: "root",
    method: "password",
    ...(count ? { count } : {}),
    ts: new Date(ms).toISOString().replace("Z", "+00:00"),
    ms,
    host: "victim",
    source: { file: "auth.log", line },
  };
}

/**
 * Spoofed one-packet sources, a few sources that send a second packet much later (after their
 * window passed) or an RST first, and a scanner, a flooder and a brute forcer among them.
 */
function mixed(): Event[] {
  const out: Event[] = [];
  let t = T0;
  for (let i = 0; i < 6000; i++) {
    t += 7;
    const n = out.length + 1;
    if (i % 40 === 0) out.push(packet("198.51.100.7", 1000 + i / 40, t, n, ["SYN"]));
    else if (i % 97 === 0) out.push(packet(`10.9.0.${i % 50}`, 443, t, n, ["RST"]));
    else if (i % 13 === 0) out.push(packet("192.0.2.99", 80, t, n, ["SYN"]));
    else if (i % 301 === 0) out.push(auth("192.0.2.50", t, n));
    else if (i % 211 === 0) out.push(packet(`10.8.0.${i % 60}`, 22 + (i % 3), t, n, ["SYN"]));
    else out.push(packet(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, 443, t, n, ["SYN"]));
  }
  return out;
}

async function run(
  events: readonly Event[],
  opts: { park: boolean; batch: number; rules?: CompiledRule[]; maxKeys?: number },
) {
  const engine = new Engine(opts.rules ?? shipped, new MemoryStore(), {
    diagnostics: new Diagnostics(),
    parkFirstEvents: opts.park,
    maxKeys: opts.maxKeys,
  });
  const alerts: Alert[] = [];
  for (let i = 0; i < events.length; i += opts.batch)
    alerts.push(...(await engine.process(events.slice(i, i + opts.batch))));
  return { engine, alerts };
}

function rule(spec: Record<string, unknown>): CompiledRule {
  const r = compileRule({ match: {}, ...spec }, `test/${spec.id as string}.json`);
  if (Array.isArray(r)) throw new Error(r.join("\n"));
  return r;
}

describe("parking/a key is made on its second event", () => {
  it("parking/the same alerts as making every key at once, for every batch size", async () => {
    const events = mixed();
    const { alerts: expected, engine: eager } = await run(events, { park: false, batch: 1024 });
    expect(expected.map((a) => a.type).sort()).toEqual(
      expect.arrayContaining(["half-open-scan", "ssh-bruteforce"]),
    );
    for (const batch of [1, 7, 1024, events.length]) {
      const { alerts, engine } = await run(events, { park: true, batch });
      expect(alerts).toEqual(expected);
      // A parked key is a key held: the same count either way.
      expect(engine.keyCount).toBe(eager.keyCount);
    }
  });

  it("parking/a snapshot keeps parked keys: the second event after a restart counts the first", async () => {
    const events = mixed();
    const { alerts: expected } = await run(events, { park: false, batch: 256 });
    const cut = 2500;
    const first = await run(events.slice(0, cut), { park: true, batch: 256 });
    const snap = JSON.parse(JSON.stringify(first.engine.snapshot()));
    expect(snap.states.some((s: { parked?: unknown[] }) => (s.parked?.length ?? 0) > 0)).toBe(true);
    const resumed = new Engine(shipped, new MemoryStore(), { diagnostics: new Diagnostics() });
    expect(resumed.restore(snap)).toBeUndefined();
    expect(resumed.keyCount).toBe(first.engine.keyCount);
    const rest: Alert[] = [];
    for (let i = cut; i < events.length; i += 256)
      rest.push(...(await resumed.process(events.slice(i, i + 256))));
    expect([...first.alerts, ...rest]).toEqual(expected);
  });

  it("parking/parked events saved for a state that no longer parks are left out, not kept forever", async () => {
    // A state file from before ddos read other detectors' facts: its ddos state parked first events.
    const events = mixed().slice(0, 400);
    const first = await run(events, { park: true, batch: 100 });
    const snap = JSON.parse(JSON.stringify(first.engine.snapshot()));
    const ddos = snap.states.find((s: { sig: string }) => s.sig.startsWith("ddos|"));
    const tcp = snap.states.find((s: { sig: string }) => s.sig.startsWith("tcp-scan|"));
    ddos.parked = [["203.0.113.99", tcp.parked[0][1]]];
    const resumed = new Engine(shipped, new MemoryStore(), { diagnostics: new Diagnostics() });
    expect(resumed.restore(snap)).toBeUndefined();
    const again = JSON.parse(JSON.stringify(resumed.snapshot()));
    expect(again.states.find((s: { sig: string }) => s.sig.startsWith("ddos|")).parked ?? []).toEqual([]);
    expect(again.states.find((s: { sig: string }) => s.sig.startsWith("tcp-scan|")).parked.length).toBe(
      tcp.parked.length,
    );
  });

  it("parking/a snapshot entry that is not an event (event.schema.json) is left out, never fed", async () => {
    const events = mixed().slice(0, 400);
    const first = await run(events, { park: true, batch: 100 });
    const snap = JSON.parse(JSON.stringify(first.engine.snapshot()));
    const tcp = snap.states.find((s: { sig: string }) => s.sig.startsWith("tcp-scan|"));
    const good = tcp.parked.length;
    expect(good).toBeGreaterThan(0);
    // A corrupted or hand-edited state file: each of these would throw inside a detector.
    const syn = tcp.parked[0][1];
    tcp.parked.push(
      ["10.0.0.1", { type: "packet", ms: "soon" }],
      ["10.0.0.2"],
      "junk",
      ["10.0.0.3", { ...syn, src: "10.0.0.3", tcpOptions: {} }],
      ["10.0.0.4", { ...syn, src: "10.0.0.4", mask: "2" }],
      ["192.0.2.50", { ...auth("192.0.2.50", T0, 1), user: 12345 }],
    );
    const resumed = new Engine(shipped, new MemoryStore(), { diagnostics: new Diagnostics() });
    expect(resumed.restore(snap)).toBeUndefined();
    expect(resumed.keyCount).toBe(first.engine.keyCount);
    // Second events for those keys go through without a throw.
    const again = [
      packet("10.0.0.3", 22, T0 + 60_000, 9001, ["SYN"]),
      packet("10.0.0.4", 22, T0 + 60_001, 9002, ["SYN"]),
      auth("192.0.2.50", T0 + 60_002, 9003),
    ];
    await expect(resumed.process(again)).resolves.toBeDefined();
  });

  it("parking/a rule reload that lowers a threshold never judges a parked event again", async () => {
    const before = rule({
      id: "tcp",
      detector: "tcp-scan",
      window: "60s",
      threshold: 3,
      severity: { low: 3 },
      cooldown: "60s",
    });
    const after = rule({
      id: "tcp",
      detector: "tcp-scan",
      window: "60s",
      threshold: 1,
      severity: { low: 1, medium: 2 },
      cooldown: "60s",
    });
    const out: Alert[][] = [];
    for (const park of [false, true]) {
      const engine = new Engine([before], new MemoryStore(), {
        diagnostics: new Diagnostics(),
        parkFirstEvents: park,
      });
      const alerts = await engine.process([packet("198.51.100.9", 1, T0, 1, ["SYN"])]);
      engine.setRules([after]); // SIGHUP: same id and window, so the state and its parked key stay
      alerts.push(...(await engine.process([packet("198.51.100.9", 2, T0 + 1000, 2, ["SYN"])])));
      out.push(alerts);
    }
    expect(out[0]!.map((a) => [a.status, a.severity, a.events])).toEqual([["new", "medium", 2]]);
    expect(out[1]).toEqual(out[0]);
  });

  it("parking/a slow scanner inside a spoofed flood is found as without parking, with the same evictions", async () => {
    // 60 s of 1,000 spoofed SYNs/s against a bound of 10,000 keys (three keys per SYN: the
    // flood evicts all the time), and a scanner probing a new port every 2 s.
    const events: Event[] = [];
    for (let ms = 0; ms < 60_000; ms++) {
      events.push(
        packet(`10.${(ms >> 16) & 255}.${(ms >> 8) & 255}.${ms & 255}`, 80, T0 + ms, events.length + 1, [
          "SYN",
        ]),
      );
      if (ms % 2000 === 1000)
        events.push(packet("198.51.100.77", 1000 + ms / 2000, T0 + ms, events.length + 1, ["SYN"]));
    }
    const out = [];
    for (const park of [false, true]) {
      const { engine, alerts } = await run(events, { park, batch: 1000, maxKeys: 10_000 });
      out.push({
        scanner: alerts.filter((a) => a.src === "198.51.100.77").map((a) => [a.type, a.status, a.events]),
        types: [...new Set(alerts.map((a) => a.type))].sort(),
        evictions: engine.evictions,
      });
    }
    expect(out[0]!.scanner.map(([type, status, n]) => [/-scan$/.test(String(type)), status, n])).toEqual([
      [true, "new", 15],
    ]);
    expect(out[0]!.evictions).toBeGreaterThan(0);
    expect(out[1]).toEqual(out[0]);
  });

  it("parking/keys are evicted only past the bound: a source's third SYN after 39 others still alerts", async () => {
    const one = [
      rule({
        id: "tcp",
        detector: "tcp-scan",
        window: "60s",
        threshold: 3,
        severity: { low: 3 },
        cooldown: "60s",
      }),
    ];
    const events: Event[] = [packet("198.51.100.9", 1, T0, 1, ["SYN"])];
    for (let i = 0; i < 39; i++) events.push(packet(`10.0.0.${i}`, 80, T0 + 10 + i, 2 + i, ["SYN"]));
    events.push(
      packet("198.51.100.9", 2, T0 + 100, 41, ["SYN"]),
      packet("198.51.100.9", 3, T0 + 200, 42, ["SYN"]),
    );
    for (const park of [false, true]) {
      const { engine, alerts } = await run(events, { park, batch: 8, rules: one, maxKeys: 100 });
      expect(alerts.map((a) => [a.src, a.events])).toEqual([["198.51.100.9", 3]]);
      expect(engine.evictions).toBe(0);
      expect(engine.keyCount).toBe(40);
    }
  });

  it("parking/an event that alerts on its own alerts at once (threshold 1, a repeated sshd line)", async () => {
    const rules = [
      rule({
        id: "one-syn",
        detector: "tcp-scan",
        window: "60s",
        threshold: 1,
        severity: { low: 1, high: 3 },
        cooldown: "60s",
      }),
      rule({
        id: "ssh",
        detector: "ssh-bruteforce",
        groupBy: "src",
        window: "10m",
        threshold: 5,
        severity: { low: 5 },
        cooldown: "10m",
      }),
    ];
    const events: Event[] = [
      packet("198.51.100.1", 22, T0, 1, ["SYN"]),
      auth("192.0.2.9", T0 + 1, 2, 6),
      auth("192.0.2.10", T0 + 2, 3, 2),
    ];
    for (const park of [true, false]) {
      const { alerts } = await run(events, { park, batch: 3, rules });
      expect(alerts.map((a) => [a.type, a.src, a.events])).toEqual([
        ["half-open-scan", "198.51.100.1", 1],
        ["ssh-bruteforce", "192.0.2.9", 6],
      ]);
    }
  });
});
