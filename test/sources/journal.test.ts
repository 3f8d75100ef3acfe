import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Diagnostics } from "../../src/diagnostics.js";
import { LineParser } from "../../src/parsers/line-parser.js";
import { followJournal } from "../../src/sources/journal.js";

const dir = mkdtempSync(join(tmpdir(), "scanwatch-journal-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A stand-in for journalctl: records its arguments, prints two entries, then waits like -f does. */
function fakeJournalctl(): string {
  const p = join(dir, "journalctl");
  const entries = [
    {
      __REALTIME_TIMESTAMP: "1795881251735771",
      _HOSTNAME: "victim",
      SYSLOG_IDENTIFIER: "kernel",
      MESSAGE:
        "FW-IN: IN=eth0 OUT= SRC=198.51.100.126 DST=203.0.113.10 LEN=44 TTL=47 ID=1 PROTO=TCP SPT=43982 DPT=443 WINDOW=1024 RES=0x00 SYN URGP=0 ",
    },
    {
      __REALTIME_TIMESTAMP: "1795881252000000",
      _HOSTNAME: "victim",
      SYSLOG_IDENTIFIER: "sshd",
      _PID: "77",
      MESSAGE: "Failed password for root from 198.51.100.74 port 40000 ssh2",
    },
  ];
  writeFileSync(
    p,
    `#!/bin/sh\necho "$@" > ${join(dir, "args")}\n${entries.map((e) => `echo '${JSON.stringify(e)}'`).join("\n")}\nexec sleep 30\n`,
  );
  chmodSync(p, 0o755);
  return p;
}

describe("journal", () => {
  it("journal/follows journalctl -f -o json from the end, kernel and sshd only, into events", async () => {
    const j = followJournal({ fromStart: false, diagnostics: new Diagnostics(), command: fakeJournalctl() });
    const parser = new LineParser({ time: { zone: "UTC", referenceMs: Date.now() } });
    const events = [];
    for await (const batch of j.lines) {
      for (const raw of batch) {
        const o = parser.parse(raw.text, raw.file, raw.line);
        if (o.ok) events.push(o.event);
      }
      if (events.length >= 2) break;
    }
    j.stop();
    expect(events.map((e) => [e.type, (e as { src: string }).src])).toEqual([
      ["packet", "198.51.100.126"],
      ["auth", "198.51.100.74"],
    ]);
    expect(events[0]!.ts).toBe("2026-11-28T15:54:11.735+00:00");
    const { readFileSync } = await import("node:fs");
    const args = readFileSync(join(dir, "args"), "utf8");
    expect(args).toMatch(/-f -o json --no-pager -n 0 _TRANSPORT=kernel \+ _COMM=sshd/);
  });
});
