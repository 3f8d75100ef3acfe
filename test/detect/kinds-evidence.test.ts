import { describe, expect, it } from "vitest";
import { ddos } from "../../src/detect/detectors/ddos.js";
import { flood } from "../../src/detect/detectors/flood.js";
import { sshBruteforce } from "../../src/detect/detectors/ssh-bruteforce.js";
import type { WindowView } from "../../src/detect/detector.js";
import type { CompiledRule } from "../../src/rules/compiled-rule.js";
import { loadRules, SHIPPED_RULES_DIR } from "../../src/rules/load-rules.js";

/*
 * Kind counters (tags) run for a whole episode, the event count only over the window: an
 * alert's evidence never sets a per-kind count beside the window's count as if it were a
 * breakdown of it. 2000 packets in 10 s and "syn 3328" read as a contradiction.
 */

const shipped = await loadRules(SHIPPED_RULES_DIR);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const rule = (id: string) => shipped.find((r) => r.id === id)! as CompiledRule<any>;

function view(events: number, tags: Record<string, number>, distinct: Record<string, number>): WindowView {
  return {
    proto: "tcp",
    events: () => events,
    distinct: (d) => distinct[d] ?? 0,
    estimate: () => false,
    tag: (t) => tags[t] ?? 0,
    members: () => [],
    fact: () => undefined,
  };
}

/** Every number written in a line of evidence. */
const numbers = (line: string) => [...line.matchAll(/\d+/g)].map((m) => Number(m[0]));

describe("kinds-evidence", () => {
  it.each<[string, Record<string, number>, RegExp]>([
    ["one kind", { syn: 3328 }, /^all of them SYNs$/],
    ["two kinds", { syn: 3300, udp: 28 }, /^by kind since the flood began: syn 3300, udp 28$/],
  ])("kinds-evidence/ddos, %s, 2000 packets in the window", (_n, tags, want) => {
    const v = ddos.judge(view(2000, tags, { src: 25 }), rule("ddos"))!;
    expect(v.evidence[0]).toMatch(/^2000 packets to one host within 10 s/);
    expect(v.evidence[1]).toMatch(want);
    expect(
      v.evidence
        .filter((l) => l !== v.evidence[1])
        .flatMap(numbers)
        .every((n) => n <= 2000),
    ).toBe(true);
  });

  it.each<[string, string, Record<string, number>, RegExp]>([
    ["ssh-bruteforce", "one kind", { failure: 40 }, /^all of them failed passwords or other methods$/],
    [
      "ssh-bruteforce",
      "two kinds",
      { failure: 30, "invalid-user": 12 },
      /^by kind since these attempts began: failure 30, invalid-user 12$/,
    ],
    ["ssh-account-spray", "one kind", { "invalid-user": 40 }, /^all of them user names that do not exist$/],
  ])("kinds-evidence/%s, %s, 10 failures in the window", (id, _n, tags, want) => {
    const v = sshBruteforce.judge(view(10, tags, { src: 6, user: 3 }), rule(id))!;
    expect(v.evidence[0]).toMatch(/^10 failed SSH authentications/);
    expect(v.evidence[0]).not.toMatch(/\(/);
    expect(v.evidence[1]).toMatch(want);
  });
});

describe("flood-evidence/what sent a SYN flood", () => {
  it.each<[string, number, number, number, RegExp | undefined]>([
    [
      "hping3 -S: raw SYNs",
      3000,
      3000,
      0,
      /^3000 of 3000 SYNs since the flood began carry a raw-packet fingerprint/,
    ],
    [
      "connect() from a real stack",
      1500,
      0,
      1490,
      /^1490 of 1500 SYNs .* operating system's TCP options: real connection attempts/,
    ],
    ["neither fingerprint in most", 1200, 300, 300, undefined],
    ["no SYN (a UDP flood)", 0, 0, 0, undefined],
  ])("flood-evidence/%s", (_n, syn, raw, os, want) => {
    const v = flood.judge(view(1200, { syn, raw, os }, { port: 1 }), rule("syn-flood"))!;
    expect(v.evidence[0]).toMatch(/^1200 SYN packets from one source to one host within 10 s/);
    const last = v.evidence.at(-1)!;
    if (want) expect(last).toMatch(want);
    else expect(v.evidence).toHaveLength(2);
  });
});
