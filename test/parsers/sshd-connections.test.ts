import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LineParser, type InputLine, type ParseOutcome } from "../../src/parsers/line-parser.js";
import { SshdConnections } from "../../src/parsers/sshd-connections.js";

/*
 * The table of open sshd connections (host + pid → the client's address) and the lines that wait
 * for an address: bounded in entries and in held lines, expired by event time only, and total:
 * whatever is fed, every line comes out once, in order, as an event or a counted rejection.
 */

const T0 = Date.UTC(2026, 10, 28, 14, 0, 0);

describe("connections/table", () => {
  it("connections/one pid per host is one connection", () => {
    const t = new SshdConnections<never>();
    const a = t.open("fw1", 812, T0)!;
    a.record("198.51.100.7", 40022);
    expect(t.open("fw1", 812, T0 + 1000)).toBe(a);
    expect(t.open("fw1", 812, T0)!.addr).toBe("198.51.100.7");
    expect(t.open("fw2", 812, T0)!.addr).toBeUndefined();
    expect(t.open("fw1", 813, T0)!.addr).toBeUndefined();
    expect(t.size).toBe(3);
  });

  it("connections/addresses read back canonical, IPv4 and IPv6", () => {
    const t = new SshdConnections<never>();
    for (const addr of ["0.0.0.0", "255.255.255.255", "198.51.100.7", "2001:db8::7", "fe80::1%eth0"]) {
      const c = t.open("h", 1, T0)!;
      c.reset();
      c.record(addr, undefined);
      expect(c.addr).toBe(addr);
    }
  });

  it("connections/another client or port on the pid is another connection", () => {
    const t = new SshdConnections<never>();
    const c = t.open("fw1", 812, T0)!;
    c.record("198.51.100.7", 40022);
    c.failed = true;
    c.record("198.51.100.7", undefined);
    expect(c.failed).toBe(true);
    c.record("198.51.100.7", 40023);
    expect(c.failed).toBe(false);
    c.failed = true;
    c.record("203.0.113.9", 40023);
    expect(c.failed).toBe(false);
    expect(c.addr).toBe("203.0.113.9");
  });

  it("connections/expiry is by event time, whatever the wall clock says", () => {
    const t = new SshdConnections<never>({ idleMs: 300_000 });
    t.open("fw1", 812, T0)!.record("198.51.100.7", 1);
    expect(t.open("fw1", 812, T0 + 299_000)!.addr).toBe("198.51.100.7");
    expect(t.open("fw1", 812, T0 + 299_000 + 301_000)!.addr).toBeUndefined();
    // An archive from 2001 and one from 2090 behave the same.
    for (const base of [Date.UTC(2001, 0, 1), Date.UTC(2090, 0, 1)]) {
      const u = new SshdConnections<never>({ idleMs: 1000 });
      u.open("h", 1, base)!.record("198.51.100.7", 1);
      expect(u.open("h", 1, base + 1000)!.addr).toBe("198.51.100.7");
      expect(u.open("h", 1, base + 3000)!.addr).toBeUndefined();
    }
  });

  it("connections/a flood of distinct pids never grows the table past its bound", () => {
    const max = 1000;
    const t = new SshdConnections<never>({ maxEntries: max });
    let peak = 0;
    for (let i = 0; i < 200_000; i++) {
      t.open("fw1", i, T0 + i)!.record("198.51.100.7", i % 65536);
      peak = Math.max(peak, t.size);
    }
    expect(peak).toBe(max);
    expect(t.evicted).toBe(200_000 - max);
    // The most recent connections are the ones kept.
    expect(t.open("fw1", 199_999, T0 + 200_000)!.addr).toBe("198.51.100.7");
  });

  it("connections/a flood of distinct hosts is bounded too", () => {
    const t = new SshdConnections<never>({ maxEntries: 500 });
    for (let i = 0; i < 50_000; i++) t.open(`h${i}`, 1, T0)!.record("198.51.100.7", 1);
    expect(t.size).toBeLessThanOrEqual(500);
  });

  it("connections/an idle connection's pid coming back starts a new one, in place", () => {
    const t = new SshdConnections<never>({ idleMs: 10_000, maxEntries: 10 });
    for (let i = 0; i < 10; i++) t.open("fw1", i, T0)!.record("198.51.100.7", i);
    const c = t.open("fw1", 3, T0 + 3_600_000)!;
    expect(c.addr).toBeUndefined();
    expect(t.size).toBe(10);
    expect(t.evicted).toBe(0);
  });

  it("connections/pids that are no process id are not tracked", () => {
    const t = new SshdConnections<never>();
    expect(t.open("h", -1, T0)).toBeUndefined();
    expect(t.open("h", 2 ** 32, T0)).toBeUndefined();
    expect(t.open("h", 2 ** 32 - 1, T0)).toBeDefined();
  });

  it("connections/options are checked eagerly", () => {
    expect(() => new SshdConnections({ maxEntries: 0 })).toThrow(/maxEntries/);
    expect(() => new SshdConnections({ idleMs: -1 })).toThrow(/idleMs/);
  });
});

const at = (sec: number, pid: number, msg: string, host = "fw1") => {
  const d = new Date(T0 + sec * 1000);
  const hms = d.toISOString().slice(11, 19);
  return `Nov 28 ${hms} ${host} sshd[${pid}]: ${msg}`;
};

function parser(opts: { holdMs?: number; maxHeld?: number; maxEntries?: number } = {}): LineParser {
  return new LineParser({
    time: { zone: "UTC", year: 2026, referenceMs: Date.UTC(2026, 11, 1) },
    holdMs: opts.holdMs,
    maxHeld: opts.maxHeld,
    connections: { maxEntries: opts.maxEntries },
  });
}

/** Feeds all lines and flushes; returns the outcomes by line number, checking order and totality. */
function feedAll(p: LineParser, lines: string[], check?: () => void): ParseOutcome[] {
  const out: ParseOutcome[] = [];
  const take = (l: InputLine, o: ParseOutcome) => {
    expect(l.line).toBe(out.length + 1);
    out.push(o);
  };
  lines.forEach((text, i) => {
    p.feed({ text, file: "t.log", line: i + 1 }, take);
    check?.();
  });
  p.flush(take);
  expect(out.length).toBe(lines.length);
  expect(p.held).toBe(0);
  return out;
}

describe("connections/held lines", () => {
  it("held/a line waits for the address a later line of its connection names", () => {
    const out = feedAll(parser(), [
      at(0, 812, "error: kex_exchange_identification: Connection closed by remote host"),
      at(0, 900, "Failed password for root from 203.0.113.9 port 1 ssh2"),
      at(1, 812, "Connection closed by 198.51.100.7 port 52023"),
    ]);
    expect(out[0]).toMatchObject({
      ok: true,
      event: { src: "198.51.100.7", srcVia: "pid", kind: "no-ident" },
    });
    expect(out[0]!.ok && out[0]!.via).toEqual({ file: "t.log", line: 3 });
    expect(out[1]).toMatchObject({ ok: true, event: { src: "203.0.113.9" } });
  });

  it("held/past holdMs of event time a line settles without the address", () => {
    const out = feedAll(parser({ holdMs: 10_000 }), [
      at(0, 812, "Disconnecting: Too many authentication failures for root [preauth]"),
      at(5, 900, "Invalid user x from 203.0.113.9 port 1"),
      at(11, 900, "Invalid user y from 203.0.113.9 port 1"),
      at(12, 812, "Connection closed by 198.51.100.7 port 52023 [preauth]"),
    ]);
    expect(out[0]).toMatchObject({ ok: false, reason: "sshd-no-address" });
    expect(out.slice(1).every((o) => o.ok)).toBe(true);
  });

  it("held/after time steps back (DST in a local zone, files out of order) lines still wait", () => {
    const out = feedAll(parser(), [
      at(3600, 900, "Invalid user x from 203.0.113.9 port 1"),
      at(0, 812, "error: kex_exchange_identification: Connection closed by remote host"),
      at(0, 812, "Connection closed by 198.51.100.7 port 52023"),
    ]);
    expect(out[1]).toMatchObject({ ok: true, event: { src: "198.51.100.7", srcVia: "pid" } });
  });

  it("held/a pid reused after a long silence does not lend its new address to an old line", () => {
    const out = feedAll(parser(), [
      at(0, 812, "Disconnecting: Too many authentication failures for root [preauth]"),
      at(600, 812, "Failed password for root from 203.0.113.9 port 1 ssh2"),
    ]);
    expect(out[0]).toMatchObject({ ok: false, reason: "sshd-no-address" });
  });

  it("held/a pid that wrote its last words lends its address to the next client's lines only briefly", () => {
    const out = feedAll(parser(), [
      at(0, 812, "Failed password for root from 198.51.100.7 port 40022 ssh2"),
      at(1, 812, "Connection closed by authenticating user root 198.51.100.7 port 40022 [preauth]"),
      // sshd's monitor writes PAM's summary right after: still this client's.
      at(1, 812, "Disconnecting: Too many authentication failures [preauth]"),
      // Two minutes on, the pid serves another client: its address comes one line later.
      at(120, 812, "error: kex_exchange_identification: Connection closed by remote host"),
      at(120, 812, "Connection closed by 198.51.100.99 port 5555"),
      at(180, 812, "Disconnecting: Too many authentication failures [preauth]"),
      at(181, 812, "Connection closed by authenticating user root 198.51.100.50 port 777 [preauth]"),
    ]);
    expect(out[2]).toMatchObject({ ok: true, event: { src: "198.51.100.7", srcVia: "pid" } });
    expect(out[3]).toMatchObject({ ok: true, event: { src: "198.51.100.99", kind: "no-ident" } });
    expect(out[3]!.ok && out[3]!.via).toEqual({ file: "t.log", line: 5 });
    expect(out[5]).toMatchObject({ ok: true, event: { src: "198.51.100.50", kind: "max-auth" } });
  });

  it("held/a pid whose last line was not its last words keeps its address for the idle time", () => {
    const out = feedAll(parser(), [
      at(0, 812, "Failed password for root from 198.51.100.7 port 40022 ssh2"),
      at(60, 812, "Disconnecting: Too many authentication failures [preauth]"),
    ]);
    expect(out[1]).toMatchObject({ ok: true, event: { src: "198.51.100.7", srcVia: "pid" } });
  });

  it("held/the end of input settles what still waits", () => {
    const p = parser();
    const got: ParseOutcome[] = [];
    p.feed(
      { text: at(0, 812, "User root not allowed because account is locked"), file: "t", line: 1 },
      (_l, o) => got.push(o),
    );
    expect(got).toEqual([]);
    expect(p.held).toBe(1);
    p.flush((_l, o) => got.push(o));
    expect(got).toEqual([{ ok: false, reason: "sshd-no-address", format: "rfc3164", parser: "sshd" }]);
  });

  it("held/a flood of address-less lines from distinct pids stays bounded", () => {
    const p = parser({ maxHeld: 500, maxEntries: 2000 });
    const lines: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      lines.push(
        at(
          Math.floor(i / 1000),
          10_000 + i,
          "error: kex_exchange_identification: Connection closed by remote host",
        ),
      );
    }
    let peakHeld = 0;
    let peakConns = 0;
    const out = feedAll(p, lines, () => {
      peakHeld = Math.max(peakHeld, p.held);
      peakConns = Math.max(peakConns, p.connections);
    });
    expect(peakHeld).toBeLessThanOrEqual(501);
    expect(peakConns).toBeLessThanOrEqual(2000);
    expect(out.every((o) => !o.ok && o.reason === "sshd-no-address")).toBe(true);
  });

  it("held/one connection's lines beyond maxWaiting settle early, in order", () => {
    const lines = [];
    for (let i = 0; i < 100; i++)
      lines.push(at(0, 812, "Disconnecting: Too many authentication failures [preauth]"));
    lines.push(at(1, 812, "Connection closed by 198.51.100.7 port 1 [preauth]"));
    const out = feedAll(parser(), lines);
    const via = out.filter((o) => o.ok && o.event.type === "auth" && o.event.srcVia === "pid").length;
    expect(via).toBe(32);
    expect(out.filter((o) => !o.ok).length).toBe(100 - 32);
  });

  it("held/parse never holds: what an earlier line named, or a rejection now", () => {
    const p = parser();
    expect(p.parse(at(0, 812, "Invalid user admin from 198.51.100.7"), "t", 1).ok).toBe(true);
    expect(p.parse(at(1, 812, "input_userauth_request: invalid user admin [preauth]"), "t", 2)).toMatchObject(
      {
        ok: true,
        event: { src: "198.51.100.7", srcVia: "pid", kind: "invalid-user" },
      },
    );
    expect(p.parse(at(1, 813, "input_userauth_request: invalid user admin [preauth]"), "t", 3)).toMatchObject(
      {
        ok: false,
        reason: "sshd-no-address",
      },
    );
    expect(p.held).toBe(0);
  });

  it("held/lines of other programs wait behind a held one, then come out in order", () => {
    const kernel =
      "Nov 28 14:00:00 fw1 kernel: DROP IN=eth0 OUT= SRC=203.0.113.9 DST=203.0.113.10 LEN=40 TOS=0x00 PREC=0x00 TTL=49 ID=1 PROTO=TCP SPT=1 DPT=23 WINDOW=1024 RES=0x00 SYN URGP=0";
    const out = feedAll(parser(), [
      at(0, 812, "error: kex_exchange_identification: read: Connection reset by peer"),
      kernel,
      "garbage",
      at(0, 812, "Connection reset by 198.51.100.7 port 1"),
    ]);
    expect(out.map((o) => (o.ok ? o.event.type : o.reason))).toEqual(["auth", "packet", "no-header", "auth"]);
  });
});

describe("connections/property", () => {
  const pids = [812, 813, 814];
  const msgs = [
    "Failed password for root from 198.51.100.7 port 40022 ssh2",
    "Invalid user x from 203.0.113.9 port 1",
    "Connection from 198.51.100.8 port 2 on 203.0.113.10 port 22",
    "Accepted password for alice from 198.51.100.9 port 3 ssh2",
    "Disconnecting: Too many authentication failures for root [preauth]",
    "error: kex_exchange_identification: Connection closed by remote host",
    "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=host.example.net  user=root",
    "User root not allowed because account is locked",
    "Failed password for invalid user test from 198.51.100.7 port 4242 ssh2: from 203.0.113.66 port 22 ssh2",
    "Connection closed by 198.51.100.7",
    "Received disconnect from 198.51.100.7: 11: Bye Bye",
    "message repeated 3 times: [ Failed password for root from 198.51.100.7 port 40022 ssh2]",
    "fatal: Read from socket failed: Connection reset by peer [preauth]",
  ];
  const line = fc.oneof(
    fc
      .record({
        sec: fc.integer({ min: 0, max: 120 }),
        pid: fc.constantFrom(...pids),
        msg: fc.constantFrom(...msgs),
      })
      .map((r) => at(r.sec, r.pid, r.msg)),
    fc.constantFrom("garbage", "Nov 28 14:00:30 fw1 last message repeated 2 times", ""),
  );

  it("property/feed: every line once, in order; src is an address or a marked name; never more held than allowed", () => {
    fc.assert(
      fc.property(fc.array(line, { maxLength: 80 }), fc.integer({ min: 1, max: 20 }), (lines, maxHeld) => {
        const p = parser({ maxHeld, holdMs: 5000 });
        const out = feedAll(p, lines, () => expect(p.held).toBeLessThanOrEqual(maxHeld + 1));
        for (const o of out) {
          if (!o.ok || o.event.type !== "auth") continue;
          if (o.event.srcKind === "name") expect(o.event.src).toBe("host.example.net");
          else
            expect(["198.51.100.7", "198.51.100.8", "198.51.100.9", "203.0.113.9", "203.0.113.66"]).toContain(
              o.event.src,
            );
        }
      }),
      { numRuns: 300 },
    );
  });

  it("property/parse and feed agree on every line that waits for nothing later", () => {
    fc.assert(
      fc.property(fc.array(line, { maxLength: 60 }), (lines) => {
        const fed = feedAll(parser({ holdMs: 0 }), lines);
        const p = parser();
        const direct = lines.map((l, i) => p.parse(l, "t.log", i + 1));
        expect(fed).toEqual(direct);
      }),
      { numRuns: 300 },
    );
  });
});
