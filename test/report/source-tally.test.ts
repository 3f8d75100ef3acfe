import { describe, expect, it } from "vitest";
import {
  addHost,
  addPort,
  MAX_PORT_BITMAPS,
  hostsOf,
  portsOf,
  HOSTS_BEFORE_ALERT,
  HOSTS_PER_SOURCE,
  PORTS_BEFORE_ALERT,
  PORTS_PER_SOURCE,
  SourceTally,
} from "../../src/report/source-tally.js";

describe("source-tally", () => {
  it("source-tally/under the bound every count is exact", () => {
    const t = new SourceTally({ maxSources: 100 });
    for (let i = 0; i < 50; i++) for (let k = 0; k <= i; k++) t.touch(`10.0.0.${i}`, 1000 + k);
    expect(t.exact).toBe(true);
    expect(t.distinct).toBe(50);
    expect(t.sources.get("10.0.0.49")).toMatchObject({ events: 50, firstMs: 1000, lastMs: 1049 });
  });

  it("source-tally/a spoofed flood forgets rare sources but keeps pinned attackers and heavy hitters", () => {
    const t = new SourceTally({ maxSources: 1000 });
    t.touch("198.51.100.7", 0);
    t.pin("198.51.100.7");
    for (let i = 0; i < 300; i++) t.touch("203.0.113.5", i);
    for (let i = 0; i < 20_000; i++) t.touch(`10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`, i);
    expect(t.sources.size).toBeLessThanOrEqual(1000);
    expect(t.sources.get("198.51.100.7")?.events).toBe(1);
    expect(t.sources.get("203.0.113.5")?.events).toBe(300);
    expect(t.exact).toBe(false);
    expect(t.forgottenMax).toBe(1);
    // HyperLogLog: about 0.8 % standard error.
    expect(Math.abs(t.distinct - 20_002) / 20_002).toBeLessThan(0.05);
  });

  it("source-tally/pinned sources alone over the bound do not make every insert prune", () => {
    const t = new SourceTally({ maxSources: 10 });
    for (let i = 0; i < 50; i++) {
      t.touch(`a${i}`, i);
      t.pin(`a${i}`);
    }
    for (let i = 0; i < 1000; i++) t.touch(`b${i}`, i);
    for (let i = 0; i < 50; i++) expect(t.sources.has(`a${i}`)).toBe(true);
    expect(t.sources.size).toBeLessThan(50 + 10);
  });

  it("source-tally/ports and hosts are bounded per source, more once it raised an alert, and say when cut", () => {
    const t = new SourceTally();
    const s = t.touch("10.0.0.1", 0);
    for (let p = 1; p <= 1000; p++) addPort(s, p);
    for (let h = 0; h < 50; h++) addHost(s, `h${h}`);
    expect([portsOf(s).length, hostsOf(s).length, s.portsFull, s.hostsFull]).toEqual([
      PORTS_BEFORE_ALERT,
      HOSTS_BEFORE_ALERT,
      true,
      true,
    ]);
    t.pin("10.0.0.1");
    for (let p = 1; p <= 1000; p++) addPort(s, p);
    for (let h = 0; h < 50; h++) addHost(s, `h${h}`);
    expect([portsOf(s).length, hostsOf(s).length]).toEqual([PORTS_PER_SOURCE, HOSTS_PER_SOURCE]);
  });

  it("source-tally/an attacker past its sample of ports counts every port exactly; others never get a bitmap", () => {
    const t = new SourceTally();
    const quiet = t.touch("10.0.0.2", 0);
    for (let p = 0; p < 5000; p++) t.addPort(quiet, p);
    expect([quiet.portBits, quiet.portCount, portsOf(quiet).length]).toEqual([
      undefined,
      0,
      PORTS_BEFORE_ALERT,
    ]);

    const s = t.touch("10.0.0.1", 0);
    for (let p = 1; p <= 10; p++) t.addPort(s, p);
    t.pin("10.0.0.1");
    for (let round = 0; round < 2; round++) for (let p = 0; p <= 65535; p++) t.addPort(s, p);
    expect(s.portCount).toBe(65536);
    expect(portsOf(s).length).toBe(PORTS_PER_SOURCE);
  });

  it("source-tally/bitmaps are bounded: past the bound an attacker keeps its sample only", () => {
    const t = new SourceTally();
    for (let i = 0; i <= MAX_PORT_BITMAPS; i++) {
      const src = `10.1.${i >> 8}.${i & 255}`;
      const s = t.touch(src, 0);
      t.pin(src);
      for (let p = 0; p <= PORTS_PER_SOURCE; p++) t.addPort(s, p);
    }
    const last = t.sources.get(`10.1.${MAX_PORT_BITMAPS >> 8}.${MAX_PORT_BITMAPS & 255}`)!;
    const first = t.sources.get("10.1.0.0")!;
    expect([first.portCount, last.portCount, last.portBits]).toEqual([PORTS_PER_SOURCE + 1, 0, undefined]);
  });
});
