import { readdirSync, readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LineParser, type ParseOutcome } from "../../src/parsers/line-parser.js";
import { schemaErrors, validateEvent } from "../support/schemas.js";

/*
 * LineParser.parse is total (STYLE habit 1): for any string it returns an event or a reason and
 * never throws; and what it returns as an event satisfies event.schema.json. The hostile 64 KiB
 * inputs at the end are run once each without a timed assertion: a super-linear regex would show
 * up as the suite's timeout, not as a flaky threshold.
 */

const parser = new LineParser({ time: { zone: "UTC", year: 2026, referenceMs: Date.UTC(2026, 11, 1) } });
const zoned = new LineParser({ time: { zone: "Europe/Paris", referenceMs: Date.UTC(2027, 0, 2) } });

function checkTotal(p: LineParser, line: string): ParseOutcome {
  let out: ParseOutcome | undefined;
  expect(() => {
    out = p.parse(line, "prop.log", 1);
  }).not.toThrow();
  if (out === undefined) throw new Error("parse returned undefined");
  expect(typeof out.ok).toBe("boolean");
  if (out.ok) {
    const wire: unknown = JSON.parse(JSON.stringify(out.event));
    if (!validateEvent(wire)) {
      throw new Error(`event fails the schema for ${JSON.stringify(line)}: ${schemaErrors(validateEvent)}`);
    }
  } else {
    expect(typeof out.reason).toBe("string");
    expect(out.reason.length).toBeGreaterThan(0);
  }
  return out;
}

function checkBoth(line: string): void {
  checkTotal(parser, line);
  checkTotal(zoned, line);
}

// Real lines from /work/shared/corpus (kern.log, auth.log and their RFC 3339 twins).
const CORPUS = [
  "Nov 28 15:54:11 victim kernel: [ 5214.735771] FW-IN: IN=eth0 OUT= MAC=de:4b:e2:6a:90:81:4a:5a:b4:f7:36:9d:08:00 SRC=198.51.100.126 DST=203.0.113.10 LEN=44 TOS=0x00 PREC=0x00 TTL=46 ID=51571 PROTO=TCP SPT=43982 DPT=443 WINDOW=1024 RES=0x00 SYN URGP=0 OPT (020405B4) ",
  "Nov 28 15:54:20 victim kernel: [ 5223.657142] FW-IN: IN=eth0 OUT= MAC=de:4b:e2:6a:90:81:4a:5a:b4:f7:36:9d:08:00 SRC=198.51.100.42 DST=203.0.113.10 LEN=60 TOS=0x00 PREC=0x00 TTL=63 ID=46367 DF PROTO=TCP SPT=39749 DPT=22 WINDOW=64240 RES=0x00 SYN URGP=0 OPT (020405B40402080AE4655890000000000103030A) ",
  "Nov 28 15:55:15 victim kernel: [ 5278.755356] FW-IN: IN=eth0 OUT= MAC=de:4b:e2:6a:90:81:4a:5a:b4:f7:36:9d:08:00 SRC=198.51.100.68 DST=203.0.113.10 LEN=28 TOS=0x00 PREC=0x00 TTL=43 ID=22898 PROTO=UDP SPT=54955 DPT=999 LEN=8 ",
  "Nov 28 15:58:21 victim kernel: [ 5464.839780] FW-IN: IN=eth0 OUT= MAC=de:4b:e2:6a:90:81:4a:5a:b4:f7:36:9d:08:00 SRC=198.51.100.48 DST=203.0.113.10 LEN=28 TOS=0x00 PREC=0x00 TTL=63 ID=39625 PROTO=ICMP TYPE=8 CODE=0 ID=20563 SEQ=0 ",
  "Nov 28 15:55:35 victim kernel: [ 5298.346818] FW-IN: IN=eth0 OUT= MAC=de:4b:e2:6a:90:81:4a:5a:b4:f7:36:9d:08:00 SRC=198.51.100.59 DST=203.0.113.10 LEN=40 TOS=0x00 PREC=0x00 TTL=54 ID=23709 PROTO=TCP SPT=38309 DPT=993 WINDOW=1024 RES=0x00 URG PSH FIN URGP=0 ",
  "2026-11-28T15:54:11.569873+00:00 victim kernel: [ 5214.735771] FW-IN: IN=eth0 OUT= MAC=de:4b:e2:6a:90:81:4a:5a:b4:f7:36:9d:08:00 SRC=198.51.100.126 DST=203.0.113.10 LEN=44 TOS=0x00 PREC=0x00 TTL=46 ID=51571 PROTO=TCP SPT=43982 DPT=443 WINDOW=1024 RES=0x00 SYN URGP=0 OPT (020405B4) ",
  "Nov 28 15:58:58 victim sshd[21951]: Failed password for root from 198.51.100.74 port 39402 ssh2",
  "Nov 28 15:59:02 victim sshd[21959]: Failed password for invalid user admin from 198.51.100.74 port 50742 ssh2",
  "Nov 28 15:59:00 victim sshd[21959]: Invalid user admin from 198.51.100.74 port 50742",
  "Nov 28 15:59:24 victim sshd[21994]: Connection closed by authenticating user alice 198.51.100.74 port 42600 [preauth]",
  "Nov 28 15:58:56 victim sshd[21944]: Received disconnect from 198.51.100.74 port 39380:11: Bye Bye [preauth]",
  "Nov 28 15:58:57 victim sshd[21951]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=198.51.100.74  user=root",
  "Nov 28 16:05:33 victim sshd[23935]: PAM 2 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=198.51.100.112 ",
  "Nov 28 16:03:22 victim sshd[23046]: Accepted publickey for alice from 198.51.100.137 port 47287 ssh2: ED25519 SHA256:eJ5PumNPNSVCVwVVCiJeNxr15mDMWQA8B803mSro3q4",
  "2026-11-28T15:54:30.257327+00:00 victim sshd[16817]: Connection closed by 198.51.100.44 port 36377",
];

/** Every sample line of fixtures/parsers/*.log (header styles, journal JSON, IPv6, ICMP errors...). */
function fixtureLines(): string[] {
  const dir = new URL("../../fixtures/parsers/", import.meta.url);
  const out: string[] = [];
  for (const f of readdirSync(dir).filter((n) => n.endsWith(".log"))) {
    const lines = readFileSync(new URL(f, dir), "utf8").split("\n");
    for (let i = 0; i + 1 < lines.length; i++) {
      const next = lines[i + 1] as string;
      if ((lines[i] as string).startsWith("# expect:") && next.length > 0 && !next.startsWith("#"))
        out.push(next);
    }
  }
  return out;
}

const SEEDS = [...CORPUS, ...fixtureLines()];

const HEADERS = [
  "Nov 28 14:35:40 fw1 kernel: ",
  "Nov 28 14:35:40 fw1 kernel: [ 812.000001] ",
  "Nov 28 14:35:40 fw1 sshd[812]: ",
  "Nov  8 14:35:40.123456 fw1 sshd-session[812]: ",
  "Nov 28 14:35:40 fw1 ",
  "2026-11-28T14:35:40.123456+01:00 fw1 kernel: ",
  "<4>1 2026-11-28T13:35:40.123Z fw1 kernel - - - ",
  "<38>1 2026-11-28T13:35:40Z fw1 sshd 812 - - ",
  "<4>Nov 28 14:35:40 fw1 kernel: ",
];

const RUNS = { numRuns: 400 };

const anyChar16 = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));

describe("property/arbitrary strings", () => {
  it("property/ascii strings", () => {
    fc.assert(fc.property(fc.string({ maxLength: 300 }), checkBoth), RUNS);
  });

  it("property/full unicode strings", () => {
    fc.assert(fc.property(fc.string({ unit: "binary", maxLength: 300 }), checkBoth), RUNS);
  });

  it("property/grapheme strings", () => {
    fc.assert(fc.property(fc.string({ unit: "grapheme", maxLength: 200 }), checkBoth), RUNS);
  });

  it("property/UTF-16 code units including lone surrogates and NUL", () => {
    fc.assert(fc.property(fc.string({ unit: anyChar16, maxLength: 300 }), checkBoth), RUNS);
  });

  it("property/random bytes decoded as UTF-8 (invalid sequences, NUL)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) =>
        checkBoth(Buffer.from(bytes).toString("utf8")),
      ),
      RUNS,
    );
  });

  it("property/valid header followed by arbitrary text", () => {
    fc.assert(
      fc.property(fc.constantFrom(...HEADERS), fc.string({ unit: "binary", maxLength: 300 }), (h, rest) =>
        checkBoth(h + rest),
      ),
      RUNS,
    );
  });

  it("property/valid header followed by random bytes", () => {
    fc.assert(
      fc.property(fc.constantFrom(...HEADERS), fc.uint8Array({ maxLength: 300 }), (h, bytes) =>
        checkBoth(h + Buffer.from(bytes).toString("utf8")),
      ),
      RUNS,
    );
  });

  it("property/journal JSON records with arbitrary values", () => {
    const value = fc.oneof(
      fc.string({ unit: "binary", maxLength: 80 }),
      fc.integer(),
      fc.double(),
      fc.constant(null),
      fc.array(fc.integer({ min: -300, max: 300 }), { maxLength: 80 }),
      fc.constantFrom("1795876540123456", "99999999999999999999", "-1", "0", "1e21"),
    );
    const rec = fc.record(
      {
        __REALTIME_TIMESTAMP: value,
        MESSAGE: fc.oneof(value, fc.constantFrom(...CORPUS.map((l) => l.slice(l.indexOf(": ") + 2)))),
        SYSLOG_IDENTIFIER: fc.oneof(fc.constantFrom("kernel", "sshd", "sshd-session", ""), value),
        _COMM: value,
        _HOSTNAME: value,
        SYSLOG_PID: value,
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(rec, (r) => checkBoth(JSON.stringify(r))),
      RUNS,
    );
  });
});

describe("property/mutated real lines", () => {
  // One edit: insert, delete or replace a slice, at a position taken modulo the line's length.
  const edit = fc.record({
    op: fc.constantFrom("insert", "delete", "replace", "duplicate"),
    at: fc.nat(),
    len: fc.nat({ max: 40 }),
    text: fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.string({ unit: anyChar16, maxLength: 6 }),
      fc.constantFrom(
        " ",
        "=",
        "[",
        "]",
        "(",
        ")",
        ":",
        "\0",
        "\r",
        "\n",
        "IN=",
        "SRC=",
        " from ",
        " port ",
        "%",
        "::",
      ),
    ),
  });

  function mutate(line: string, e: { op: string; at: number; len: number; text: string }): string {
    const at = line.length === 0 ? 0 : e.at % (line.length + 1);
    const end = Math.min(line.length, at + e.len);
    switch (e.op) {
      case "insert":
        return line.slice(0, at) + e.text + line.slice(at);
      case "delete":
        return line.slice(0, at) + line.slice(end);
      case "replace":
        return line.slice(0, at) + e.text + line.slice(end);
      default:
        return line.slice(0, end) + line.slice(at, end) + line.slice(end);
    }
  }

  it("property/corpus and fixture lines under 1-5 random edits", () => {
    fc.assert(
      fc.property(fc.constantFrom(...SEEDS), fc.array(edit, { minLength: 1, maxLength: 5 }), (seed, edits) =>
        checkBoth(edits.reduce(mutate, seed)),
      ),
      { numRuns: 1500 },
    );
  });

  it("property/every seed parses as-is", () => {
    for (const s of SEEDS) checkBoth(s);
  });

  it("property/netfilter token soup", () => {
    const token = fc.oneof(
      fc.constantFrom(
        "IN=eth0",
        "OUT=",
        "OUT=eth1",
        "SRC=198.51.100.7",
        "DST=203.0.113.10",
        "SRC=2001:db8::1",
        "PROTO=TCP",
        "PROTO=UDP",
        "PROTO=ICMP",
        "PROTO=ICMPv6",
        "PROTO=47",
        "SPT=99999",
        "DPT=65536",
        "SPT=0x1F90",
        "TYPE=300",
        "CODE=999",
        "ID=",
        "SEQ=",
        "LEN=-1",
        "TTL=1e3",
        "WINDOW=4294967296",
        "SYN",
        "ACK",
        "DF",
        "OPT",
        "(020405B4)",
        "(ZZZZ)",
        "[",
        "]",
        "[SRC=203.0.113.9",
        "MARK=0x2a",
        "UID=0",
        "GID=",
        "INCOMPLETE",
        "[8",
        "bytes]",
      ),
      fc.string({ maxLength: 8 }),
    );
    fc.assert(
      fc.property(fc.constantFrom(...HEADERS), fc.array(token, { maxLength: 40 }), (h, toks) =>
        checkBoth(h + toks.join(" ")),
      ),
      { numRuns: 1000 },
    );
  });

  it("property/sshd token soup", () => {
    const token = fc.oneof(
      fc.constantFrom(
        "Failed",
        "password",
        "for",
        "invalid",
        "user",
        "from",
        "198.51.100.7",
        "203.0.113.9",
        "fe80::1%eth0",
        "port",
        "22",
        "99999",
        "ssh2",
        "ssh2:",
        "[preauth]",
        "Invalid",
        "Connection",
        "closed",
        "by",
        "authenticating",
        "rhost=198.51.100.7",
        "user=root",
        "error:",
        "fatal:",
      ),
      fc.string({ maxLength: 6 }),
    );
    fc.assert(
      fc.property(fc.array(token, { maxLength: 30 }), (toks) =>
        checkBoth("Nov 28 14:35:40 fw1 sshd[812]: " + toks.join(" ")),
      ),
      { numRuns: 1000 },
    );
  });
});

describe("property/hostile 64 KiB inputs", () => {
  const K64 = 65536;
  const rep = (s: string): string => s.repeat(Math.ceil(K64 / s.length)).slice(0, K64);
  const KERN = "Nov 28 14:35:40 fw1 kernel: ";
  const SSHD = "Nov 28 14:35:40 fw1 sshd[812]: ";
  const NF = "IN=eth0 OUT= SRC=198.51.100.7 DST=203.0.113.10 LEN=40 TTL=1 ID=1 PROTO=TCP SPT=1 DPT=2 ";

  it.each<[string, string]>([
    ["spaces", rep(" ")],
    ["=", rep("=")],
    ["[", rep("[")],
    ["(", rep("(")],
    ["<", rep("<")],
    ["{", rep("{")],
    ["digits", rep("9")],
    ["IN=", rep("IN=")],
    ["from ", rep("from ")],
    ["kernel + spaces", KERN + rep(" ")],
    ["kernel + =", KERN + rep("=")],
    ["kernel + [", KERN + rep("[")],
    ["kernel + (", KERN + rep("(")],
    ["kernel + IN=", KERN + rep("IN=")],
    ["kernel + 'IN= '", KERN + rep("IN= ")],
    ["kernel + xIN=", KERN + rep("xIN=")],
    ["kernel + IN= then =", KERN + "IN=" + rep("=")],
    ["kernel + IN= then [", KERN + "IN=eth0 " + rep("[")],
    ["kernel + IN= then '[ '", KERN + "IN=eth0 " + rep("[ ")],
    ["kernel + IN= then ']'", KERN + NF + rep("] ")],
    ["kernel + IN= then OPT", KERN + NF + rep("OPT ")],
    ["kernel + IN= then OPT (", KERN + NF + "OPT " + rep("(")],
    ["kernel + NOP options", KERN + NF + "OPT (" + rep("01") + ")"],
    ["kernel + flags", KERN + NF + rep("SYN ")],
    ["kernel + SRC=", KERN + "IN=eth0 " + rep("SRC=")],
    ["kernel + uptime bracket", KERN + "[" + rep(" ") + "]"],
    ["kernel + suppressed digits", KERN + rep("1") + " callbacks suppressed"],
    ["ulogd + IN=", "Nov 28 14:35:40 fw1 " + rep("IN=")],
    ["ulogd + prefix", "Nov 28 14:35:40 fw1 " + rep("x") + ": IN=eth0"],
    ["rfc5424 + [", "<4>1 2026-11-28T13:35:40Z fw1 kernel - - " + rep("[")],
    ["rfc5424 + []", "<4>1 2026-11-28T13:35:40Z fw1 kernel - - " + rep("[]")],
    ["rfc5424 + quotes", '<4>1 2026-11-28T13:35:40Z fw1 kernel - - [x a="' + rep('\\"')],
    ["rfc3164 + host only", "Nov 28 14:35:40 " + rep("h")],
    [
      "journal + long message",
      JSON.stringify({
        __REALTIME_TIMESTAMP: "1795876540123456",
        SYSLOG_IDENTIFIER: "sshd",
        MESSAGE: rep("from "),
      }),
    ],
    ["journal + deep array", "{" + '"MESSAGE":' + rep("[")],
    ["sshd + spaces", SSHD + rep(" ")],
    ["sshd + from", SSHD + rep("from ")],
    ["sshd Failed + from", SSHD + "Failed password for " + rep("from ") + " from 198.51.100.7 port 22 ssh2"],
    ["sshd Failed + from, no suffix", SSHD + "Failed password for " + rep("from ")],
    ["sshd Failed + user", SSHD + "Failed password for " + rep("user ") + "from 198.51.100.7 port 22 ssh2"],
    [
      "sshd Failed invalid user + user",
      SSHD + "Failed password for invalid user " + rep("invalid user ") + "from 198.51.100.7 port 22 ssh2",
    ],
    [
      "sshd Failed + fake suffixes",
      SSHD +
        "Failed password for " +
        rep("x from 203.0.113.9 port 22 ssh2 ") +
        " from 198.51.100.7 port 22 ssh2",
    ],
    [
      "sshd Failed + fake suffixes, no real one",
      SSHD + "Failed password for " + rep("x from 203.0.113.9 port 22 ssh2: ") + "\r\r",
    ],
    ["sshd Invalid user + from", SSHD + "Invalid user " + rep("from ")],
    ["sshd Invalid user + port", SSHD + "Invalid user " + rep(" from 1 port ")],
    [
      "sshd closed + user",
      SSHD + "Connection closed by authenticating user " + rep("a ") + "198.51.100.7 port 1 [preauth]",
    ],
    ["sshd closed + port", SSHD + "Connection closed by invalid user " + rep("1 port 1 ")],
    [
      "sshd pam + spaces",
      SSHD +
        "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=198.51.100.7" +
        rep(" ") +
        "x",
    ],
    [
      "sshd received disconnect",
      SSHD + "Received disconnect from 198.51.100.7 port 1:1: " + rep("[preauth]x"),
    ],
    ["sshd not allowed", SSHD + "User " + rep("x from a not allowed because shell ") + "\u2028"],
    ["sshd bad protocol", SSHD + "Bad protocol version identification '" + rep("' from 203.0.113.9 port 1")],
  ])("property/hostile %s returns", (_name, line) => {
    const out = checkTotal(parser, line);
    if (out.ok && "src" in out.event) expect(out.event.src).not.toBe("203.0.113.9");
  });
});
