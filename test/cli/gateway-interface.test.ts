import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Alert } from "../../src/events/alert.js";

/*
 * A gateway that logs every new forwarded connection logs its LAN's clients going out too, and
 * a browsing client reaches dozens of web hosts a minute on 443. The README says the shipped
 * rules take that for a port-sweep and that giving the rules' match the WAN interface stops it
 * while an internet source sweeping through the WAN is still found: both are checked here.
 */

const ROOT = join(import.meta.dirname, "..", "..");
const BIN = join(ROOT, "bin", "scanwatch");

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "scanwatch-gateway-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function line(ms: number, inIf: string, src: string, dst: string, dport: number, sport: number): string {
  const d = new Date(ms);
  const ts = `Nov 28 ${String(d.getUTCHours()).padStart(2, "0")}:${String(d.getUTCMinutes()).padStart(2, "0")}:${String(d.getUTCSeconds()).padStart(2, "0")}`;
  return `${ts} gw kernel: [ 5000.000000] NEW-FWD: IN=${inIf} OUT=${inIf === "br0" ? "eth0" : "br0"} MAC=52:54:00:12:34:56:52:54:00:65:43:21:08:00 SRC=${src} DST=${dst} LEN=60 TOS=0x00 PREC=0x00 TTL=63 ID=${sport & 0xffff} DF PROTO=TCP SPT=${sport} DPT=${dport} WINDOW=64240 RES=0x00 SYN URGP=0 OPT (020405B40402080A000000000000000001030307) `;
}

/** A LAN client browsing (5 new connections a second to 250 web hosts), and an outside sweep of 30 LAN hosts on 22. */
function gatewayLog(): string {
  const t0 = Date.UTC(2026, 10, 28, 10, 0, 0);
  const out: string[] = [];
  for (let i = 0; i < 300; i++) {
    const web = `${[142, 151, 104, 172, 13][i % 5]}.${(i * 37) % 255}.${(i * 91) % 255}.${1 + ((i * 53) % 250)}`;
    out.push(line(t0 + i * 200, "br0", "192.168.1.23", web, i % 4 ? 443 : 80, 33000 + i));
  }
  for (let h = 0; h < 30; h++)
    out.push(line(t0 + 70_000 + h * 100, "eth0", "198.51.100.77", `192.168.1.${100 + h}`, 22, 40000 + h));
  out.sort((a, b) => a.slice(7, 15).localeCompare(b.slice(7, 15)));
  return out.join("\n") + "\n";
}

function analyze(args: string[]): Alert[] {
  const r = spawnSync(
    process.execPath,
    [BIN, "analyze", "--tz", "UTC", "--year", "2026", "--format", "ndjson", "--quiet", ...args],
    {
      encoding: "utf8",
    },
  );
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.trim()
    ? r.stdout
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as Alert)
    : [];
}

describe("gateway", () => {
  it("gateway/a LAN client's browsing is a port-sweep to the shipped rules; matching the WAN interface leaves only the outside sweep", () => {
    const log = join(dir, "kern.log");
    writeFileSync(log, gatewayLog());
    const shipped = analyze([log]);
    expect(shipped.some((a) => a.type === "port-sweep" && a.src === "192.168.1.23")).toBe(true);
    expect(shipped.some((a) => a.type === "port-sweep" && a.src === "198.51.100.77")).toBe(true);

    const rules = join(dir, "rules");
    cpSync(join(ROOT, "rules"), rules, { recursive: true });
    for (const f of readdirSync(rules).filter((n) => n.endsWith(".json") && n !== "rule.schema.json")) {
      const rule = JSON.parse(readFileSync(join(rules, f), "utf8")) as {
        match?: Record<string, unknown>;
        detector: string;
      };
      if (rule.detector === "ssh-bruteforce") continue;
      rule.match = { ...rule.match, interface: ["eth0"] };
      writeFileSync(join(rules, f), JSON.stringify(rule, null, 2));
    }
    const wan = analyze(["--rules", rules, log]);
    expect(wan.map((a) => [a.type, a.src])).toEqual([["port-sweep", "198.51.100.77"]]);
  });
});
