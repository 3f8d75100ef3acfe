import { describe, expect, it } from "vitest";
import { LineParser, type ParseOutcome } from "../../src/parsers/line-parser.js";

/*
 * Log injection: the client controls parts of sshd's messages (user name, version banner,
 * disconnect reason, offered algorithms, certificate key ID, hostbased client user). A line must
 * never blame an address the client wrote into that text. REAL is the address sshd saw; FAKE is the
 * one the attacker tries to get blocked. For each line: the event's src is REAL, or the line is
 * rejected; never FAKE. Rows marked "real" also require the event (a crafted name must not hide a
 * failure either); rows marked "no-event" pin a rejection.
 */

const REAL = "198.51.100.7";
const FAKE = "203.0.113.9";
const KERNEL_LOG = `Nov 28 14:35:40 fw1 kernel: [ 5214.735771] [UFW BLOCK] IN=eth0 OUT= MAC=00:16:3e:aa:bb:cc:52:54:00:12:34:56:08:00 SRC=${FAKE} DST=203.0.113.10 LEN=44 TOS=0x00 PREC=0x00 TTL=46 ID=51571 PROTO=TCP SPT=43982 DPT=22 WINDOW=1024 RES=0x00 SYN URGP=0 OPT (020405B4)`;
const KERNEL_PAYLOAD = KERNEL_LOG.slice(KERNEL_LOG.indexOf("[UFW"));

type Want = "real" | "no-event" | "either";

interface Row {
  name: string;
  msg: string;
  want: Want;
}

const ROWS: Row[] = [
  // --- user names ---
  {
    name: "user ends like a Failed suffix",
    msg: `Failed password for invalid user x from ${FAKE} port 22 ssh2 from ${REAL} port 5555 ssh2`,
    want: "real",
  },
  {
    name: "user holds a whole Failed message",
    msg: `Failed password for invalid user Failed password for root from ${FAKE} port 22 ssh2 from ${REAL} port 5555 ssh2`,
    want: "real",
  },
  {
    // Two readings: user "x" from FAKE with key info "y from REAL ...", or user "x from FAKE port 1
    // ssh2: y" from REAL. Whatever the line ends with, it is not guessed.
    name: "user with fake suffix and ': '",
    msg: `Failed password for invalid user x from ${FAKE} port 1 ssh2: y from ${REAL} port 5555 ssh2`,
    want: "no-event",
  },
  {
    name: "user starts with error: prefix",
    msg: `Failed password for invalid user error: Failed password for root from ${FAKE} port 22 ssh2 from ${REAL} port 5555 ssh2`,
    want: "real",
  },
  {
    name: "Invalid user with from/port",
    msg: `Invalid user x from ${FAKE} port 22 from ${REAL} port 5555`,
    want: "real",
  },
  { name: "Invalid user, OpenSSH 6 format", msg: `Invalid user x from ${FAKE} from ${REAL}`, want: "real" },
  {
    name: "Invalid user named like an address",
    msg: `Invalid user ${FAKE} port 22 from ${REAL} port 5555`,
    want: "real",
  },
  {
    name: "Accepted with a fake suffix in the user",
    msg: `Accepted password for x from ${FAKE} port 22 ssh2 from ${REAL} port 5555 ssh2`,
    want: "real",
  },
  {
    name: "closed by authenticating user with address",
    msg: `Connection closed by authenticating user x ${FAKE} port 22 ${REAL} port 5555 [preauth]`,
    want: "real",
  },
  {
    name: "closed by invalid user with [preauth]",
    msg: `Connection closed by invalid user x ${FAKE} port 22 [preauth] ${REAL} port 5555 [preauth]`,
    want: "real",
  },
  {
    name: "closed by invalid user named as an address",
    msg: `Connection closed by invalid user ${FAKE} ${REAL} port 5555 [preauth]`,
    want: "real",
  },
  {
    name: "Disconnected from invalid user",
    msg: `Disconnected from invalid user y ${FAKE} port 1 [preauth] ${REAL} port 5555 [preauth]`,
    want: "real",
  },
  {
    name: "Disconnecting, too many failures",
    msg: `Disconnecting invalid user z ${FAKE} port 1: Too many authentication failures [preauth] ${REAL} port 5555: Too many authentication failures [preauth]`,
    want: "real",
  },
  {
    name: "maximum authentication attempts",
    msg: `error: maximum authentication attempts exceeded for invalid user x from ${FAKE} port 22 ssh2 from ${REAL} port 5555 ssh2 [preauth]`,
    want: "real",
  },
  {
    name: "PAM: Authentication failure",
    msg: `error: PAM: Authentication failure for illegal user x from ${FAKE} from ${REAL}`,
    want: "real",
  },
  {
    name: "not allowed because",
    msg: `User x from ${FAKE} not allowed because not listed in AllowUsers from ${REAL} not allowed because not listed in AllowUsers`,
    want: "real",
  },
  // --- escapes and line breaks ---
  {
    name: "rsyslog #012 escape before a forged line",
    msg: `Failed password for invalid user x#012Nov 28 14:35:40 fw1 sshd[1]: Failed password for root from ${FAKE} port 22 ssh2 from ${REAL} port 5555 ssh2`,
    want: "real",
  },
  {
    name: "sshd \\012 escape before a forged message",
    msg: `Failed password for invalid user x\\012Failed password for root from ${FAKE} port 22 ssh2 from ${REAL} port 5555 ssh2`,
    want: "real",
  },
  {
    name: "raw CR inside the user",
    msg: `Failed password for invalid user x\rFailed password for root from ${FAKE} port 22 ssh2 from ${REAL} port 5555 ssh2`,
    want: "either",
  },
  {
    name: "raw CR after the fake suffix",
    msg: `Failed password for invalid user x from ${FAKE} port 22 ssh2\r from ${REAL} port 5555 ssh2`,
    want: "either",
  },
  {
    name: "raw LF after the fake suffix",
    msg: `Invalid user x from ${FAKE} port 22\n from ${REAL} port 5555`,
    want: "either",
  },
  {
    name: "U+2028 after the fake suffix",
    msg: `Invalid user x from ${FAKE} port 22\u2028 from ${REAL} port 5555`,
    want: "either",
  },
  {
    name: "trailing CR of a CRLF file",
    msg: `Failed password for invalid user x from ${FAKE} port 22 ssh2 from ${REAL} port 5555 ssh2\r`,
    want: "real",
  },
  // --- a kernel LOG message inside the user name ---
  {
    name: "LOG fields as the user",
    msg: `Invalid user IN=eth0 OUT= SRC=${FAKE} DST=203.0.113.10 LEN=40 PROTO=TCP SPT=4444 DPT=22 SYN from ${REAL} port 5555`,
    want: "real",
  },
  {
    name: "whole kernel line as the user",
    msg: `Failed password for invalid user ${KERNEL_LOG} from ${REAL} port 5555 ssh2`,
    want: "real",
  },
  // --- PAM ---
  {
    name: "pam_unix user= carrying rhost=",
    msg: `pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=${REAL}  user=x rhost=${FAKE}`,
    want: "real",
  },
  {
    name: "pam_unix user= carrying rhost= and user=",
    msg: `pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=${REAL}  user=root rhost=${FAKE} user=admin`,
    want: "real",
  },
  {
    name: "PAM more failures, user= carrying rhost=",
    msg: `PAM 2 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=${REAL}  user=x rhost=${FAKE}`,
    want: "real",
  },
  // --- text after the address ---
  {
    name: "disconnect reason with from/port",
    msg: `Received disconnect from ${REAL} port 5555:11: x from ${FAKE} port 1 [preauth]`,
    want: "real",
  },
  {
    name: "disconnect reason holding a whole message",
    msg: `Received disconnect from ${REAL} port 5555:11: Received disconnect from ${FAKE} port 1:11: Bye [preauth]`,
    want: "real",
  },
  {
    name: "version banner with from/port",
    msg: `Bad protocol version identification 'SSH-2.0-x' from ${FAKE} port 1' from ${REAL} port 5555`,
    want: "real",
  },
  {
    name: "version banner, no port",
    msg: `Bad protocol version identification 'x' from ${FAKE}' from ${REAL}`,
    want: "real",
  },
  {
    name: "banner exchange reason",
    msg: `banner exchange: Connection from ${REAL} port 5555: invalid format from ${FAKE} port 22`,
    want: "real",
  },
  {
    name: "offered algorithms",
    msg: `Unable to negotiate with ${REAL} port 5555: no matching key exchange method found. Their offer: x from ${FAKE} port 22 [preauth]`,
    want: "real",
  },
  // --- client text on both sides of the address: refused, not guessed ---
  {
    name: "certificate key ID with a fake suffix",
    msg: `Failed publickey for root from ${REAL} port 5555 ssh2: ED25519-CERT SHA256:abc ID k from ${FAKE} port 22 ssh2: x (serial 1) CA ED25519 SHA256:def`,
    want: "no-event",
  },
  {
    name: "certificate key ID, OpenSSH 7 layout",
    msg: `Accepted publickey for alice from ${REAL} port 5555 ssh2: RSA-CERT ID x from ${FAKE} port 22 ssh2: y (serial 7) CA RSA SHA256:def`,
    want: "no-event",
  },
  {
    name: "certificate key ID without ': '",
    msg: `Accepted publickey for alice from ${REAL} port 5555 ssh2: RSA-CERT SHA256:abc ID x from ${FAKE} port 22 ssh2 (serial 7) CA RSA SHA256:def`,
    want: "real",
  },
  {
    name: "hostbased client user",
    msg: `Failed hostbased for alice from ${REAL} port 5555 ssh2: ED25519 SHA256:abc, client user "x from ${FAKE} port 22 ssh2: ", client host "h"`,
    want: "no-event",
  },
  {
    name: "keyboard-interactive info after ssh2, ending like a Failed line",
    msg: `Failed password for invalid user test from ${REAL} port 4242 ssh2: from ${FAKE} port 22 ssh2`,
    want: "no-event",
  },
  {
    name: "PAM info after ssh2, keyboard-interactive/pam",
    msg: `Failed keyboard-interactive/pam for invalid user x from ${REAL} port 5555 ssh2: y from ${FAKE} port 22 ssh2 [preauth]`,
    want: "no-event",
  },
  {
    name: "Failed ssh1 with text on both sides",
    msg: `Failed password for x from ${FAKE} port 22 ssh1: y from ${REAL} port 5555 ssh1`,
    want: "no-event",
  },
  {
    name: "Failed without port, text on both sides",
    msg: `Failed password for invalid user x from ${REAL}: from ${FAKE}`,
    want: "no-event",
  },
  {
    name: "Accepted with key info ending like an Accepted line",
    msg: `Accepted publickey for alice from ${REAL} port 5555 ssh2: RSA-CERT ID from ${FAKE} port 22 ssh2`,
    want: "no-event",
  },
  {
    name: "username change: the new name carries an address",
    msg: `Disconnecting invalid user x ${REAL} port 5555: Change of username or service not allowed: (x,ssh-connection) -> (y ${FAKE} port 22: z,ssh-connection) [preauth]`,
    want: "no-event",
  },
  {
    name: "username change: the old name carries an address",
    msg: `Disconnecting invalid user x ${FAKE} port 22: y ${REAL} port 5555: Change of username or service not allowed: (x ${FAKE} port 22: y,ssh-connection) -> (z,ssh-connection) [preauth]`,
    want: "no-event",
  },
  {
    name: "too many failures: a user ending like the whole message",
    msg: `Disconnecting authenticating user x ${FAKE} port 22: Too many authentication failures ${REAL} port 5555: Too many authentication failures [preauth]`,
    want: "real",
  },
  {
    name: "transport failure with the user part crafted",
    msg: `ssh_dispatch_run_fatal: Connection from invalid user x ${FAKE} port 22: y ${REAL} port 5555: message authentication code incorrect [preauth]`,
    want: "no-event",
  },
  {
    name: "timed out, user part crafted",
    msg: `Connection from invalid user x ${FAKE} port 22 timed out ${REAL} port 5555 timed out`,
    want: "real",
  },
  {
    name: "maximum attempts, user ending like the message",
    msg: `maximum authentication attempts exceeded for invalid user x from ${FAKE} port 22 ssh2 from ${REAL} port 5555 ssh2 [preauth]`,
    want: "real",
  },
  {
    name: "tcp wrappers ident user with a parenthesized address",
    msg: `refused connect from x (${FAKE}) y@${REAL} (${REAL})`,
    want: "real",
  },
  {
    name: "rsyslog repeat of a crafted Failed line",
    msg: `message repeated 3 times: [ Failed password for invalid user x from ${FAKE} port 22 ssh2 from ${REAL} port 5555 ssh2]`,
    want: "real",
  },
  {
    name: "rsyslog repeat of a two-reading line",
    msg: `message repeated 3 times: [ Failed password for invalid user x from ${REAL} port 5555 ssh2: from ${FAKE} port 22 ssh2]`,
    want: "no-event",
  },
  {
    name: "a user named like a host name",
    msg: `Failed password for invalid user x from victim.example.net port 22 ssh2 from ${REAL} port 5555 ssh2`,
    want: "real",
  },
  // --- lines that name no address: a crafted one in the user name is never taken ---
  {
    name: "input_userauth_request with from/port in the user",
    msg: `input_userauth_request: invalid user x from ${FAKE} port 22 [preauth]`,
    want: "no-event",
  },
  {
    name: "too many failures for a user carrying an address",
    msg: `Disconnecting: Too many authentication failures for x from ${FAKE} port 22 ssh2 [preauth]`,
    want: "no-event",
  },
  {
    name: "kex identification with a client banner carrying an address",
    msg: `error: kex_exchange_identification: client sent invalid protocol identifier "Connection closed by ${FAKE} port 22"`,
    want: "no-event",
  },
  {
    name: "user and key info both crafted",
    msg: `Failed publickey for invalid user x from ${FAKE} port 1 ssh2: y from ${REAL} port 5555 ssh2: RSA SHA256:abc`,
    want: "no-event",
  },
  // --- length and look-alikes ---
  {
    name: "1200-character user",
    msg: `Failed password for invalid user ${"A".repeat(1200)} from ${REAL} port 5555 ssh2`,
    want: "real",
  },
  {
    name: "user made of 50 fake suffixes",
    msg: `Failed password for invalid user ${`x from ${FAKE} port 22 ssh2 `.repeat(50)}from ${REAL} port 5555 ssh2`,
    want: "real",
  },
  {
    name: "2000-character user of fake Invalid user tails",
    msg: `Invalid user ${` from ${FAKE} port 22`.repeat(100)} from ${REAL} port 5555`,
    want: "real",
  },
  {
    name: "full-width digits in the user",
    msg: `Failed password for invalid user x from ２０３.０.１１３.９ port 22 ssh2 from ${REAL} port 5555 ssh2`,
    want: "real",
  },
  {
    name: "full-width digits as the only address",
    msg: "Failed password for root from ２０３.０.１１３.９ port 22 ssh2",
    want: "no-event",
  },
  {
    name: "Arabic-Indic digits as the only address",
    msg: "Invalid user x from ٢٠٣.٠.١١٣.٩ port 22",
    want: "no-event",
  },
  {
    name: "v4-mapped fake in the user",
    msg: `Failed password for invalid user x from ::ffff:${FAKE} port 22 ssh2 from ${REAL} port 5555 ssh2`,
    want: "real",
  },
  {
    name: "zone id on the fake",
    msg: `Failed password for invalid user x from ${FAKE}%eth0 port 22 ssh2 from ${REAL} port 5555 ssh2`,
    want: "real",
  },
  // A raw NUL makes a text line binary; journal JSON carries it escaped, as one more user character.
  {
    name: "NUL byte in the user",
    msg: `Failed password for invalid user x\u0000 from ${FAKE} port 22 ssh2 from ${REAL} port 5555 ssh2`,
    want: "either",
  },
];

const FRAMINGS: { name: string; wrap: (msg: string) => string }[] = [
  { name: "rfc3164 sshd", wrap: (m) => `Nov 28 14:35:40 fw1 sshd[812]: ${m}` },
  {
    name: "rfc3339 sshd-session",
    wrap: (m) => `2026-11-28T14:35:40.123456+01:00 fw1 sshd-session[812]: ${m}`,
  },
  { name: "rfc5424 sshd", wrap: (m) => `<38>1 2026-11-28T13:35:40Z fw1 sshd 812 - - ${m}` },
  {
    name: "journal json",
    wrap: (m) =>
      JSON.stringify({
        __REALTIME_TIMESTAMP: "1795876540123456",
        _HOSTNAME: "fw1",
        SYSLOG_IDENTIFIER: "sshd",
        _PID: "812",
        MESSAGE: m,
      }),
  },
];

/*
 * Lines with no program tag: `sshd -D -e` under a supervisor (svlogd, s6-log, socklog with its
 * TAI64N or local stamps) or in a container (`docker logs -t`). Such a line may also be a ulogd
 * LOG line, so here the message alone says which it is.
 */
const UNTAGGED: { name: string; wrap: (msg: string) => string }[] = [
  { name: "tai64nlocal", wrap: (m) => `2026-06-26 13:22:02.108781500 ${m}` },
  { name: "tai64n", wrap: (m) => `@400000006a5d6f4d06781d34 ${m}` },
  { name: "socklog", wrap: (m) => `2026-05-27T04:31:27.46667 auth.info: ${m}` },
  { name: "svlogd -tt", wrap: (m) => `2026-06-26_13:22:02.10878 ${m}` },
  { name: "docker -t", wrap: (m) => `2026-06-26T13:22:02.108781500Z ${m}` },
];

/** util-linux's ISO stamp (`dmesg --time-format iso`) in a daemon's syslog template: not the kernel's. */
const COMMA_ISO = {
  name: "comma ISO",
  wrap: (m: string) => `2026-11-28T14:35:40,123456+01:00 fw1 sshd[812]: ${m}`,
};

function parse(line: string): ParseOutcome {
  return new LineParser({ time: { zone: "UTC", year: 2026, referenceMs: Date.UTC(2026, 11, 1) } }).parse(
    line,
    "injection.log",
    1,
  );
}

describe("injection", () => {
  it("injection/table has at least 30 crafted lines", () => {
    expect(ROWS.length).toBeGreaterThanOrEqual(30);
  });

  const cases = ROWS.flatMap((r) =>
    [...FRAMINGS, ...UNTAGGED].map((f) => [`${r.name} (${f.name})`, r, f.wrap(r.msg)] as const),
  );

  it.each(cases)("injection/%s", (_name, row, line) => {
    const out = parse(line);
    if (out.ok) {
      expect(out.event.type).toBe("auth");
      if (out.event.type === "suppressed") return;
      expect(out.event.src).not.toBe(FAKE);
      expect(out.event.src).toBe(REAL);
      expect(row.want).not.toBe("no-event");
    } else {
      expect(row.want, `rejected as ${out.reason}`).not.toBe("real");
    }
  });
});

/*
 * Through the pid: a two-reading line takes the reading the connection's own address confirms.
 * The connection's address comes from lines whose address has one reading; a crafted line can
 * only pick between its own two readings, never make a third address (or another pid's) guilty.
 */
describe("injection/through the pid", () => {
  const at = (pid: number, m: string) => `Nov 28 14:35:40 fw1 sshd[${pid}]: ${m}`;
  function fed(lines: string[]): ParseOutcome[] {
    const p = new LineParser({ time: { zone: "UTC", year: 2026, referenceMs: Date.UTC(2026, 11, 1) } });
    const out: ParseOutcome[] = [];
    const take = (_l: unknown, o: ParseOutcome) => void out.push(o);
    lines.forEach((text, i) => p.feed({ text, file: "injection.log", line: i + 1 }, take));
    p.flush(take);
    return out;
  }
  const twoReadings = ROWS.filter(
    (r) => r.want === "no-event" && r.msg.includes(REAL) && r.msg.includes(FAKE),
  );

  it.each(twoReadings.map((r) => [r.name, r] as const))(
    "injection/pid/%s: the connection's earlier address picks REAL",
    (_name, row) => {
      const [, o] = fed([
        at(812, `Connection from ${REAL} port 5555 on 203.0.113.10 port 22`),
        at(812, row.msg),
      ]);
      if (o!.ok) {
        expect(o!.event.type === "auth" && o!.event.src).toBe(REAL);
        expect(o!.event.type === "auth" && o!.event.srcVia).toBe("pid");
      }
    },
  );

  it.each(twoReadings.map((r) => [r.name, r] as const))(
    "injection/pid/%s: an address on another pid or host decides nothing",
    (_name, row) => {
      const outs = fed([
        at(813, `Connection from ${FAKE} port 22 on 203.0.113.10 port 22`),
        `Nov 28 14:35:40 fw2 sshd[812]: Connection from ${FAKE} port 22 on 203.0.113.10 port 22`,
        at(812, row.msg),
      ]);
      const o = outs[2]!;
      if (o.ok && o.event.type === "auth") expect(o.event.src).not.toBe(FAKE);
    },
  );

  it.each(twoReadings.map((r) => [r.name, r] as const))(
    "injection/pid/%s: a connection address that is neither reading leaves it refused",
    (_name, row) => {
      const [, o] = fed([
        at(812, "Connection from 192.0.2.1 port 5000 on 203.0.113.10 port 22"),
        at(812, row.msg),
      ]);
      expect(o!.ok).toBe(false);
    },
  );
});

describe("injection/kernel LOG inside sshd lines sshd takes without an address", () => {
  // Lines sshd writes with client text and no address: with no tag, still sshd's, so never a
  // packet (a rejection is fine: nothing names the client).
  const msgs = [
    `input_userauth_request: invalid user ${KERNEL_PAYLOAD} [preauth]`,
    `Postponed keyboard-interactive for invalid user ${KERNEL_PAYLOAD} from ${REAL} port 5555 ssh2 [preauth]`,
    `userauth_pubkey: signature algorithm ${KERNEL_PAYLOAD} not in PubkeyAcceptedAlgorithms [preauth]`,
    `error: kex_exchange_identification: banner line contains invalid characters: ${KERNEL_PAYLOAD}`,
    `ssh_dispatch_run_fatal: Connection from ${KERNEL_PAYLOAD} port 1: invalid format`,
  ];
  const cases = msgs.flatMap((m, i) =>
    [...FRAMINGS, ...UNTAGGED, COMMA_ISO].map((f) => [`#${i + 1} (${f.name})`, f.wrap(m)] as const),
  );
  it.each(cases)("injection/%s yields no packet event", (_name, line) => {
    const out = parse(line);
    if (out.ok) {
      expect(out.event.type).toBe("auth");
      if (out.event.type === "auth") expect(out.event.src).not.toBe(FAKE);
    }
  });
});

describe("injection/kernel LOG inside sshd lines", () => {
  // An sshd line is parsed by the sshd parser only, whatever its message holds.
  const msgs = [
    `Invalid user ${KERNEL_LOG} from ${REAL} port 5555`,
    `Invalid user ${KERNEL_PAYLOAD} from ${REAL} port 5555`,
    `Failed password for invalid user ${KERNEL_PAYLOAD} from ${REAL} port 5555 ssh2`,
    `Connection closed by invalid user ${KERNEL_PAYLOAD} ${REAL} port 5555 [preauth]`,
    `Disconnected from invalid user ${KERNEL_PAYLOAD} ${REAL} port 5555 [preauth]`,
    `Bad protocol version identification '${KERNEL_PAYLOAD}' from ${REAL} port 5555`,
    `Received disconnect from ${REAL} port 5555:11: ${KERNEL_PAYLOAD} [preauth]`,
    KERNEL_PAYLOAD,
    `[ 5214.735771] ${KERNEL_PAYLOAD}`,
    `error: ${KERNEL_PAYLOAD}`,
    `${KERNEL_PAYLOAD} 12 callbacks suppressed`,
    "net_ratelimit: 12 callbacks suppressed",
  ];
  // The first seven are sshd's own messages: with no tag as well, they are sshd's (the others,
  // untagged, are a ulogd LOG line indeed).
  const cases = msgs.flatMap((m, i) =>
    [...FRAMINGS, ...(i < 7 ? [...UNTAGGED, COMMA_ISO] : [])].map(
      (f) => [`#${i + 1} (${f.name})`, f.wrap(m)] as const,
    ),
  );

  it.each(cases)("injection/kernel line in sshd message %s yields no packet event", (_name, line) => {
    const out = parse(line);
    if (out.ok || !line.includes("sshd")) {
      // With no tag, the sshd message must still be read as sshd's, from REAL.
      expect(out.ok, out.ok ? "" : out.reason).toBe(true);
    }
    if (out.ok) {
      expect(out.event.type).toBe("auth");
      expect(out.parser.startsWith("sshd/")).toBe(true);
      if (out.event.type === "auth") expect(out.event.src).toBe(REAL);
    }
  });
});
